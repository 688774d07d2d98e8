using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using AiSocial.Export.Datasets;

namespace AiSocial.Export.Writing;

/// <summary>
/// The dataset's keyed hashes (HMAC-SHA256 with the spec's salt): a stable row key per post, the author's pseudonym,
/// and the split a row key falls in. Nothing here depends on other rows, so removing one never moves another.
/// </summary>
internal sealed class RowKeys(string salt)
{
    public const string Train = "train";
    public const string Validation = "validation";
    public const string Test = "test";
    public const int Buckets = 10_000;

    public static readonly IReadOnlyList<string> Splits = [Train, Validation, Test];

    private readonly byte[] _key = Encoding.UTF8.GetBytes(salt);

    /// <summary>Lowercase hex of the first 16 bytes of HMAC(salt, "post:" + id).</summary>
    public string RowKey(Guid postId) => Convert.ToHexStringLower(Mac($"post:{postId}").AsSpan(0, 16));

    public string AuthorId(Guid authorId) => Convert.ToHexStringLower(Mac($"author:{authorId}"));

    /// <summary>The first 8 bytes of HMAC(salt, "split:" + row key) modulo <see cref="Buckets"/>.</summary>
    public int Bucket(string rowKey) => (int)(BinaryPrimitives.ReadUInt64BigEndian(Mac($"split:{rowKey}")) % Buckets);

    public string Split(string rowKey, DatasetSplits ratios)
    {
        var bucket = Bucket(rowKey);
        var train = (int)Math.Round(ratios.Train * Buckets);
        var validation = train + (int)Math.Round(ratios.Validation * Buckets);
        return bucket < train ? Train : bucket < validation ? Validation : Test;
    }

    private byte[] Mac(string message) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(message));
}
