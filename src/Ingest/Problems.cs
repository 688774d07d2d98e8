namespace AiSocial.Ingest;

/// <summary>A stable problem a client can branch on (RFC 9457 <c>type</c> and <c>code</c>).</summary>
public sealed record Problem(string Code, int Status, string Title)
{
    public string Type => $"urn:aisocial:problem:{Code}";
}

/// <summary>Every problem the platform reports, in one place so codes stay stable.</summary>
public static class Problems
{
    public static readonly Problem ValidationFailed = new("validation-failed", 400, "The request has invalid fields.");
    public static readonly Problem MalformedRequest = new("malformed-request", 400, "The request could not be read.");
    public static readonly Problem Unauthorized = new("unauthorized", 401, "Sign in first: send Authorization: Bearer <token>.");
    public static readonly Problem InvalidToken = new("invalid-token", 401, "The bearer token is unknown, expired or revoked.");
    public static readonly Problem InvalidCredentials = new("invalid-credentials", 401, "Handle or password is wrong.");
    public static readonly Problem Forbidden = new("forbidden", 403, "Your role does not allow this.");
    public static readonly Problem NotFound = new("not-found", 404, "There is nothing here, or you may not see it.");
    public static readonly Problem HandleTaken = new("handle-taken", 409, "That handle is taken.");
    public static readonly Problem AlreadyDecided = new("already-decided", 409, "This item was already decided.");
    public static readonly Problem UnsupportedMediaType = new("unsupported-media-type", 415, "The request body is not in a format this endpoint takes.");
    public static readonly Problem PayloadTooLarge = new("payload-too-large", 413, "The request body is too large.");
    public static readonly Problem IdempotencyKeyMissing = new("idempotency-key-missing", 400, "Send an Idempotency-Key header so a retry cannot post twice.");
    public static readonly Problem IdempotencyKeyReused = new("idempotency-key-reused", 422, "This Idempotency-Key was already used for a different request.");
    public static readonly Problem ImageMissing = new("image-missing", 400, "Attach the image as the multipart field 'image'.");
    public static readonly Problem ImageTooLarge = new("image-too-large", 413, "The image file is too large.");
    public static readonly Problem ImageUnsupported = new("image-unsupported", 415, "The file is not a PNG, JPEG, WebP or GIF image.");
    public static readonly Problem ImageDimensionsTooLarge = new("image-dimensions-too-large", 422, "The image is too wide or too tall.");
    public static readonly Problem ImageCorrupt = new("image-corrupt", 422, "The image could not be decoded; it may be truncated or damaged.");
    public static readonly Problem InvalidCursor = new("invalid-cursor", 400, "The cursor is not one this server issued.");
    public static readonly Problem ExportTargetExists = new("export-target-exists", 409, "The export output already exists.");
}

/// <summary>A request refused with a known problem; nothing was changed.</summary>
public class RequestRejectedException(Problem problem, string detail) : Exception(detail)
{
    public Problem Problem { get; } = problem;
}

/// <summary>Field-level validation errors, reported as one validation problem.</summary>
public sealed class ValidationFailedException(IReadOnlyDictionary<string, string[]> errors)
    : RequestRejectedException(Problems.ValidationFailed, string.Join(" ", errors.SelectMany(e => e.Value)))
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;

    public static ValidationFailedException For(string field, string message) => new(new Dictionary<string, string[]> { [field] = [message] });
}

/// <summary>Collects field errors and throws them together.</summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }

        messages.Add(message);
    }

    public void ThrowIfAny()
    {
        if (_errors.Count > 0)
        {
            throw new ValidationFailedException(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
        }
    }
}
