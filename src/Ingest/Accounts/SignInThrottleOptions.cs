using System.ComponentModel.DataAnnotations;

namespace AiSocial.Ingest.Accounts;

/// <summary>How sign-in resists guessing: failures are counted per account and per client address, slowed, then locked.</summary>
public sealed record SignInThrottleOptions
{
    public const string Section = "SignIn";

    /// <summary>Failures in a row, within <see cref="FailureWindowMinutes"/>, after which an account is locked.</summary>
    [Range(1, 1000)]
    public int MaxFailuresPerAccount { get; init; } = 5;

    /// <summary>Failures from one address after which it is locked (higher: many people can share an address).</summary>
    [Range(1, 100_000)]
    public int MaxFailuresPerAddress { get; init; } = 30;

    /// <summary>Failures older than this are forgotten.</summary>
    [Range(1, 24 * 60)]
    public int FailureWindowMinutes { get; init; } = 15;

    /// <summary>How long a lock lasts; the right password is refused too until it lapses.</summary>
    [Range(1, 24 * 60 * 60)]
    public int LockSeconds { get; init; } = 15 * 60;

    /// <summary>From this many failures on, each attempt waits before it is answered, twice as long each time.</summary>
    [Range(1, 1000)]
    public int SlowAfterFailures { get; init; } = 3;

    /// <summary>The longest such wait.</summary>
    [Range(0, 60_000)]
    public int MaxDelayMilliseconds { get; init; } = 2000;
}
