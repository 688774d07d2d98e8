using System.Buffers.Binary;
using System.Buffers.Text;
using AiSocial.Problems;

namespace AiSocial.Ingest.Social;

/// <summary>
/// An opaque position in a list of comments, notifications or reports: a kind byte, then fixed numbers and ids. A cursor
/// of one list is refused by another.
/// </summary>
internal static class PageCursor
{
    public const byte Comments = 0x21;
    public const byte Notifications = 0x22;
    public const byte Reports = 0x23;

    private const int MaxLength = 200;

    public static string Encode(byte kind, ReadOnlySpan<long> numbers, ReadOnlySpan<Guid> ids)
    {
        var bytes = new byte[1 + numbers.Length * 8 + ids.Length * 16];
        bytes[0] = kind;
        var at = 1;
        foreach (var number in numbers)
        {
            BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(at), number);
            at += 8;
        }

        foreach (var id in ids)
        {
            id.TryWriteBytes(bytes.AsSpan(at), bigEndian: true, out _);
            at += 16;
        }

        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>The numbers and ids of a cursor this server issued for <paramref name="kind"/>; refused otherwise.</summary>
    public static Outcome<(long[] Numbers, Guid[] Ids)> Decode(string cursor, byte kind, int numberCount, int idCount)
    {
        var malformed = new Refusal(IngestProblems.InvalidCursor, "The cursor is malformed; use nextCursor from a previous page.");
        var size = 1 + numberCount * 8 + idCount * 16;
        // TryDecodeFromChars throws on characters outside the alphabet, so the text is checked first.
        if (cursor.Length > MaxLength || !Base64Url.IsValid(cursor, out var length) || length != size)
        {
            return malformed;
        }

        var bytes = new byte[size];
        if (!Base64Url.TryDecodeFromChars(cursor, bytes, out _) || bytes[0] != kind)
        {
            return malformed;
        }

        var numbers = new long[numberCount];
        var ids = new Guid[idCount];
        var at = 1;
        for (var i = 0; i < numberCount; i++, at += 8)
        {
            numbers[i] = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(at));
        }

        for (var i = 0; i < idCount; i++, at += 16)
        {
            ids[i] = new Guid(bytes.AsSpan(at, 16), bigEndian: true);
        }

        return (numbers, ids);
    }

    public static long ToNumber(DateTimeOffset time) => time.UtcTicks;

    /// <summary>A time from a cursor; null when the number is no time at all (a forged cursor).</summary>
    public static DateTimeOffset? ToTime(long ticks) =>
        ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
}
