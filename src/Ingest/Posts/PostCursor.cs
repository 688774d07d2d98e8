using System.Buffers.Binary;
using System.Buffers.Text;
using AiSocial.Problems;

namespace AiSocial.Ingest.Posts;

/// <summary>An opaque position in a list of posts ordered by a time and the id, both descending (a post's remixes).</summary>
public sealed record PostCursor(DateTimeOffset At, Guid PostId)
{
    private const byte Version = 1;

    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[25];
        bytes[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(bytes[1..], At.UtcTicks);
        PostId.TryWriteBytes(bytes[9..], bigEndian: true, out _);
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>
    /// The cursor a page's <c>nextCursor</c> encodes (null for none given); refused when it is not one this server issued.
    /// </summary>
    public static Outcome<PostCursor?> Decode(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return (PostCursor?)null;
        }

        var malformed = new Refusal(IngestProblems.InvalidCursor, "The cursor is malformed; use nextCursor from a previous page.");
        Span<byte> bytes = stackalloc byte[25];
        // TryDecodeFromChars throws on characters outside the alphabet, so the text is checked first.
        if (cursor.Length > 40 || !Base64Url.IsValid(cursor, out var length) || length != 25 ||
            !Base64Url.TryDecodeFromChars(cursor, bytes, out _) || bytes[0] != Version)
        {
            return malformed;
        }

        var ticks = BinaryPrimitives.ReadInt64BigEndian(bytes[1..]);
        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            return malformed;
        }

        return new PostCursor(new DateTimeOffset(ticks, TimeSpan.Zero), new Guid(bytes[9..], bigEndian: true));
    }
}

/// <summary>A page of posts; <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record PostPage(IReadOnlyList<Post> Items, string? NextCursor);
