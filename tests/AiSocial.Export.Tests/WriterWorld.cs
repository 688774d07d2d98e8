using System.Data;
using System.Security.Cryptography;
using AiSocial.Export.Datasets;
using AiSocial.Export.Writing;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Ingest.Media;
using AiSocial.Moderation.HashBanks;
using AiSocial.Testing;
using Npgsql;

namespace AiSocial.Export.Tests;

/// <summary>Writes posts straight into the tables (published, approved by policy) and runs the writer over a snapshot, as a run would.</summary>
internal sealed class WriterWorld(PlatformFixture platform)
{
    public PlatformFixture Platform => platform;

    public async Task<Guid> ConsentingAuthorAsync()
    {
        var author = await platform.CreateAccountAsync();
        await platform.Get<ConsentLedger>().RecordAsync(new Actor(author.Id, author.Handle), author.Id,
            new ConsentChange(ConsentPurposes.AiTraining, true, "2026-11"), ConsentSource.Import, default);
        return author.Id;
    }

    /// <summary>Stores <paramref name="image"/> as media (with the given PDQ hash, if any) unless it is stored already; returns its SHA-256.</summary>
    public async Task<string> MediaAsync(byte[] image, byte[]? pdq = null, string contentType = "image/png")
    {
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(image));
        var path = platform.Get<MediaStore>().PathFor(sha256);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (!File.Exists(path))
        {
            await File.WriteAllBytesAsync(path, image);
        }

        await using var command = platform.DataSource.CreateCommand(
            """
            insert into ingest.media (sha256, content_type, width, height, byte_size, pdq_hash) values ($1, $2, 64, 48, $3, $4)
            on conflict (sha256) do nothing
            """);
        command.Parameters.Add(new() { Value = sha256 });
        command.Parameters.Add(new() { Value = contentType });
        command.Parameters.Add(new() { Value = (long)image.Length });
        command.Parameters.Add(new() { Value = (object?)pdq ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea });
        await command.ExecuteNonQueryAsync();
        return sha256;
    }

    public async Task<Guid> PostAsync(Guid author, string media, string prompt = "a prompt", string? caption = null, string[]? tags = null,
        string visibility = "public", Guid? id = null)
    {
        var post = id ?? Guid.CreateVersion7();
        await using var command = platform.DataSource.CreateCommand(
            """
            insert into ingest.posts (id, author_id, media_sha256, upload_sha256, prompt, negative_prompt, caption, alt_text, status, created_at,
                                      published_at, tags, prompt_visibility)
            values ($1, $2, $3, $3, $4, $4 || ' (negative)', $5, 'alt text', 'published', now(), now(), $6, $7)
            """);
        command.Parameters.Add(new() { Value = post });
        command.Parameters.Add(new() { Value = author });
        command.Parameters.Add(new() { Value = media });
        command.Parameters.Add(new() { Value = prompt });
        command.Parameters.Add(new() { Value = (object?)caption ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = tags ?? [] });
        command.Parameters.Add(new() { Value = visibility });
        await command.ExecuteNonQueryAsync();
        await platform.ExecuteAsync("insert into moderation.labels (post_id, source, decision, policy_version) values ($1, 'policy', 'approve', 'policy-7')", post);
        await platform.ExecuteAsync(
            "insert into moderation.signals (post_id, source, model_version, category, score) values ($1, 'nsfw', 'nsfw-2', 'sexual', 0.125)", post);
        return post;
    }

    public async Task<DatasetSpec> DatasetAsync(Func<DatasetSpec, DatasetSpec>? change = null)
    {
        var name = $"w-{Guid.NewGuid():N}"[..20];
        await platform.Get<DatasetSpecs>().CreateAsync(Actor.System("test"),
            new DatasetSpec { Name = name, Description = "writer test", Purpose = ConsentPurposes.AiTraining }, default).AssertSucceededAsync();
        var spec = new DatasetSpec { Name = name, Description = "writer test", Purpose = ConsentPurposes.AiTraining, Salt = "a-salt-of-sixteen-or-more" };
        return change is null ? spec : change(spec);
    }

    public sealed record Written(Guid RunId, string Staging, WriteResult Result, List<RunProgress> Progress);

    /// <summary>One run of the writer as the runner would make it: a run row, a read-only repeatable-read snapshot, a staging directory.</summary>
    public async Task<Written> WriteAsync(DatasetSpec spec, bool incremental = false, int nearDuplicateBlock = NearDuplicateClusters.DefaultBlockSize)
    {
        var runId = Guid.CreateVersion7();
        await using (var command = platform.DataSource.CreateCommand(
            """
            insert into export.runs (id, dataset_id, status, requested_by, output, kind)
            select $1, id, 'running', 'test', '', $3 from export.datasets where name = $2
            """))
        {
            command.Parameters.Add(new() { Value = runId });
            command.Parameters.Add(new() { Value = spec.Name });
            command.Parameters.Add(new() { Value = incremental ? "incremental" : "full" });
            await command.ExecuteNonQueryAsync();
        }

        var staging = Directory.CreateTempSubdirectory("aisocial-writer-").FullName;
        var progress = new List<RunProgress>();
        await using var connection = await platform.DataSource.OpenConnectionAsync();
        await using var snapshot = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead);
        DateTimeOffset at;
        await using (var command = new NpgsqlCommand("set transaction read only; select now()", connection))
        {
            at = new DateTimeOffset((DateTime)(await command.ExecuteScalarAsync())!, TimeSpan.Zero);
        }

        var result = await new DatasetWriter(platform.DataSource, platform.Get<MediaStore>())
            .WriteAsync(connection, new WriteRequest(spec, 1, runId, staging, at, incremental, NearDuplicateBlock: nearDuplicateBlock), new SynchronousProgress<RunProgress>(progress.Add), default);
        await snapshot.CommitAsync();
        await platform.ExecuteAsync("update export.runs set status = 'succeeded' where id = $1", runId);
        return new Written(runId, staging, result, progress);
    }

    /// <summary>What publishing the run does to its rows (the runner's part): they become the dataset's published rows.</summary>
    public Task PublishAsync(DatasetSpec spec, Guid runId) => platform.ExecuteAsync(
        """
        insert into export.published_rows (dataset_id, row_key, post_id, run_id, split, shard, published_at)
        select d.id, r.row_key, r.post_id, r.run_id, r.split, s.path, now()
        from export.run_rows r
        join export.run_shards s on s.run_id = r.run_id and s.split = r.split and r.seq between s.first_row and s.last_row
        join export.datasets d on d.name = $2
        where r.run_id = $1
        on conflict (dataset_id, row_key) do nothing
        """, runId, spec.Name);

    public static string Shards(Written written) => DuckDb.Literal(Path.Combine(written.Staging, "data", "*.parquet"));
}
