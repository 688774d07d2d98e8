using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Media;
using AiSocial.Problems;
using AiSocial.SafetyModels;
using AiSocial.SafetyModels.Pdq;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Ingest.Creators;

/// <summary>What an opt-out names: a person's name, another name they go by, a style phrase, or one of their works (an image).</summary>
public static class OptOutKinds
{
    public const string Name = "name";
    public const string Alias = "alias";
    public const string Style = "style";
    public const string Work = "work";

    public static readonly IReadOnlyList<string> All = [Name, Alias, Style, Work];

    /// <summary>The kinds matched in text.</summary>
    public static readonly IReadOnlyList<string> Textual = [Name, Alias, Style];
}

/// <summary>What happens to a prompt that names a verified opt-out: refused, or generated with the name cut out and a warning.</summary>
public static class OptOutEnforcements
{
    public const string Refuse = "refuse";
    public const string Strip = "strip";
}

/// <summary>Pending until staff look; only verified opt-outs are enforced.</summary>
public static class OptOutStatuses
{
    public const string Pending = "pending";
    public const string Verified = "verified";
    public const string Rejected = "rejected";

    public static readonly IReadOnlyList<string> All = [Pending, Verified, Rejected];
}

/// <summary>
/// One opt-out as <c>ingest.creator_optouts</c> keeps it. <see cref="Normalized"/> is set for names, aliases and styles
/// (<see cref="CreatorNames.Normalize"/>), <see cref="Hashes"/> for works: the eight dihedral PDQ hashes of the image.
/// </summary>
public sealed record CreatorOptOut(
    Guid Id, Guid AccountId, string Kind, string Value, string? Normalized, IReadOnlyList<PdqHash>? Hashes, string Enforcement, string Status,
    Guid? ReviewedBy, DateTimeOffset? ReviewedAt, DateTimeOffset CreatedAt)
{
    public bool IsWork => Kind == OptOutKinds.Work;
}

/// <summary>A name, alias or style as sent: <see cref="Enforcement"/> defaults to refuse.</summary>
public sealed record OptOutDraft(string? Kind, string? Value, string? Enforcement);

/// <summary>Where an opt-out was found: a field of a prompt, post or export candidate, at one stage.</summary>
public sealed record OptOutMatch(Guid OptOutId, Guid? PostId, Guid? GenerationId, string Field, string Stage, DateTimeOffset MatchedAt);

/// <summary>An enforced opt-out found in a text field (or, for a work, in an image at PDQ <see cref="Distance"/>).</summary>
public sealed record FoundOptOut(CreatorOptOut OptOut, string Field, int? Distance = null);

/// <summary>An opt-out as staff review it: who claims it, who reviewed it, and where it has been found so far (the latest few).</summary>
public sealed record OptOutReview(CreatorOptOut OptOut, string AccountHandle, string? ReviewedByHandle, long MatchCount, IReadOnlyList<OptOutMatch> RecentMatches);

/// <summary>
/// Creators' opt-outs (<c>ingest.creator_optouts</c>): any signed-in account registers names, aliases, style phrases
/// and works and sees and removes only its own; staff verify or reject each claim; only verified claims that are not
/// removed are enforced (<see cref="EnforcedAsync"/>), and every place one is found is recorded
/// (<c>ingest.creator_optout_matches</c>). Every change is audited.
/// </summary>
public sealed class CreatorOptOuts(NpgsqlDataSource dataSource, ImageInspector inspector, AuditLog audit)
{
    public const int MaxValueLength = 200;
    public const string KindRule = "kind must be name, alias, style or work (a work is sent as multipart with an 'image' file).";
    public const string ValueRule = "value is required: 1-200 characters with letters or digits in them.";
    public const string EnforcementRule = "enforcement must be refuse (prompts naming it are refused) or strip (the name is cut out with a warning).";
    public const string SubjectType = "creator_optout";

    /// <summary>PDQ's match distance: a work within 31 bits of an image is that image.</summary>
    public const int MaxWorkDistance = PdqIndex.DefaultMaxDistance;

    private const int RecentMatches = 10;

    /// <summary>Registers a name, alias or style for the account, pending review; refused with nothing stored when a field is invalid or the same claim stands.</summary>
    public async Task<Outcome<CreatorOptOut>> RegisterAsync(Actor actor, Guid accountId, OptOutDraft draft, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        if (draft.Kind is not (OptOutKinds.Name or OptOutKinds.Alias or OptOutKinds.Style))
        {
            errors.Add("kind", draft.Kind == OptOutKinds.Work ? "A work is sent as multipart/form-data with kind=work and an 'image' file." : KindRule);
        }

        string value = "", normalized = "";
        if (TextRules.DisplayProblem(draft.Value ?? "", multiLine: false, out var stored) is not null || stored.Length > MaxValueLength
            || (normalized = CreatorNames.Normalize(stored)).Length == 0)
        {
            errors.Add("value", ValueRule);
        }
        else
        {
            value = stored;
        }

        var enforcement = draft.Enforcement ?? OptOutEnforcements.Refuse;
        if (enforcement is not (OptOutEnforcements.Refuse or OptOutEnforcements.Strip))
        {
            errors.Add("enforcement", EnforcementRule);
        }

        if (errors.ToRefusal() is { } invalid)
        {
            return invalid;
        }

        return await InsertAsync(actor, accountId, draft.Kind!, value, normalized, null, enforcement, cancellationToken);
    }

