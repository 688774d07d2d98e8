using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using AiSocial.Problems;
using Npgsql;

namespace AiSocial.Ingest.Posts;

/// <summary>
/// Tags as they are stored and searched: NFKC, lower case, without '#', letters, digits and underscores only, at most
/// <see cref="MaxLength"/> characters, at most <see cref="MaxCount"/> per post. A post's tags are those its author gave
/// and the <c>#tags</c> of its caption.
/// </summary>
public static partial class PostTags
{
    public const int MaxLength = 64;
    public const int MaxCount = 30;

    public const string Rule = "Tags are letters, digits and underscores (a leading '#' is dropped), at most 64 characters each and 30 per post, " +
                               "separated by commas or spaces.";

    // A '#' that follows no word character or '/' starts a tag (so 'C#', 'a#b' and a link's '/#part' are no tags), running to the next non-word character.
    [GeneratedRegex(@"(?<![\p{L}\p{Nd}_/])#([\p{L}\p{Nd}_]+)")]
    private static partial Regex CaptionTag();

    [GeneratedRegex(@"^[\p{L}\p{Nd}_]+$")]
    private static partial Regex Word();

    /// <summary>The tags given as a form field; <paramref name="errors"/> names each one that is not a tag.</summary>
    public static IReadOnlyList<string> ParseGiven(string? given, ValidationErrors errors, string field = "tags")
    {
        var tags = new List<string>();
        foreach (var token in (given ?? "").Split([',', ' ', '\t', '\n', '\r', '\u3000', '\u00A0'], StringSplitOptions.RemoveEmptyEntries))
        {
            var tag = Normalise(token.Trim().TrimStart('#', '＃'));
            if (tag.Length == 0 || !Word().IsMatch(tag))
            {
                errors.Add(field, $"'{token}' is not a tag: {Rule}");
            }
            else if (tag.Length > MaxLength)
            {
                errors.Add(field, $"The tag '{tag[..16]}…' is longer than {MaxLength} characters.");
            }
            else if (!tags.Contains(tag))
            {
                tags.Add(tag);
            }
        }

        return tags;
    }

    /// <summary>The <c>#tags</c> in a caption, in order of appearance; one longer than <see cref="MaxLength"/> is refused.</summary>
    public static IReadOnlyList<string> ParseCaption(string? caption, ValidationErrors errors, string field = "caption")
    {
        var tags = new List<string>();
        if (string.IsNullOrEmpty(caption))
        {
            return tags;
        }

        foreach (Match match in CaptionTag().Matches(caption.Normalize(NormalizationForm.FormKC)))
        {
            var tag = Normalise(match.Groups[1].Value);
            if (tag.Length > MaxLength)
            {
                errors.Add(field, $"The caption's tag '#{tag[..16]}…' is longer than {MaxLength} characters.");
            }
            else if (!tags.Contains(tag))
            {
                tags.Add(tag);
            }
        }

        return tags;
    }

    /// <summary>The given tags then the caption's, each once; more than <see cref="MaxCount"/> is refused.</summary>
    public static IReadOnlyList<string> Combine(IReadOnlyList<string> given, IReadOnlyList<string> fromCaption, ValidationErrors errors)
    {
        var tags = given.Concat(fromCaption).Distinct(StringComparer.Ordinal).ToList();
        if (tags.Count > MaxCount)
        {
            errors.Add("tags", $"A post has at most {MaxCount} tags, given and from the caption together; this one has {tags.Count}.");
        }

        return tags;
    }

    /// <summary>Makes <c>ingest.post_tags</c> hold exactly these tags for the post, on the caller's transaction.</summary>
    internal static async Task StoreAsync(NpgsqlConnection connection, Guid postId, IReadOnlyList<string> tags, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            with gone as (delete from ingest.post_tags where post_id = $1 and tag <> all($2))
            insert into ingest.post_tags (tag, post_id) select unnest($2::text[]), $1 on conflict do nothing
            """, connection);
        command.Parameters.Add(new() { Value = postId });
        command.Parameters.Add(new() { Value = tags.ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Normalise(string tag) => tag.Normalize(NormalizationForm.FormKC).ToLower(CultureInfo.InvariantCulture);
}
