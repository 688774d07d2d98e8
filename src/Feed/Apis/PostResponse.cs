using AiSocial.Ingest.Posts;

namespace AiSocial.Feed.Apis;

public sealed record AuthorResponse(string Handle, string DisplayName);

public sealed record PostResponse(
    Guid Id,
    PostStatus Status,
    AuthorResponse Author,
    string Prompt,
    string? Caption,
    string ImageUrl,
    int Width,
    int Height,
    DateTimeOffset CreatedAt,
    DateTimeOffset? PublishedAt);

public static class PostMapping
{
    public static PostResponse ToResponse(this Post post) => new(
        post.Id,
        post.Status,
        new AuthorResponse(post.Author.Handle, post.Author.DisplayName),
        post.Prompt,
        post.Caption,
        $"/media/{post.Media.Sha256}",
        post.Media.Width,
        post.Media.Height,
        post.CreatedAt,
        post.PublishedAt);
}
