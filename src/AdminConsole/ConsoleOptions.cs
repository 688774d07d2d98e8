namespace AiSocial.AdminConsole;

public sealed record ConsoleOptions
{
    public const string Section = "Console";

    /// <summary>Whether this host runs the Quartz scheduler (on the shared, clustered job store).</summary>
    public bool RunScheduler { get; init; } = true;

    /// <summary>Where cookie-protection keys are kept so sign-ins survive restarts and work on every node; unset keeps them in memory.</summary>
    public string? KeysDirectory { get; init; }
}
