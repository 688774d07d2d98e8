using System.Security.Cryptography;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace AiSocial.Benchmarks;

/// <summary>
/// Fills a benchmark database with binary COPY: accounts (each with a known bearer token), follows, and posts with their
/// media, tags, counters and likes, published over the last 30 days. Foreign keys and triggers are skipped while loading
/// (session_replication_role = replica, which needs a superuser); the rows written are consistent by construction.
/// </summary>
internal sealed class TimelineSeeder(NpgsqlDataSource dataSource, int accounts, int followsPerAccount, int likesPerPost)
{
    public const int TagCount = 1000;
    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;
    private int _posts;

    public int Posts => _posts;

    /// <summary>Carries on from a database an earlier run seeded with the same accounts and <paramref name="posts"/> posts.</summary>
    public void ResumeAt(int posts) => _posts = posts;

    /// <summary>Account n (1-based): its id and its token are derived from n, so the load tools can pick a reader at random.</summary>
    public static Guid AccountId(int n) => Guid.Parse($"00000000-0000-4000-8000-{n:x12}");

    public static string Token(int n) => $"ais_bench{n}";

    /// <summary>The same id in SQL, from a pgbench variable holding n.</summary>
    public static string AccountIdSql(string variable) => $"('00000000-0000-4000-8000-' || lpad(to_hex({variable}::bigint), 12, '0'))::uuid";

