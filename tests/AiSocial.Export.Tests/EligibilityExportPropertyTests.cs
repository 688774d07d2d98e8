using System.Text.Json;
using AiSocial.Export.Datasets;
using AiSocial.Export.Runs;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Creators;
using AiSocial.Ingest.Posts;
using AiSocial.Testing;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Export.Tests;

/// <summary>
/// Issue 11, point 9, through the database: one random history of a few hundred posts written into the tables, exported
/// by the real exporter and read back with DuckDB. The rows are exactly the posts the oracle allows, each with the
/// consent event in force at the export's snapshot, and the manifest counts every other post under its first reason.
/// </summary>
public sealed class EligibilityExportPropertyTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private const int Seed = 20261201;

    [Fact]
    public async Task The_exporter_ships_exactly_the_posts_the_oracle_allows_each_with_the_consent_in_force()
    {
        var random = new Random(Seed);
        // The stored images: every generated post shows one, so their files and PDQ hashes are real.
        var seeder = await platform.CreateAccountAsync();
        var seedPosts = new List<Post>();
        for (var i = 0; i < 6; i++)
        {
            seedPosts.Add(await platform.SubmitPostAsync(seeder.Id, TestImages.Png(96, 96, seed: 900 + i), "seed image"));
        }

        var media = new List<(string Sha256, byte[] Pdq)>();
        foreach (var post in seedPosts)
        {
            media.Add((post.Media.Sha256, await platform.ScalarAsync<byte[]>("select pdq_hash from ingest.media where sha256 = $1", post.Media.Sha256)));
        }

        long nextEventId = 1;
        var generated = EligibilityHistory.Generate(random, ref nextEventId,
            new HistoryShape(Authors: 40, Posts: 400, OptOuts: 10, media.Select(m => m.Pdq).ToList(), FirstTerms: $"gen-{Guid.NewGuid():N}"[..20]));
        Assert.True(generated.Posts.Count >= 150, $"{generated.Posts.Count} posts");

        // History time t is stored as t + shift; the history's snapshot lies just before the writes start, and is moved
        // to the export's own snapshot afterwards (nothing the history puts after it is earlier than that).
        var shift = DateTimeOffset.UtcNow - generated.SnapshotAt;
        DateTimeOffset Real(DateTimeOffset t) => t + shift;
        var eventIds = await WriteAsync(generated, Real, media.Select(m => m.Sha256).ToList());

        var dataset = $"prop-{Guid.NewGuid():N}"[..20];
        await platform.Get<DatasetSpecs>().CreateAsync(Actor.System("test"), new DatasetSpec
        {
            Name = dataset,
            Description = "property test",
            Purpose = generated.Dataset.Purpose,
            Filters = new DatasetFilters { IncludeSensitive = generated.Dataset.AllowSensitive },
        }, default).AssertSucceededAsync();
        var output = Path.Combine(Directory.CreateTempSubdirectory("aisocial-property-").FullName, "out");
        var run = (await platform.Get<ExportRunner>().RunAsync(dataset, Actor.System("test"), ExportRunKind.Full, output, null, default)).Value.Manifest!;

        var seeded = await platform.ScalarAsync<DateTime>("select effective_at from ingest.terms_versions where version = '2026-11'");
        var history = generated with
        {
            SnapshotAt = run.SnapshotAt - shift,
            Terms = [.. generated.Terms, EligibilityHistory.Published("2026-11", new DateTimeOffset(seeded, TimeSpan.Zero) - shift)],
        };
        var expected = new Dictionary<string, long>();
        var included = new Dictionary<string, long>();
        var imageOf = new Dictionary<string, int>();
        foreach (var post in history.Posts)
        {
            var (reasons, inForce) = Oracle.Judge(history, post);
            if (reasons.Count == 0)
            {
                included[post.Candidate.PostId.ToString()] = eventIds[inForce!.Value];
                imageOf[post.Candidate.PostId.ToString()] = post.MediaIndex;
            }
            else
            {
                expected[reasons[0]] = expected.GetValueOrDefault(reasons[0]) + 1;
            }
        }

        // The seed images' own posts are still pending, and every other test account has no posts.
        expected[ExclusionReasons.NotPublished] = expected.GetValueOrDefault(ExclusionReasons.NotPublished) + seedPosts.Count;

        var rows = await DuckDb.QueryAsync($"select post_id, consent_event_id from read_parquet({DuckDb.Literal(Path.Combine(output, "data", "*.parquet"))})");
        var exported = rows.ToDictionary(r => r.GetProperty("post_id").GetString()!, r => long.Parse(r.GetProperty("consent_event_id").ToString()));
        Assert.True(included.Count >= 20, $"only {included.Count} included");
        // Posts showing the same image are one row, the earliest post's (the seed images are far apart, so only copies collapse).
        var representatives = included.GroupBy(p => imageOf[p.Key]).Select(g => g.MinBy(p => Guid.Parse(p.Key))).ToList();
        Assert.Equal(representatives.OrderBy(p => p.Key), exported.OrderBy(p => p.Key));
        Assert.Equal(representatives.Count, run.RowsIncluded);
        Assert.Equal(expected.OrderBy(e => e.Key), run.Excluded.OrderBy(e => e.Key));
        // The history reaches the rules that need the database's own data: opt-outs by name, style and work, consent and terms.
        Assert.All([ExclusionReasons.CreatorOptOutName, ExclusionReasons.CreatorOptOutStyle, ExclusionReasons.CreatorOptOutWork,
            ExclusionReasons.ConsentWithdrawn, ExclusionReasons.TermsNotAccepted, ExclusionReasons.IncomingSignal, ExclusionReasons.OpenReports],
            reason => Assert.True(run.Excluded.ContainsKey(reason), $"{reason}: {string.Join(", ", run.Excluded)}; {included.Count} included"));
    }

    /// <summary>Writes the history into the tables as the platform would have; returns each generated consent event's id in the ledger.</summary>
    private async Task<Dictionary<long, long>> WriteAsync(EligibilityHistory history, Func<DateTimeOffset, DateTimeOffset> real, IReadOnlyList<string> media)
    {
        await using var connection = await platform.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        async Task ExecuteAsync(string sql, params object?[] values)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            foreach (var value in values)
            {
                command.Parameters.Add(value is null ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Unknown } : new NpgsqlParameter { Value = value });
            }

            await command.ExecuteNonQueryAsync();
        }

        foreach (var terms in history.Terms)
        {
            await ExecuteAsync("insert into ingest.terms_versions (version, effective_at, text) values ($1, $2, 'property test terms')",
                terms.Version, real(terms.EffectiveAt));
        }

        var reporters = new List<Guid>();
        foreach (var author in history.Authors)
        {
            await ExecuteAsync(
                """
                insert into ingest.accounts (id, handle, display_name, birth_year, password_hash, suspended_at, suspended_reason, erased_at)
                values ($1, $2, 'Property author', $3, 'not a password', $4::timestamptz, case when $4::timestamptz is null then null else 'test' end, $5::timestamptz)
                """,
                author.Id, $"p_{author.Id:N}"[..20], author.BirthYear, author.SuspendedAt is { } s ? real(s) : null, author.ErasedAt is { } e ? real(e) : null);
        }

        for (var i = 0; i < 2 + history.OptOuts.Count; i++)
        {
            var id = Guid.NewGuid();
            await ExecuteAsync("insert into ingest.accounts (id, handle, display_name, birth_year, password_hash) values ($1, $2, 'Helper', 1980, 'x')",
                id, $"h_{id:N}"[..20]);
            reporters.Add(id);
        }

        var eventIds = new Dictionary<long, long>();
        foreach (var (author, consent) in history.Authors.SelectMany(a => a.Consent.Select(c => (a, c))).OrderBy(x => x.c.Id))
        {
            await using var command = new NpgsqlCommand(
                """
                insert into ingest.consent_events (account_id, purpose, granted, terms_version, occurred_at, source_kind)
                values ($1, $2, $3, $4, $5, 'import') returning id
                """, connection);
            command.Parameters.Add(new() { Value = author.Id });
            command.Parameters.Add(new() { Value = consent.Purpose });
            command.Parameters.Add(new() { Value = consent.Granted });
            command.Parameters.Add(new() { Value = consent.TermsVersion });
            command.Parameters.Add(new() { Value = real(consent.OccurredAt) });
            eventIds[consent.Id] = (long)(await command.ExecuteScalarAsync())!;
        }

        // Each opt-out belongs to its own creator (one account may not claim the same phrase twice).
        for (var i = 0; i < history.OptOuts.Count; i++)
        {
            var optOut = history.OptOuts[i];
            var reviewedAt = optOut.Verified ? optOut.VerifiedAt : (i % 2 == 0 ? null : (DateTimeOffset?)history.SnapshotAt.AddDays(-1));
            await ExecuteAsync(
                """
                insert into ingest.creator_optouts (id, account_id, kind, value, normalized, pdq_hashes, status, reviewed_by, reviewed_at, removed_at)
                values ($1, $2, $3, $4, $5::text, $6::bytea[], $7, case when $8::timestamptz is null then null else $2 end, $8::timestamptz, $9::timestamptz)
                """,
                optOut.Id, reporters[2 + i], optOut.Kind, optOut.Phrase ?? "a work", optOut.Phrase is null ? null : CreatorNames.Normalize(optOut.Phrase),
                optOut.Kind == OptOutKinds.Work ? optOut.Works.ToArray() : null,
                optOut.Verified ? "verified" : reviewedAt is null ? "pending" : "rejected",
                reviewedAt is { } r ? real(r) : null, optOut.RemovedAt is { } removed ? real(removed) : null);
        }

        foreach (var generated in history.Posts)
        {
            var post = generated.Candidate;
            var texts = post.Texts;
            var provenance = post.Signals is { } signals
                ? JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["metadata"] = signals.Readable ? "readable" : "unreadable",
                    ["dataMining"] = signals.DataMining,
                    ["c2pa"] = signals.TrainingMining is not null,
                    ["trainingMining"] = signals.TrainingMining,
                })
                : null;
            var published = post.Status == PostStatus.Published ? real(post.CreatedAt) : (DateTimeOffset?)null;
            await ExecuteAsync(
                """
                insert into ingest.posts (id, author_id, media_sha256, upload_sha256, prompt, negative_prompt, caption, alt_text, status,
                                          created_at, published_at, idempotency_key, request_fingerprint, deleted_at, sensitive,
                                          allow_training, provenance)
                values ($1, $2, $3, $3, $4, $5::text, $6::text, $7::text, $8, $9, $10::timestamptz, $11, '\x00', $12::timestamptz, $13,
                        $14::boolean, $15::jsonb)
                """,
                post.PostId, post.AuthorId, media[generated.MediaIndex], texts[0] ?? "", texts[1], texts[2], texts[3], post.Status.ToString().ToLowerInvariant(),
                real(post.CreatedAt), published, post.PostId.ToString(), post.DeletedAt is { } d ? real(d) : null, post.Sensitive,
                post.AllowTraining, provenance);
            if (texts[4] is { } ocr)
            {
                await ExecuteAsync(
                    """
                    insert into moderation.signals (post_id, source, model_version, category, score, detail)
                    values ($1, 'ocr', 'test', 'text_found', 1, jsonb_build_object('text', $2::text))
                    """, post.PostId, ocr);
            }

            if (post.Label is { } label)
            {
                await ExecuteAsync("insert into moderation.labels (post_id, source, decision, policy_version) values ($1, 'policy', $2, 'test')",
                    post.PostId, label.ToString().ToLowerInvariant());
            }

            for (var r = 0; r < post.OpenReports; r++)
            {
                await ExecuteAsync("insert into ingest.reports (id, reporter_id, subject_type, subject_id, reason) values ($1, $2, 'post', $3, 'other')",
                    Guid.NewGuid(), reporters[r], post.PostId);
            }
        }

        await transaction.CommitAsync();
        return eventIds;
    }
}
