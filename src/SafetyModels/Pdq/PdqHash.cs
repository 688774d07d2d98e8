using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;

namespace AiSocial.SafetyModels.Pdq;

/// <summary>
/// A 256-bit PDQ hash. Bit <c>16 * row + column</c> is set when that coefficient of the 16×16 DCT block lies above the
/// median; the hex form is the 256-bit number written most significant digit first, as Meta's reference tools print it.
/// </summary>
public readonly struct PdqHash : IEquatable<PdqHash>
{
    public const int Bits = 256;
    public const int HexLength = 64;

    // _w0 holds bits 0–63 (DCT rows 0–3), _w3 bits 192–255 (rows 12–15).
    private readonly ulong _w0;
    private readonly ulong _w1;
    private readonly ulong _w2;
    private readonly ulong _w3;

    /// <summary>From four 64-bit words, least significant (bits 0–63) first.</summary>
    public PdqHash(ulong w0, ulong w1, ulong w2, ulong w3)
    {
        _w0 = w0;
        _w1 = w1;
        _w2 = w2;
        _w3 = w3;
    }

    /// <summary>Whether bit <paramref name="index"/> (0–255) is set.</summary>
    public bool this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Bits);
            return ((Word(index >> 6) >> (index & 63)) & 1) != 0;
        }
    }

    /// <summary>Number of bits that differ (0 identical, 256 opposite).</summary>
    public int DistanceTo(PdqHash other) =>
        BitOperations.PopCount(_w0 ^ other._w0) + BitOperations.PopCount(_w1 ^ other._w1)
        + BitOperations.PopCount(_w2 ^ other._w2) + BitOperations.PopCount(_w3 ^ other._w3);

    /// <summary>Bits 16·<paramref name="index"/> to 16·<paramref name="index"/>+15: one row of the DCT block.</summary>
    internal ushort Chunk(int index) => (ushort)(Word(index >> 2) >> ((index & 3) << 4));

    public string ToHex() => $"{_w3:x16}{_w2:x16}{_w1:x16}{_w0:x16}";

    public override string ToString() => ToHex();

    /// <summary>Parses 64 hex digits (either case).</summary>
    public static PdqHash Parse(string hex) =>
        TryParse(hex, out var hash) ? hash : throw new FormatException($"A PDQ hash is {HexLength} hex digits; got '{hex}'.");

    public static bool TryParse([NotNullWhen(true)] string? hex, out PdqHash hash) => TryParse(hex.AsSpan(), out hash);

    public static bool TryParse(ReadOnlySpan<char> hex, out PdqHash hash)
    {
        hash = default;
        if (hex.Length != HexLength
            || !TryParseWord(hex[..16], out var w3) || !TryParseWord(hex[16..32], out var w2)
            || !TryParseWord(hex[32..48], out var w1) || !TryParseWord(hex[48..], out var w0))
        {
            return false;
        }

        hash = new PdqHash(w0, w1, w2, w3);
        return true;
    }

    public static PdqHash operator ^(PdqHash left, PdqHash right) =>
        new(left._w0 ^ right._w0, left._w1 ^ right._w1, left._w2 ^ right._w2, left._w3 ^ right._w3);

    public static bool operator ==(PdqHash left, PdqHash right) => left.Equals(right);

    public static bool operator !=(PdqHash left, PdqHash right) => !left.Equals(right);

    public bool Equals(PdqHash other) => _w0 == other._w0 && _w1 == other._w1 && _w2 == other._w2 && _w3 == other._w3;

    public override bool Equals(object? obj) => obj is PdqHash other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_w0, _w1, _w2, _w3);

    private ulong Word(int index) => index switch
    {
        0 => _w0,
        1 => _w1,
        2 => _w2,
        _ => _w3,
    };

    // AllowHexSpecifier alone admits neither signs, whitespace nor a 0x prefix.
    private static bool TryParseWord(ReadOnlySpan<char> digits, out ulong word) =>
        ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out word);
}