    public static string Tag(int i) => $"tag{i}";

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = await dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("set session_replication_role = replica", connection);
        await command.ExecuteNonQueryAsync();
        return connection;
    }

    public async Task SeedAccountsAsync()
    {
        await using var connection = await OpenAsync();
        await using (var copy = await connection.BeginBinaryImportAsync(
                         "copy ingest.accounts (id, handle, display_name, birth_year, password_hash, created_at) from stdin (format binary)"))
        {
            for (var n = 1; n <= accounts; n++)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(AccountId(n), NpgsqlDbType.Uuid);
                await copy.WriteAsync($"bench_{n}", NpgsqlDbType.Text);
                await copy.WriteAsync($"Bench {n}", NpgsqlDbType.Text);
                await copy.WriteAsync(1990, NpgsqlDbType.Integer);
                await copy.WriteAsync("-", NpgsqlDbType.Text);
                await copy.WriteAsync(_now.AddDays(-60), NpgsqlDbType.TimestampTz);
            }

            await copy.CompleteAsync();
        }

        await using (var copy = await connection.BeginBinaryImportAsync(
                         "copy ingest.access_tokens (id, account_id, token_hash, created_at, expires_at) from stdin (format binary)"))
        {
            for (var n = 1; n <= accounts; n++)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid);
                await copy.WriteAsync(AccountId(n), NpgsqlDbType.Uuid);
                await copy.WriteAsync(SHA256.HashData(Encoding.UTF8.GetBytes(Token(n))), NpgsqlDbType.Bytea);
                await copy.WriteAsync(_now, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync(_now.AddDays(30), NpgsqlDbType.TimestampTz);
            }

            await copy.CompleteAsync();
        }

        var random = new Random(1);
        await using (var copy = await connection.BeginBinaryImportAsync("copy ingest.follows (follower_id, followee_id, created_at) from stdin (format binary)"))
        {
            var followees = new SortedSet<int>();
            for (var n = 1; n <= accounts; n++)
            {
                followees.Clear();
                while (followees.Count < Math.Min(followsPerAccount, accounts - 1))
                {
                    var other = random.Next(1, accounts + 1);
                    if (other != n)
                    {
                        followees.Add(other);
                    }
                }

                foreach (var other in followees)
                {
                    await copy.StartRowAsync();
                    await copy.WriteAsync(AccountId(n), NpgsqlDbType.Uuid);
                    await copy.WriteAsync(AccountId(other), NpgsqlDbType.Uuid);
                    await copy.WriteAsync(_now.AddDays(-30), NpgsqlDbType.TimestampTz);
                }
            }

            await copy.CompleteAsync();
        }
    }

    /// <summary>Adds posts until there are <paramref name="total"/>, each with its media row, tags, counters and likes.</summary>
    public async Task GrowPostsAsync(int total)
    {
        var random = new Random(_posts + 7);
        var batch = new List<(Guid Id, int Author, string Sha, DateTimeOffset At, string[] Tags, int Likes, bool Sensitive)>();
        for (var i = _posts; i < total; i++)
        {
            var tags = new string[random.Next(0, 4)];
            for (var t = 0; t < tags.Length; t++)
            {
                // Skewed, as real tags are: tag0 is on about a tenth of posts, most tags on few.
                tags[t] = Tag((int)(TagCount * Math.Pow(random.NextDouble(), 3)));
            }

            batch.Add((Guid.CreateVersion7(), random.Next(1, accounts + 1), Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(i))),
                _now - TimeSpan.FromSeconds(random.NextDouble() * 30 * 86400), tags.Distinct().ToArray(), random.Next(0, 2 * likesPerPost + 1),
                random.Next(50) == 0));
        }

        await using var connection = await OpenAsync();
        await using (var copy = await connection.BeginBinaryImportAsync(
                         "copy ingest.media (sha256, content_type, width, height, byte_size, created_at, pdq_hash) from stdin (format binary)"))
        {
            var pdq = new byte[32];
            foreach (var post in batch)
            {
                random.NextBytes(pdq);
                await copy.StartRowAsync();
                await copy.WriteAsync(post.Sha, NpgsqlDbType.Text);
                await copy.WriteAsync("image/webp", NpgsqlDbType.Text);
                await copy.WriteAsync(1024, NpgsqlDbType.Integer);
                await copy.WriteAsync(1024, NpgsqlDbType.Integer);
                await copy.WriteAsync(200_000L, NpgsqlDbType.Bigint);
                await copy.WriteAsync(post.At, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync(pdq, NpgsqlDbType.Bytea);
            }

            await copy.CompleteAsync();
        }

        await using (var copy = await connection.BeginBinaryImportAsync(
                         """
                         copy ingest.posts (id, author_id, media_sha256, upload_sha256, prompt, status, created_at, published_at, idempotency_key,
                                            request_fingerprint, tags, sensitive) from stdin (format binary)
                         """))
        {
            var key = _posts;
            foreach (var post in batch)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(post.Id, NpgsqlDbType.Uuid);
                await copy.WriteAsync(AccountId(post.Author), NpgsqlDbType.Uuid);
                await copy.WriteAsync(post.Sha, NpgsqlDbType.Text);
                await copy.WriteAsync(post.Sha, NpgsqlDbType.Text);
                await copy.WriteAsync("a lighthouse at dusk, oil on canvas", NpgsqlDbType.Text);
                await copy.WriteAsync("published", NpgsqlDbType.Text);
                await copy.WriteAsync(post.At.AddMinutes(-1), NpgsqlDbType.TimestampTz);
                await copy.WriteAsync(post.At, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync($"bench-{key++}", NpgsqlDbType.Text);
                await copy.WriteAsync(new byte[] { 0 }, NpgsqlDbType.Bytea);
                await copy.WriteAsync(post.Tags, NpgsqlDbType.Array | NpgsqlDbType.Text);
                await copy.WriteAsync(post.Sensitive, NpgsqlDbType.Boolean);
            }

            await copy.CompleteAsync();
        }

        await using (var copy = await connection.BeginBinaryImportAsync("copy ingest.post_tags (tag, post_id, published_at) from stdin (format binary)"))
        {
            foreach (var post in batch)
            {
                foreach (var tag in post.Tags)
                {
                    await copy.StartRowAsync();
                    await copy.WriteAsync(tag, NpgsqlDbType.Text);
                    await copy.WriteAsync(post.Id, NpgsqlDbType.Uuid);
                    await copy.WriteAsync(post.At, NpgsqlDbType.TimestampTz);
                }
            }

            await copy.CompleteAsync();
        }

        await using (var copy = await connection.BeginBinaryImportAsync(
                         "copy ingest.post_counters (post_id, like_count, comment_count, view_count) from stdin (format binary)"))
        {
            foreach (var post in batch)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(post.Id, NpgsqlDbType.Uuid);
                await copy.WriteAsync((long)post.Likes, NpgsqlDbType.Bigint);
                await copy.WriteAsync((long)random.Next(0, 5), NpgsqlDbType.Bigint);
                await copy.WriteAsync((long)random.Next(0, 500), NpgsqlDbType.Bigint);
            }

            await copy.CompleteAsync();
        }

        await using (var copy = await connection.BeginBinaryImportAsync("copy ingest.likes (post_id, account_id, created_at) from stdin (format binary)"))
        {
            var likers = new SortedSet<int>();
            foreach (var post in batch)
            {
                likers.Clear();
                while (likers.Count < post.Likes)
                {
                    likers.Add(random.Next(1, accounts + 1));
                }

                foreach (var liker in likers)
                {
                    await copy.StartRowAsync();
                    await copy.WriteAsync(post.Id, NpgsqlDbType.Uuid);
                    await copy.WriteAsync(AccountId(liker), NpgsqlDbType.Uuid);
                    await copy.WriteAsync(post.At, NpgsqlDbType.TimestampTz);
                }
            }

            await copy.CompleteAsync();
        }

        _posts = total;
    }

    /// <summary>Row counts as stored, for the report.</summary>
    public async Task<string> CountsAsync()
    {
        await using var command = dataSource.CreateCommand(
            """
            select format('%s posts, %s likes, %s follows, %s accounts',
                (select count(*) from ingest.posts), (select count(*) from ingest.likes),
                (select count(*) from ingest.follows), (select count(*) from ingest.accounts))
            """);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
