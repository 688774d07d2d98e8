using Npgsql;

namespace AiSocial.Moderation.Calibration;

/// <summary>How a signal at or above <see cref="Threshold"/> would have agreed with reviewers. Precision or recall is null when undefined (nothing flagged, no positives).</summary>
public sealed record CalibrationPoint(double Threshold, int TruePositives, int FalsePositives, int FalseNegatives, double? Precision, double? Recall);

/// <summary>
/// One signal (source and category) against reviewers' decisions: how many labelled posts it scored, how many of them
/// reviewers removed (positives) and approved (negatives), each threshold's precision and recall, and the lowest
/// threshold that reaches the target precision (which, recall only falling as the threshold rises, keeps the most recall).
/// </summary>
public sealed record CategoryCalibration(string Source, string Category, int Positives, int Negatives, IReadOnlyList<CalibrationPoint> Points,
    double? SuggestedThreshold)
{
    /// <summary>The policy document's key for this signal's threshold (<c>thresholds["source/category"]</c>).</summary>
    public string ThresholdKey => $"{Source}/{Category}";
}

/// <summary>Every live signal category calibrated against reviewers' decisions, for one target precision.</summary>
public sealed record CalibrationReport(double TargetPrecision, int LabelledPosts, int Positives, int Negatives, IReadOnlyList<CategoryCalibration> Categories)
{
    /// <summary>The thresholds reported: 0.05 to 0.95 in steps of 0.05.</summary>
    public static readonly IReadOnlyList<double> Thresholds = [.. Enumerable.Range(1, 19).Select(step => Math.Round(step * 0.05, 2))];

    public const double DefaultTargetPrecision = 0.9;

    /// <summary>
    /// Calibrates from (post, removed?) labels and the live signals of those posts. Only posts a signal scored count
    /// for it: a check that did not run on a post says nothing about it.
    /// </summary>
    public static CalibrationReport Compute(double targetPrecision, IReadOnlyDictionary<Guid, bool> removedByPost,
        IEnumerable<(Guid PostId, string Source, string Category, float Score)> signals)
    {
        var categories = signals
            .Where(s => removedByPost.ContainsKey(s.PostId))
            .GroupBy(s => (s.Source, s.Category))
            .OrderBy(g => g.Key.Source, StringComparer.Ordinal).ThenBy(g => g.Key.Category, StringComparer.Ordinal)
            .Select(group =>
            {
                // A post has one score per category; a rescan under a new model version leaves the highest standing.
                var scored = group.GroupBy(s => s.PostId).Select(p => (Removed: removedByPost[p.Key], Score: p.Max(s => s.Score))).ToList();
                var positives = scored.Count(s => s.Removed);
                var points = Thresholds.Select(threshold =>
                {
                    // Scores are stored as single precision: compare in it, so a 0.7 score meets the 0.7 threshold.
                    var at = (float)threshold;
                    var truePositives = scored.Count(s => s.Removed && s.Score >= at);
                    var falsePositives = scored.Count(s => !s.Removed && s.Score >= at);
                    var flagged = truePositives + falsePositives;
                    return new CalibrationPoint(threshold, truePositives, falsePositives, positives - truePositives,
                        flagged == 0 ? null : (double)truePositives / flagged, positives == 0 ? null : (double)truePositives / positives);
                }).ToList();
                var suggested = points.FirstOrDefault(p => p.Precision >= targetPrecision && p.TruePositives > 0)?.Threshold;
                return new CategoryCalibration(group.Key.Source, group.Key.Category, positives, scored.Count - positives, points, suggested);
            })
            .ToList();
        var removed = removedByPost.Values.Count(r => r);
        return new CalibrationReport(targetPrecision, removedByPost.Count, removed, removedByPost.Count - removed, categories);
    }
}

/// <summary>Reads reviewers' decisions and the live signals of the posts they decided, and calibrates each signal category.</summary>
public sealed class CalibrationReports(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// From each post's latest human decision (remove = positive, approve = negative) and its live signals. Shadow
    /// signals are left out: they belong to checks on trial, calibrated once they are live.
    /// </summary>
    public async Task<CalibrationReport> ComputeAsync(double targetPrecision, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var removedByPost = new Dictionary<Guid, bool>();
        await using (var command = new NpgsqlCommand(
            """
            select distinct on (post_id) post_id, decision = 'remove'
            from moderation.labels where source = 'human' and decision in ('approve', 'remove')
            order by post_id, id desc
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                removedByPost[reader.GetGuid(0)] = reader.GetBoolean(1);
            }
        }

        var signals = new List<(Guid, string, string, float)>();
        await using (var command = new NpgsqlCommand(
            """
            select s.post_id, s.source, s.category, s.score from moderation.signals s
            where not s.shadow and exists (select 1 from moderation.labels l where l.post_id = s.post_id and l.source = 'human')
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                signals.Add((reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetFloat(3)));
            }
        }

        return CalibrationReport.Compute(targetPrecision, removedByPost, signals);
    }
}
