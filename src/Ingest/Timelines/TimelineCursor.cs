using System.Buffers.Binary;
using System.Buffers.Text;
using AiSocial.Problems;

namespace AiSocial.Ingest.Timelines;

/// <summary>
/// An opaque position in one timeline. Chronological timelines (home, public, tag, profile) continue after
/// (<see cref="At"/>, <see cref="PostId"/>), both descending; trending continues after <see cref="Rank"/> within the
/// snapshot <see cref="Generation"/>, so a recomputation never moves items under a reader.
/// </summary>
internal sealed record TimelineCursor(TimelineKind Kind, DateTimeOffset At, Guid PostId, long Generation = 0, int Rank = 0)
{
    private const byte Version = 2;
    private const int Length = 38; // version, kind, ticks, id, generation, rank

    public static TimelineCursor After(TimelineKind kind, DateTimeOffset at, Guid postId) => new(kind, at, postId);

    public static TimelineCursor InSnapshot(long generation, int rank) => new(TimelineKind.Trending, DateTimeOffset.UnixEpoch, Guid.Empty, generation, rank);

    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[Length];
        bytes[0] = Version;
        bytes[1] = (byte)Kind;
        BinaryPrimitives.WriteInt64BigEndian(bytes[2..], At.UtcTicks);
        PostId.TryWriteBytes(bytes[10..], bigEndian: true, out _);
        BinaryPrimitives.WriteInt64BigEndian(bytes[26..], Generation);
        BinaryPrimitives.WriteInt32BigEndian(bytes[34..], Rank);
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>
    /// The position a page's <c>nextCursor</c> encodes (null for none given); refused when it is not one this server
    /// issued for this timeline.
    /// </summary>
    public static Outcome<TimelineCursor?> Decode(string? cursor, TimelineKind kind)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return (TimelineCursor?)null;
        }

        var malformed = new Refusal(IngestProblems.InvalidCursor, "The cursor is malformed or belongs to another timeline; use nextCursor from a previous page of this one.");
        Span<byte> bytes = stackalloc byte[Length];
        // TryDecodeFromChars throws on characters outside the alphabet, so the text is checked first.
        if (cursor.Length > 64 || !Base64Url.IsValid(cursor, out var length) || length != Length ||
            !Base64Url.TryDecodeFromChars(cursor, bytes, out _) || bytes[0] != Version || bytes[1] != (byte)kind)
        {
            return malformed;
        }

        var ticks = BinaryPrimitives.ReadInt64BigEndian(bytes[2..]);
        var generation = BinaryPrimitives.ReadInt64BigEndian(bytes[26..]);
        var rank = BinaryPrimitives.ReadInt32BigEndian(bytes[34..]);
        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks || generation < 0 || rank < 0)
        {
            return malformed;
        }

        return new TimelineCursor(kind, new DateTimeOffset(ticks, TimeSpan.Zero), new Guid(bytes[10..26], bigEndian: true), generation, rank);
    }
}