    /// <summary>
    /// Registers a work: the image is checked and decoded as uploads are (size, format, dimensions, a full decode) and
    /// kept only as its eight dihedral PDQ hashes. <paramref name="title"/> (else the file name) is what the claim shows.
    /// </summary>
    public async Task<Outcome<CreatorOptOut>> RegisterWorkAsync(Actor actor, Guid accountId, string? title, string? enforcement, Stream? image,
        CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        if (TextRules.DisplayProblem(title ?? "", multiLine: false, out var value) is not null || value.Length > MaxValueLength)
        {
            errors.Add("value", "value (the work's title) is required: 1-200 characters.");
        }

        if (enforcement is not (null or OptOutEnforcements.Refuse))
        {
            errors.Add("enforcement", "A work is matched by its image, which cannot be cut out of a prompt: leave enforcement out.");
        }

        if (image is null)
        {
            errors.Add("image", "Attach the work as an 'image' file (PNG, JPEG, WebP or GIF).");
        }

        if (errors.ToRefusal() is { } invalid)
        {
            return invalid;
        }

        var inspected = await inspector.InspectAsync(image!, cancellationToken);
        if (inspected.Refusal is { } unreadable)
        {
            return unreadable;
        }

        using var bitmap = ModelImages.Decode(inspected.Value.Bytes);
        var dihedral = PdqHasher.ComputeDihedral(bitmap);
        if (!dihedral[0].IsUsable)
        {
            return new Refusal(IngestProblems.WorkUnmatchable,
                $"The image has too little structure to recognise copies of it (PDQ quality {dihedral[0].Quality}, at least {PdqResult.MinimumUsableQuality} needed).");
        }

        return await InsertAsync(actor, accountId, OptOutKinds.Work, value, null, [.. dihedral.Select(d => d.Hash)], OptOutEnforcements.Refuse,
            cancellationToken);
    }

