namespace AiSocial.Problems;

/// <summary>Why a request was refused, for the person who sent it. A refused request changed nothing.</summary>
/// <param name="Problem">Which problem: its code and status.</param>
/// <param name="Detail">What was wrong with this request, and what to send instead.</param>
public sealed record Refusal(Problem Problem, string Detail)
{
    /// <summary>Messages per field, for <see cref="CommonProblems.ValidationFailed"/>.</summary>
    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }

    /// <summary>When asking again may succeed (HTTP <c>Retry-After</c>), for refusals that lapse, such as a lock.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>More members for the problem body (RFC 9457 extensions), such as which rule refused a prompt and why.</summary>
    public IReadOnlyDictionary<string, object?>? Extensions { get; init; }

    /// <summary>One invalid field.</summary>
    public static Refusal Invalid(string field, string message) => new ValidationErrors().Add(field, message).ToRefusal()!;
}

/// <summary>
/// What an operation that may be refused gave back: its result, or the <see cref="Refusal"/> in its place. Services
/// return refusals rather than throw them, so each caller (an HTTP handler, a console page, a command) says what
/// happens next.
/// </summary>
public readonly struct Outcome<T>
{
    private readonly T? _value;

    private Outcome(T? value, Refusal? refusal)
    {
        _value = value;
        Refusal = refusal;
    }

    /// <summary>Why the operation was refused; null when it succeeded.</summary>
    public Refusal? Refusal { get; }

    /// <summary>The result. Reading it from a refused outcome is a bug, and throws.</summary>
    public T Value => Refusal is null
        ? _value!
        : throw new InvalidOperationException($"The operation was refused ({Refusal.Problem.Code}): {Refusal.Detail}");

    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(Refusal refusal) => new(default, refusal ?? throw new ArgumentNullException(nameof(refusal)));
}

/// <summary>Collects field errors, so one refusal names every invalid field.</summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public ValidationErrors Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }

        messages.Add(message);
        return this;
    }

    /// <summary>A <see cref="CommonProblems.ValidationFailed"/> refusal naming every field, or null when there is none.</summary>
    public Refusal? ToRefusal() => _errors.Count == 0
        ? null
        : new Refusal(CommonProblems.ValidationFailed, string.Join(" ", _errors.SelectMany(e => e.Value)))
        {
            Errors = _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal),
        };
}
