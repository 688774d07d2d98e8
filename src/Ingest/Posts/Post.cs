namespace AiSocial.Ingest.Posts;

public enum PostStatus
{
    Pending,
    Published,
    Rejected,
    Removed,
}

/// <summary>Who may read a post's prompt; everyone who may see the post sees its image.</summary>
public enum PromptVisibility
{
    Public,
    Followers,
    Private,
}

public sealed record PostAuthor(Guid Id, string Handle, string DisplayName);

/// <summary>A stored image; <see cref="Placeholder"/> is a tiny blurred stand-in shown while it loads (null for old rows).</summary>
public sealed record PostMedia(string Sha256, string ContentType, int Width, int Height, string? Placeholder = null);

/// <summary>How a generated image was made, as the server recorded it.</summary>
public sealed record PostGeneration(Guid Id, string Generator, string Model, string Size, long Seed, string Parameters, string? RevisedPrompt);

/// <summary>Counts shown with a post.</summary>
public sealed record PostCounts(long Likes, long Comments, long Remixes, long Reposts)
{
    public static readonly PostCounts None = new(0, 0, 0, 0);
}

/// <summary>
/// A post; <see cref="UploadSha256"/> is the hash of the file as it was sent, before re-encoding (what shared hash banks hold).
/// A post with <see cref="DeletedAt"/> set is a tombstone: only its id, author and lineage link still mean anything.
/// </summary>
public sealed record Post(
    Guid Id,
    PostAuthor Author,
    PostMedia Media,
    string UploadSha256,
    string Prompt,
    string? Caption,
    PostStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? PublishedAt)
{
    public string? NegativePrompt { get; init; }
    public string? AltText { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public bool Sensitive { get; init; }
    public string? ContentWarning { get; init; }
    public Guid? RemixOf { get; init; }
    public PromptVisibility PromptVisibility { get; init; }

    /// <summary>Null: the author's consent decides. False: never used for training (a post can only narrow).</summary>
    public bool? AllowTraining { get; init; }

    public PostGeneration? Generation { get; init; }
    public DateTimeOffset? EditedAt { get; init; }
    public DateTimeOffset? DeletedAt { get; init; }
    public PostCounts Counts { get; init; } = PostCounts.None;
}

/// <summary>
/// What a person sends with the image, or with <see cref="GenerationId"/> in its place (a generation of theirs, whose
/// prompt stands when none is given). Absent values take their defaults: not sensitive, prompt public, training as the
/// author's consent says.
/// </summary>
public sealed record PostDraft(string? Prompt, string? Caption)
{
    public Guid? GenerationId { get; init; }
    public string? NegativePrompt { get; init; }
    public string? AltText { get; init; }

    /// <summary>Tags separated by commas or spaces; the caption's <c>#tags</c> are added to them.</summary>
    public string? Tags { get; init; }

    public bool? Sensitive { get; init; }
    public string? ContentWarning { get; init; }
    public Guid? RemixOf { get; init; }

    /// <summary><c>public</c>, <c>followers</c> or <c>private</c>.</summary>
    public string? PromptVisibility { get; init; }

    /// <summary>False keeps this post out of training whatever the author's consent; true or absent leaves it to that consent.</summary>
    public bool? AllowTraining { get; init; }
}
