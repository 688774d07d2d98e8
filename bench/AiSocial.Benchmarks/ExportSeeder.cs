using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Ingest.Media;
using Npgsql;
using NpgsqlTypes;
using SkiaSharp;

namespace AiSocial.Benchmarks;

/// <summary>
/// Fills a benchmark database with posts that are all eligible for a dataset whose purpose is
/// <see cref="ConsentPurposes.AiTraining"/>: published, approved by policy (a label and one model signal each), by
/// adult authors who granted that purpose through the real <see cref="ConsentLedger"/> under the current terms, each
/// post with its own image in the <see cref="MediaStore"/>. Rows go in by binary COPY, with foreign keys and triggers
/// skipped (session_replication_role = replica, which needs a superuser); they are consistent by construction.
/// <para>
/// Images: <see cref="BaseImages"/> noise JPEGs of about 100 KB are encoded once; post i takes base i mod that count
/// with a JPEG comment segment naming i inserted after the start marker, so every file is a valid JPEG with its own
/// SHA-256 at the cost of a copy. Their pixels repeat every <see cref="BaseImages"/> posts (about 400 MB apart, farther
/// than any row group or compression window reaches), so the PDQ hash ingest would compute would repeat too; the
/// stored <c>media.pdq_hash</c>, which is what the exporter's near-duplicate pass reads (it never hashes images
/// itself), is instead 256 random bits per post, about 128 bits from every other and far beyond the 31-bit
/// threshold, so no post collapses into another. The run checks that none did.
/// </para>
/// </summary>
internal sealed class ExportSeeder(NpgsqlDataSource dataSource, MediaStore media, ConsentLedger ledger, TermsCatalog terms)
{
    public const int BaseImages = 4096;
    public const int TargetImageBytes = 100_000;
    private const int Authors = 1000;

    private static readonly string[] Subjects = ["a lighthouse in fog", "watercolour of a fox in snow", "a bowl of ramen, studio light", "isometric city at dusk",
        "a cat asleep on a windowsill", "portrait of an astronaut, oil on canvas", "a forest path in autumn", "a steam train crossing a viaduct"];

    private static readonly string[] Tags = ["landscape", "portrait", "animals", "city", "food", "abstract", "space", "nature", "retro", "night"];

    public sealed record Seeded(long ImageBytes, int Width, int Height, TimeSpan Images, TimeSpan Files, TimeSpan Rows);

    public async Task<Seeded> SeedAsync(int posts, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var (bases, side) = EncodeBaseImages(Math.Min(posts, BaseImages));
        var images = stopwatch.Elapsed;

        stopwatch.Restart();
        var shas = new string[posts];
        long bytes = 0;
        Parallel.For(0, posts, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, () => 0L, (i, _, total) =>
        {
            var image = Variant(bases[i % bases.Count], i);
            var sha256 = Convert.ToHexStringLower(SHA256.HashData(image));
            var path = media.PathFor(sha256);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, image);
            shas[i] = sha256;
            return total + image.Length;
        }, total => Interlocked.Add(ref bytes, total));
        var files = stopwatch.Elapsed;

