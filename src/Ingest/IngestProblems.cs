using AiSocial.Problems;

namespace AiSocial.Ingest;

/// <summary>The problems of the system of record: accounts and tokens, posting, media, timelines.</summary>
public static class IngestProblems
{
    public static readonly Problem InvalidToken = new("invalid-token", 401, "The bearer token is unknown, expired or revoked.");
    public static readonly Problem InvalidCredentials = new("invalid-credentials", 401, "Handle or password is wrong.");
    public static readonly Problem SignInLocked = new("sign-in-locked", 429, "Too many failed sign-ins; wait before trying again.");
    public static readonly Problem AccountSuspended = new("account-suspended", 403, "This account is suspended.");
    public static readonly Problem HandleTaken = new("handle-taken", 409, "That handle is taken.");
    public static readonly Problem IdempotencyKeyMissing = new("idempotency-key-missing", 400, "Send an Idempotency-Key header so a retry cannot post twice.");
    public static readonly Problem IdempotencyKeyReused = new("idempotency-key-reused", 422, "This Idempotency-Key was already used for a different request.");
    public static readonly Problem ImageMissing = new("image-missing", 400, Posts.PostSubmissions.ImageRule);
    public static readonly Problem ImageTooLarge = new("image-too-large", 413, "The image file is too large.");
    public static readonly Problem ImageUnsupported = new("image-unsupported", 415, "The file is not a PNG, JPEG, WebP or GIF image.");
    public static readonly Problem ImageDimensionsTooLarge = new("image-dimensions-too-large", 422, "The image is too large: too wide, too tall or too many pixels.");
    public static readonly Problem ImageTooManyFrames = new("image-too-many-frames", 422, "The animation has too many frames.");
    public static readonly Problem ImageCorrupt = new("image-corrupt", 422, "The image could not be decoded; it may be truncated or damaged.");
    public static readonly Problem PromptRefused = new("prompt_refused", 422, "The prompt was refused.");
    public static readonly Problem GenerationQuotaExceeded = new("generation-quota-exceeded", 429, "You have made as many images as your daily quota allows.");
    public static readonly Problem GeneratorFailed = new("generator-failed", 502, "The image generator failed; nothing was made or counted.");
    public static readonly Problem GeneratorBusy = new("generator-busy", 503, "The image generator is busy; nothing was made or counted.");
    public static readonly Problem GeneratorTimeout = new("generator-timeout", 504, "The image generator did not answer in time; nothing was made or counted.");
    public static readonly Problem GenerationNotFound = new("generation-not-found", 422, "There is no generation of yours with that id.");
    public static readonly Problem RemixSourceNotFound = new("remix-source-not-found", 422, "There is no post you can see with that id to remix.");
    public static readonly Problem EventsBusy = new("events-busy", 503, "Too many events are waiting to be written; send them again shortly.");
    public static readonly Problem EventsUnavailable = new("events-unavailable", 503, "The events could not be recorded; send them again shortly.");
    public static readonly Problem InvalidCursor = new("invalid-cursor", 400, "The cursor is not one this server issued.");
    public static readonly Problem SelfInteraction = new("self-interaction", 400, "You cannot follow, block or mute yourself.");
    public static readonly Problem Blocked = new("blocked", 403, "One of you blocks the other, so you cannot interact.");
    public static readonly Problem NotYourComment = new("not-your-comment", 403, "Only the comment's author or the post's author may delete it.");
    public static readonly Problem ReportOpen = new("report-open", 409, "You already have an open report of this.");
    public static readonly Problem OptOutExists = new("creator-optout-exists", 409, "You already have this opt-out.");
    public static readonly Problem WorkUnmatchable = new("work-unmatchable", 422, "The image has too little structure to recognise copies of it.");
    public static readonly Problem PasswordIncorrect = new("password-incorrect", 403, "The password is wrong.");
    public static readonly Problem CursorExpired = new("cursor-expired", 409, "The ranking this cursor pages through has been replaced; start again.");
}