    private async Task<Outcome<CreatorOptOut>> InsertAsync(Actor actor, Guid accountId, string kind, string value, string? normalized,
        IReadOnlyList<PdqHash>? hashes, string enforcement, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        CreatorOptOut? optOut;
        await using (var command = new NpgsqlCommand(
            $"""
            insert into ingest.creator_optouts (id, account_id, kind, value, normalized, pdq_hashes, enforcement)
            values ($1, $2, $3, $4, $5, $6, $7)
            on conflict (account_id, kind, normalized) where removed_at is null and normalized is not null do nothing
            returning {Columns}
            """, connection))
        {
            command.Parameters.Add(new() { Value = Guid.CreateVersion7() });
            command.Parameters.Add(new() { Value = accountId });
            command.Parameters.Add(new() { Value = kind });
            command.Parameters.Add(new() { Value = value });
            command.Parameters.Add(new() { Value = (object?)normalized ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new()
            {
                Value = hashes is null ? DBNull.Value : hashes.Select(ToBytes).ToArray(),
                NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea,
            });
            command.Parameters.Add(new() { Value = enforcement });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            optOut = await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
        }

        if (optOut is null)
        {
            return new Refusal(IngestProblems.OptOutExists, $"You already have a {kind} opt-out for '{value}'.");
        }

        await audit.AppendAsync(connection, actor, "creator-optout.register", SubjectType, optOut.Id.ToString(),
            new { kind, value, enforcement, accountId }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return optOut;
    }

    /// <summary>The account's opt-outs that are not removed, newest first.</summary>
    public async Task<IReadOnlyList<CreatorOptOut>> ListOwnAsync(Guid accountId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"select {Columns} from ingest.creator_optouts where account_id = $1 and removed_at is null order by created_at desc, id desc");
        command.Parameters.Add(new() { Value = accountId });
        return await ReadAllAsync(command, cancellationToken);
    }

    /// <summary>Removes one of the account's own opt-outs; another account's (or one already removed) is not found.</summary>
    public async Task<Outcome<CreatorOptOut>> RemoveOwnAsync(Actor actor, Guid accountId, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        CreatorOptOut? removed;
        await using (var command = new NpgsqlCommand(
            $"update ingest.creator_optouts set removed_at = now() where id = $1 and account_id = $2 and removed_at is null returning {Columns}",
            connection))
        {
            command.Parameters.Add(new() { Value = id });
            command.Parameters.Add(new() { Value = accountId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            removed = await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
        }

        if (removed is null)
        {
            return new Refusal(CommonProblems.NotFound, $"You have no opt-out {id}.");
        }

        await audit.AppendAsync(connection, actor, "creator-optout.remove", SubjectType, id.ToString(),
            new { removed.Kind, removed.Value, removed.Status }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return removed;
    }

    /// <summary>
    /// Staff verify (or reject) a claim, recorded with who and when. A claim may be reviewed again (a verified one
    /// rejected later); staff may not review their own claims.
    /// </summary>
    public async Task<Outcome<CreatorOptOut>> ReviewAsync(Actor staff, Guid id, bool verified, CancellationToken cancellationToken)
    {
        var status = verified ? OptOutStatuses.Verified : OptOutStatuses.Rejected;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        CreatorOptOut? before;
        await using (var command = new NpgsqlCommand($"select {Columns} from ingest.creator_optouts where id = $1 and removed_at is null for update", connection))
        {
            command.Parameters.Add(new() { Value = id });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            before = await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
        }

        if (before is null)
        {
            return new Refusal(CommonProblems.NotFound, $"There is no opt-out {id}, or its creator removed it.");
        }

        if (before.AccountId == staff.AccountId)
        {
            return new Refusal(CommonProblems.Forbidden, "You cannot review your own opt-out; another member of staff must.");
        }

        if (before.Status == status)
        {
            return new Refusal(CommonProblems.Conflict, $"The opt-out is already {status}.");
        }

        CreatorOptOut reviewed;
        await using (var command = new NpgsqlCommand(
            $"update ingest.creator_optouts set status = $2, reviewed_by = $3, reviewed_at = now() where id = $1 returning {Columns}", connection))
        {
            command.Parameters.Add(new() { Value = id });
            command.Parameters.Add(new() { Value = status });
            command.Parameters.Add(new() { Value = (object?)staff.AccountId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            reviewed = Read(reader);
        }

        await audit.AppendAsync(connection, staff, verified ? "creator-optout.verify" : "creator-optout.reject", SubjectType, id.ToString(),
            new { before.Kind, before.Value, from = before.Status, to = status }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return reviewed;
    }

    /// <summary>
    /// A page of claims for staff, pending first then newest, optionally of one status, each with its claimant,
    /// reviewer, number of matches and the latest few; and how many there are.
    /// </summary>
    public async Task<(IReadOnlyList<OptOutReview> Items, int Total)> ReviewPageAsync(string? status, int skip, int take, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            select {Prefixed("o")}, a.handle, r.handle, (select count(*) from ingest.creator_optout_matches m where m.optout_id = o.id), count(*) over ()
            from ingest.creator_optouts o
            join ingest.accounts a on a.id = o.account_id
            left join ingest.accounts r on r.id = o.reviewed_by
            where o.removed_at is null and ($1::text is null or o.status = $1)
            order by o.status <> 'pending', o.created_at desc, o.id desc
            offset $2 limit $3
            """);
        command.Parameters.Add(new() { Value = (object?)status ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = Math.Max(0, skip) });
        command.Parameters.Add(new() { Value = Math.Clamp(take, 1, 500) });
        var rows = new List<(CreatorOptOut OptOut, string Handle, string? Reviewer, long Matches)>();
        var total = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add((Read(reader), reader.GetString(ColumnCount), reader.IsDBNull(ColumnCount + 1) ? null : reader.GetString(ColumnCount + 1),
                    reader.GetInt64(ColumnCount + 2)));
                total = (int)reader.GetInt64(ColumnCount + 3);
            }
        }

        var matches = await RecentMatchesAsync([.. rows.Select(r => r.OptOut.Id)], cancellationToken);
        return ([.. rows.Select(r => new OptOutReview(r.OptOut, r.Handle, r.Reviewer, r.Matches, matches[r.OptOut.Id].ToList()))], total);
    }

    /// <summary>The matches of one opt-out, newest first.</summary>
    public async Task<IReadOnlyList<OptOutMatch>> MatchesAsync(Guid id, CancellationToken cancellationToken) =>
        [.. (await RecentMatchesAsync([id], cancellationToken, limit: 500))[id]];

    private async Task<ILookup<Guid, OptOutMatch>> RecentMatchesAsync(Guid[] ids, CancellationToken cancellationToken, int limit = RecentMatches)
    {
        await using var command = dataSource.CreateCommand(
            """
            select m.optout_id, m.post_id, m.generation_id, m.field, m.stage, m.matched_at
            from unnest($1::uuid[]) as o (id)
            cross join lateral (
                select * from ingest.creator_optout_matches m where m.optout_id = o.id order by m.matched_at desc limit $2
            ) m
            """);
        command.Parameters.Add(new() { Value = ids });
        command.Parameters.Add(new() { Value = limit });
        var matches = new List<OptOutMatch>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            matches.Add(new OptOutMatch(reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetGuid(1), reader.IsDBNull(2) ? null : reader.GetGuid(2),
                reader.GetString(3), reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5)));
        }

        return matches.ToLookup(m => m.OptOutId);
    }

    /// <summary>Every opt-out that is enforced now: verified and not removed.</summary>
    public async Task<IReadOnlyList<CreatorOptOut>> EnforcedAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"select {Columns} from ingest.creator_optouts where status = 'verified' and removed_at is null order by created_at, id");
        return await ReadAllAsync(command, cancellationToken);
    }

    /// <summary>
    /// The names, aliases and styles among <paramref name="optOuts"/> that occur as whole words in any of the texts,
    /// each with the first field it is in; a creator's own opt-outs (<paramref name="author"/>) do not apply to them.
    /// </summary>
    public static IReadOnlyList<FoundOptOut> FindInTexts(IEnumerable<CreatorOptOut> optOuts, IEnumerable<(string Field, string Text)> texts, Guid? author)
    {
        var normalized = texts.Select(t => (t.Field, Text: CreatorNames.Normalize(t.Text))).Where(t => t.Text.Length > 0).ToList();
        var found = new List<FoundOptOut>();
        foreach (var optOut in optOuts.Where(o => o.Normalized is not null && o.AccountId != author))
        {
            if (normalized.FirstOrDefault(t => CreatorNames.ContainsPhrase(t.Text, optOut.Normalized!)) is { Field: not null } hit)
            {
                found.Add(new FoundOptOut(optOut, hit.Field));
            }
        }

        return found;
    }

    /// <summary>The works among <paramref name="optOuts"/> that one of whose eight hashes lies within <see cref="MaxWorkDistance"/> of the image's PDQ hash.</summary>
    public static IReadOnlyList<FoundOptOut> FindWorks(IEnumerable<CreatorOptOut> optOuts, PdqHash image, string field, Guid? author) =>
        [.. optOuts.Where(o => o.Hashes is not null && o.AccountId != author)
            .Select(o => (OptOut: o, Distance: o.Hashes!.Min(h => h.DistanceTo(image))))
            .Where(m => m.Distance <= MaxWorkDistance)
            .Select(m => new FoundOptOut(m.OptOut, field, m.Distance))];

    /// <summary>Records where opt-outs were found; a post already recorded for the same opt-out, field and stage is not recorded again.</summary>
    public async Task RecordMatchesAsync(IReadOnlyList<FoundOptOut> found, string stage, Guid? postId, Guid? generationId, CancellationToken cancellationToken)
    {
        if (found.Count == 0)
        {
            return;
        }

        await using var command = dataSource.CreateCommand(
            """
            insert into ingest.creator_optout_matches (optout_id, post_id, generation_id, field, stage)
            select f.optout_id, $2, $3, f.field, $4 from unnest($1::uuid[], $5::text[]) as f (optout_id, field)
            where $2::uuid is null or not exists (
                select from ingest.creator_optout_matches m
                where m.optout_id = f.optout_id and m.post_id = $2 and m.field = f.field and m.stage = $4)
            """);
        command.Parameters.Add(new() { Value = found.Select(f => f.OptOut.Id).ToArray() });
        command.Parameters.Add(new() { Value = (object?)postId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new() { Value = (object?)generationId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new() { Value = stage });
        command.Parameters.Add(new() { Value = found.Select(f => f.Field).ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private const string Columns = "id, account_id, kind, value, normalized, pdq_hashes, enforcement, status, reviewed_by, reviewed_at, created_at";
    private const int ColumnCount = 11;

    private static string Prefixed(string alias) => string.Join(", ", Columns.Split(", ").Select(c => $"{alias}.{c}"));

    private static async Task<IReadOnlyList<CreatorOptOut>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var optOuts = new List<CreatorOptOut>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            optOuts.Add(Read(reader));
        }

        return optOuts;
    }

    private static CreatorOptOut Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.IsDBNull(5) ? null : [.. reader.GetFieldValue<byte[][]>(5).Select(FromBytes)], reader.GetString(6), reader.GetString(7),
        reader.IsDBNull(8) ? null : reader.GetGuid(8), reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9),
        reader.GetFieldValue<DateTimeOffset>(10));

    /// <summary>The 32 bytes of a hash, most significant first (as its hex form reads).</summary>
    public static byte[] ToBytes(PdqHash hash) => Convert.FromHexString(hash.ToHex());

    public static PdqHash FromBytes(byte[] bytes) => PdqHash.Parse(Convert.ToHexStringLower(bytes));
}
