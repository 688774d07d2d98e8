namespace AiSocial.Moderation.Checks;

/// <summary>How a check's signals are used: acted on by the policy, or only recorded to be compared (shadow).</summary>
public enum CheckMode
{
    Live,
    Shadow,
}

/// <summary>
/// One check's configuration, <c>Moderation:Checks:{SettingsKey}</c>. Unset members keep the check's own defaults:
/// enabled, required as the check says (<see cref="IPostCheck.Required"/>), live.
/// </summary>
public sealed record CheckSettings
{
    /// <summary>False: the check does not run at all.</summary>
    public bool? Enabled { get; init; }

    /// <summary>True: a post waits (and then goes to a person) while the check is unavailable. False: the post is decided without it.</summary>
    public bool? Required { get; init; }

    /// <summary>Shadow: the check runs and its signals are stored, marked shadow, but the policy never reads them and it is never required.</summary>
    public CheckMode? Mode { get; init; }
}

/// <summary>A registered check as configuration has it.</summary>
public sealed record ConfiguredCheck(IPostCheck Check, bool Required, CheckMode Mode)
{
    public bool Shadow => Mode == CheckMode.Shadow;
}
