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

/// <summary>A post; <see cref="UploadSha256"/> is the hash of the file as it was sent, before re-encoding (what shared hash banks hold).</summary>
public sealed record Post(
    Guid Id,
    PostAuthor Author,
    PostMedia Media,
    string UploadSha256,
    string Prompt,
    string? Caption,
    PostStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? PublishedAt);

/// <summary>What a person sends with the image.</summary>
public sealed record PostDraft(string? Prompt, string? Caption);
