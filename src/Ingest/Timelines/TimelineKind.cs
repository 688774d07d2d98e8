using AiSocial.Ingest.Posts;

namespace AiSocial.Ingest.Timelines;

/// <summary>The timelines; a cursor of one is refused by the others.</summary>
internal enum TimelineKind : byte
{
    Home = 1,
    Public = 2,
    Trending = 3,
    Tag = 4,
    Profile = 5,
}

/// <summary>Why an item is in a timeline, derived on the server from the reader's relation to the post.</summary>
public enum TimelineReason
{
    /// <summary>The reader's own post (home, or their own profile); pending ones are marked by their status.</summary>
    Own,

    /// <summary>Home: the reader follows the author.</summary>
    Followed,

    /// <summary>Home: a remix of one of the reader's posts.</summary>
    RemixOfYours,

    /// <summary>The public timeline: every published post.</summary>
    Public,

    /// <summary>The trending timeline: ranked by the hot score.</summary>
    Trending,

    /// <summary>The tag timeline: the post carries the tag.</summary>
    Tag,

    /// <summary>A profile's posts, read by someone other than its author.</summary>
    Profile,
}

/// <summary>
/// One item of a timeline: the post, why it is shown, whether this reader may see its prompt, and the ids of the
/// author's other posts that are variations of it (near-identical images within a day), collapsed into this item.
/// </summary>
public sealed record TimelineEntry(Post Post, TimelineReason Reason, bool ShowPrompt, IReadOnlyList<Guid> Variations);

/// <summary>A page of a timeline; <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record TimelinePage(IReadOnlyList<TimelineEntry> Items, string? NextCursor);