        stopwatch.Restart();
        var authors = await AuthorsAsync(Math.Min(posts, Authors), cancellationToken);
        await PostsAsync(shas, bytes / posts, side, authors, cancellationToken);
        return new Seeded(bytes, side, side, images, files, stopwatch.Elapsed);
    }

    /// <summary>Square noise JPEGs of about <see cref="TargetImageBytes"/>: one is encoded to find the side that gives that size.</summary>
    private static (IReadOnlyList<byte[]> Images, int Side) EncodeBaseImages(int count)
    {
        var probe = Noise(256, seed: -1).Length;
        var side = Math.Max(16, (int)Math.Round(256 * Math.Sqrt((double)TargetImageBytes / probe)));
        var images = new byte[count][];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i => images[i] = Noise(side, i));
        return (images, side);
    }

    private static byte[] Noise(int side, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[side * side * 4];
        random.NextBytes(pixels);
        for (var p = 3; p < pixels.Length; p += 4)
        {
            pixels[p] = 255;
        }

        using var image = SKImage.FromPixelCopy(new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Opaque), pixels);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 85);
        return data.ToArray();
    }

    /// <summary>The base JPEG with a comment segment (FF FE, length, text) right after its start-of-image marker.</summary>
    private static byte[] Variant(byte[] jpeg, int i)
    {
        var comment = Encoding.ASCII.GetBytes($"aisocial bench post {i}");
        var variant = new byte[jpeg.Length + 4 + comment.Length];
        jpeg.AsSpan(0, 2).CopyTo(variant);
        variant[2] = 0xFF;
        variant[3] = 0xFE;
        BinaryPrimitives.WriteUInt16BigEndian(variant.AsSpan(4), (ushort)(2 + comment.Length));
        comment.CopyTo(variant.AsSpan(6));
        jpeg.AsSpan(2).CopyTo(variant.AsSpan(6 + comment.Length));
        return variant;
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("set session_replication_role = replica", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    /// <summary>Adult accounts, each granting the purpose through the ledger (hash chain and audit entry included).</summary>
    private async Task<Guid[]> AuthorsAsync(int count, CancellationToken cancellationToken)
    {
        var ids = Enumerable.Range(1, count).Select(n => Guid.Parse($"00000000-0000-4000-9000-{n:x12}")).ToArray();
        await using (var connection = await OpenAsync(cancellationToken))
        await using (var copy = await connection.BeginBinaryImportAsync(
                         "copy ingest.accounts (id, handle, display_name, birth_year, password_hash, created_at) from stdin (format binary)", cancellationToken))
        {
            for (var n = 0; n < count; n++)
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(ids[n], NpgsqlDbType.Uuid, cancellationToken);
                await copy.WriteAsync($"bench_{n + 1}", NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync($"Bench {n + 1}", NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(1990, NpgsqlDbType.Integer, cancellationToken);
                await copy.WriteAsync("-", NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(DateTimeOffset.UtcNow.AddDays(-60), NpgsqlDbType.TimestampTz, cancellationToken);
            }

            await copy.CompleteAsync(cancellationToken);
        }

        var current = await terms.CurrentAsync(cancellationToken) ?? throw new InvalidOperationException("No terms version is in effect.");
        for (var n = 0; n < count; n++)
        {
            var granted = await ledger.RecordAsync(new Actor(ids[n], $"bench_{n + 1}"), ids[n],
                new ConsentChange(ConsentPurposes.AiTraining, true, current.Version), ConsentSource.Import, cancellationToken);
            if (granted.Refusal is { } refusal)
            {
                throw new InvalidOperationException($"The ledger refused a grant: {refusal.Detail}");
            }
        }

        return ids;
    }

    private async Task PostsAsync(string[] shas, long averageBytes, int side, Guid[] authors, CancellationToken cancellationToken)
    {
        var random = new Random(12);
        var now = DateTimeOffset.UtcNow;
        var ids = new Guid[shas.Length];
        await using var connection = await OpenAsync(cancellationToken);
        await using (var copy = await connection.BeginBinaryImportAsync(
                         "copy ingest.media (sha256, content_type, width, height, byte_size, created_at, pdq_hash) from stdin (format binary)", cancellationToken))
        {
            var pdq = new byte[32];
            foreach (var sha256 in shas)
            {
                random.NextBytes(pdq);
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(sha256, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync("image/jpeg", NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(side, NpgsqlDbType.Integer, cancellationToken);
                await copy.WriteAsync(side, NpgsqlDbType.Integer, cancellationToken);
                await copy.WriteAsync(averageBytes, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(now.AddDays(-2), NpgsqlDbType.TimestampTz, cancellationToken);
                await copy.WriteAsync(pdq, NpgsqlDbType.Bytea, cancellationToken);
            }

            await copy.CompleteAsync(cancellationToken);
        }

        await using (var copy = await connection.BeginBinaryImportAsync(
                         """
                         copy ingest.posts (id, author_id, media_sha256, upload_sha256, prompt, negative_prompt, caption, alt_text, status, created_at,
                                            published_at, tags) from stdin (format binary)
                         """, cancellationToken))
        {
            for (var i = 0; i < shas.Length; i++)
            {
                ids[i] = Guid.CreateVersion7();
                var subject = Subjects[random.Next(Subjects.Length)];
                var at = now - TimeSpan.FromSeconds(shas.Length - i);
                var tags = Enumerable.Range(0, random.Next(0, 4)).Select(_ => Tags[random.Next(Tags.Length)]).Distinct().ToArray();
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(ids[i], NpgsqlDbType.Uuid, cancellationToken);
                await copy.WriteAsync(authors[random.Next(authors.Length)], NpgsqlDbType.Uuid, cancellationToken);
                await copy.WriteAsync(shas[i], NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(shas[i], NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync($"{subject}, variation {i}, highly detailed", NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync("blurry, low quality", NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(i % 3 == 0 ? $"My {subject} #{i}" : null, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(subject, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync("published", NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(at.AddMinutes(-1), NpgsqlDbType.TimestampTz, cancellationToken);
                await copy.WriteAsync(at, NpgsqlDbType.TimestampTz, cancellationToken);
                await copy.WriteAsync(tags, NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
            }

            await copy.CompleteAsync(cancellationToken);
        }

        await using (var copy = await connection.BeginBinaryImportAsync(
                         "copy moderation.labels (post_id, source, decision, policy_version) from stdin (format binary)", cancellationToken))
        {
            foreach (var id in ids)
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(id, NpgsqlDbType.Uuid, cancellationToken);
                await copy.WriteAsync("policy", NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync("approve", NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync("policy-1", NpgsqlDbType.Text, cancellationToken);
            }

            await copy.CompleteAsync(cancellationToken);
        }

        await using (var copy = await connection.BeginBinaryImportAsync(
                         "copy moderation.signals (post_id, source, model_version, category, score) from stdin (format binary)", cancellationToken))
        {
            foreach (var id in ids)
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(id, NpgsqlDbType.Uuid, cancellationToken);
                await copy.WriteAsync("nsfw", NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync("nsfw-2", NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync("sexual", NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync((float)(random.NextDouble() * 0.2), NpgsqlDbType.Real, cancellationToken);
            }

            await copy.CompleteAsync(cancellationToken);
        }

        await using var analyze = new NpgsqlCommand("analyze", connection);
        await analyze.ExecuteNonQueryAsync(cancellationToken);
    }
}
