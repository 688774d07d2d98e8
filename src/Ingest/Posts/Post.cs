namespace AiSocial.Ingest.Posts;

public enum PostStatus
{
    Pending,
    Published,
    Rejected,
    Removed,
}

public sealed record PostAuthor(Guid Id, string Handle, string DisplayName);

public sealed record PostMedia(string Sha256, string ContentType, int Width, int Height);

public sealed record Post(
    Guid Id,
    PostAuthor Author,
    PostMedia Media,
    string Prompt,
    string? Caption,
    PostStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? PublishedAt);

/// <summary>What a person sends with the image.</summary>
public sealed record PostDraft(string? Prompt, string? Caption);
