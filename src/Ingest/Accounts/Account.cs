namespace AiSocial.Ingest.Accounts;

public sealed record Account(Guid Id, string Handle, string DisplayName, int BirthYear, IReadOnlyList<string> Roles, DateTimeOffset CreatedAt)
{
    public bool IsInRole(string role) => Roles.Contains(role);
}

/// <summary>What a person signing up sends; every field is checked by <see cref="AccountRegistry"/>.</summary>
public sealed record NewAccount(string? Handle, string? DisplayName, string? Password, int? BirthYear);
