using AiSocial.SafetyModels.Pdq;

namespace AiSocial.SafetyModels.Tests.Pdq;

public sealed class PdqHashTests
{
    private const string Staircase = "0007001f003f003f007f00ff00ff00ff01ff01ff01ff03ff03ff03ff03ff03ff";

    [Fact]
    public void Hex_round_trips_and_is_the_number_written_most_significant_digit_first()
    {
        var hash = PdqHash.Parse(Staircase);

        Assert.Equal(Staircase, hash.ToHex());
        Assert.Equal(hash, PdqHash.Parse(Staircase.ToUpperInvariant()));
        // The last four digits (03ff) are DCT row 0, bits 0–15; the first four (0007) are row 15, bits 240–255.
        Assert.Equal([true, true, true, true, true, true, true, true, true, true, false], Enumerable.Range(0, 11).Select(i => hash[i]));
        Assert.Equal([true, true, true, false], Enumerable.Range(240, 4).Select(i => hash[i]));
        Assert.Equal(Staircase.Sum(c => System.Numerics.BitOperations.PopCount(Convert.ToUInt32(c.ToString(), 16))),
            Enumerable.Range(0, PdqHash.Bits).Count(i => hash[i]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0007001f003f003f007f00ff00ff00ff01ff01ff01ff03ff03ff03ff03ff03f")]
    [InlineData("0007001f003f003f007f00ff00ff00ff01ff01ff01ff03ff03ff03ff03ff03ff0")]
    [InlineData("0007001f003f003f007f00ff00ff00ff01ff01ff01ff03ff03ff03ff03ff03fg")]
    [InlineData("0x07001f003f003f007f00ff00ff00ff01ff01ff01ff03ff03ff03ff03ff03ff")]
    [InlineData(" 007001f003f003f007f00ff00ff00ff01ff01ff01ff03ff03ff03ff03ff03ff")]
    [InlineData("-007001f003f003f007f00ff00ff00ff01ff01ff01ff03ff03ff03ff03ff03ff")]
    public void Anything_but_64_hex_digits_is_refused(string text)
    {
        Assert.False(PdqHash.TryParse(text, out _));
        Assert.Throws<FormatException>(() => PdqHash.Parse(text));
    }

    [Fact]
    public void Distance_counts_the_differing_bits()
    {
        var hash = PdqHash.Parse(Staircase);
        var flipped = hash ^ new PdqHash(0b1011, 0, 1UL << 63, 0xFFFF_0000_0000_0000);

        Assert.Equal(0, hash.DistanceTo(hash));
        Assert.Equal(3 + 1 + 16, hash.DistanceTo(flipped));
        Assert.Equal(PdqHash.Bits, hash.DistanceTo(hash ^ new PdqHash(ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue)));
        Assert.NotEqual(hash, flipped);
    }
}
