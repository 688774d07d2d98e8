using AiSocial.Ingest.Consent;
using AiSocial.Ingest.Posts;

namespace AiSocial.Feed.Apis;

public sealed record AuthorResponse(string Handle, string DisplayName);

/// <summary>How a generated image was made: <c>generator</c> is <c>offline-renderer</c> or <c>openai</c>.</summary>
public sealed record GenerationResponse(string Generator, string Model, string Size, long Seed, System.Text.Json.JsonElement Parameters, string? RevisedPrompt);

/// <summary>A post, wherever it appears (see specs/api.md, "Shapes that clients rely on").</summary>
public record PostResponse(
    Guid Id,
    PostStatus Status,
    AuthorResponse Author,
    string? Prompt,
    string? NegativePrompt,
    string? Caption,
    string? AltText,
    IReadOnlyList<string> Tags,
    bool Sensitive,
    string? ContentWarning,
    string ImageUrl,
    string ThumbUrl,
    string? Placeholder,
    int Width,
    int Height,
    Guid? RemixOf,
    PromptVisibility PromptVisibility,
    // Always present: false, this post is never used for training; null, its author's consent decides.
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] bool? AllowTraining,
    GenerationResponse? Generation,
    long LikeCount,
    long CommentCount,
    long RemixCount,
    long RepostCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset? PublishedAt,
    DateTimeOffset? EditedAt)
{
    /// <summary>Only in the author's own view of a post (left out for everyone else): its training setting and what it does.</summary>
    public PostTrainingResponse? Training { get; init; }
}

/// <summary>
/// <c>setting</c>: <c>inherit</c> (the author's consent decides) or <c>excluded</c> (never used for training);
/// <c>effective</c>: for <c>cawg.ai_training</c> and <c>cawg.ai_generative_training</c>, <c>allowed</c> or the reason it is
/// not (<c>consent_missing</c>, <c>consent_withdrawn</c>, <c>terms_not_accepted</c>, <c>post_setting</c>), as dataset manifests count it.
/// </summary>
public sealed record PostTrainingResponse(string Setting, IReadOnlyDictionary<string, string> Effective);

public static class PostMapping
{
    public static PostTrainingResponse ToResponse(this PostTrainingState state) => new(state.Setting, state.Effective);

    /// <summary>
    /// The post as a client sees it. <paramref name="showPrompt"/> is false when the post's prompt visibility hides it
    /// from this viewer: the prompt and negative prompt are then left out.
    /// </summary>
    public static PostResponse ToResponse(this Post post, bool showPrompt = true) => new(
        post.Id,
        post.Status,
        new AuthorResponse(post.Author.Handle, post.Author.DisplayName),
        showPrompt ? post.Prompt : null,
        showPrompt ? post.NegativePrompt : null,
        post.Caption,
        post.AltText,
        post.Tags,
        post.Sensitive,
        post.ContentWarning,
        $"/media/{post.Media.Sha256}",
        $"/media/{post.Media.Sha256}/thumb",
        post.Media.Placeholder,
        post.Media.Width,
        post.Media.Height,
        post.RemixOf,
        post.PromptVisibility,
        post.AllowTraining,
        post.Generation is { } g
            ? new GenerationResponse(g.Generator, g.Model, g.Size, g.Seed, System.Text.Json.JsonDocument.Parse(g.Parameters).RootElement.Clone(), g.RevisedPrompt)
            : null,
        post.Counts.Likes,
        post.Counts.Comments,
        post.Counts.Remixes,
        post.Counts.Reposts,
        post.CreatedAt,
        post.PublishedAt,
        post.EditedAt);
}
