namespace AiSocial.Ingest.Accounts;

public sealed record Account(Guid Id, string Handle, string DisplayName, int BirthYear, IReadOnlyList<string> Roles, DateTimeOffset CreatedAt)
{
    /// <summary>Replaced whenever what the account may do changes; console sessions started under another stamp end.</summary>
    public Guid SecurityStamp { get; init; }

    /// <summary>A suspended account cannot sign in and its tokens and sessions no longer work.</summary>
    public bool Suspended { get; init; }

    public bool IsInRole(string role) => Roles.Contains(role);
}

/// <summary>What a person signing up sends; every field is checked by <see cref="AccountRegistry"/>.</summary>
public sealed record NewAccount(string? Handle, string? DisplayName, string? Password, int? BirthYear);
