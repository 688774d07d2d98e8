using AiSocial.Moderation.TextClassifier;

namespace AiSocial.Moderation.Tests.TextClassifier;

public sealed class TextClassifierTextTests
{
    [Fact]
    public void Prompt_caption_and_ocr_are_joined_in_order_and_blank_parts_left_out()
    {
        Assert.Equal("a cat\non a mat\nSALE", TextClassifierText.Compose(["a cat", null, "on a mat", "  ", "SALE"]));
        Assert.Equal("", TextClassifierText.Compose([null, ""]));
    }

    [Theory]
    [InlineData("  Hello\tWORLD\r\n\n  again  ", "hello world again")]
    [InlineData("Café CRÈME Brûlée", "café crème brûlée")]
    [InlineData("\u0130stanbul", "istanbul")]
    [InlineData("nul\0inside", "nul inside")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void Prepare_lower_cases_and_turns_whitespace_and_control_characters_into_single_spaces(string? text, string expected) =>
        Assert.Equal(expected, TextClassifierText.Prepare(text));

    [Fact]
    public void Every_code_point_above_the_bmp_becomes_one_private_use_character_and_lone_surrogates_a_replacement()
    {
        var prepared = TextClassifierText.Prepare("a😀b🍆c\uD800d");

        Assert.Equal(7, prepared.Length);
        Assert.InRange(prepared[1], '\uE000', '\uF8FF');
        Assert.InRange(prepared[3], '\uE000', '\uF8FF');
        Assert.NotEqual(prepared[1], prepared[3]);
        Assert.Equal('\uFFFD', prepared[5]);
        Assert.DoesNotContain(prepared, char.IsSurrogate);
    }

    [Fact]
    public void Long_text_is_cut_at_the_maximum_length()
    {
        var prepared = TextClassifierText.Prepare(string.Concat(Enumerable.Repeat("Blood ", 2000)));

        Assert.Equal(TextClassifierText.MaxLength, prepared.Length);
        Assert.StartsWith("blood blood", prepared);
    }
}
