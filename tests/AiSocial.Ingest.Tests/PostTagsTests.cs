using AiSocial.Ingest.Posts;
using AiSocial.Problems;

namespace AiSocial.Ingest.Tests;

public sealed class PostTagsTests
{
    [Theory]
    [InlineData("Sunset", "sunset")]
    [InlineData("#Sunset", "sunset")]
    [InlineData("＃ＢＥＡＣＨ", "beach")]          // full-width letters and sign, folded by NFKC
    [InlineData("Été", "été")]
    [InlineData("東京", "東京")]
    [InlineData("golden_hour_2", "golden_hour_2")]
    [InlineData("ﬁre", "fire")]                  // the ligature is two letters under NFKC
    public void A_given_tag_is_stored_normalised(string given, string stored)
    {
        var errors = new ValidationErrors();

        Assert.Equal([stored], PostTags.ParseGiven(given, errors));
        Assert.Null(errors.ToRefusal());
    }

    [Theory]
    [InlineData("not-a-tag")]
    [InlineData("🔥")]
    [InlineData("a#b")]
    [InlineData("#")]
    public void Anything_but_letters_digits_and_underscores_is_refused(string given)
    {
        var errors = new ValidationErrors();

        PostTags.ParseGiven(given, errors);

        Assert.Contains("tags", errors.ToRefusal()!.Errors!.Keys);
    }

    [Fact]
    public void Given_tags_split_on_commas_and_spaces_and_each_is_kept_once()
    {
        var errors = new ValidationErrors();

        Assert.Equal(["a", "b", "c"], PostTags.ParseGiven(" a,b  #A,,c\tB ", errors));
        Assert.Null(errors.ToRefusal());
    }

    [Fact]
    public void A_caption_tag_starts_at_a_hash_that_follows_no_word_character_nor_a_slash()
    {
        var errors = new ValidationErrors();

        var tags = PostTags.ParseCaption("#Start in C# and a#b, see example.com/#frag? (#Paren) #end.", errors);

        Assert.Equal(["start", "paren", "end"], tags);
        Assert.Null(errors.ToRefusal());
    }

    [Fact]
    public void More_than_thirty_tags_in_all_or_one_longer_than_64_characters_are_refused()
    {
        var errors = new ValidationErrors();

        PostTags.Combine(PostTags.ParseGiven(string.Join(',', Enumerable.Range(0, 20).Select(i => $"g{i}")), errors),
            PostTags.ParseCaption(string.Join(' ', Enumerable.Range(0, 11).Select(i => $"#c{i}")), errors), errors);
        PostTags.ParseCaption("#" + new string('x', 65), errors);

        var refusal = errors.ToRefusal()!;
        Assert.Contains("tags", refusal.Errors!.Keys);
        Assert.Contains("caption", refusal.Errors!.Keys);
        Assert.Equal(64, PostTags.ParseGiven(new string('y', 64), errors).Single().Length);
    }
}
