namespace AiSocial.Ingest.Accounts;

public static class Roles
{
    public const string User = "user";
    public const string Creator = "creator";
    public const string Moderator = "moderator";
    public const string Admin = "admin";
    public const string MlEngineer = "ml_engineer";

    public static readonly IReadOnlyList<string> All = [User, Creator, Moderator, Admin, MlEngineer];

    /// <summary>Roles that may sign in to the console.</summary>
    public static readonly IReadOnlyList<string> Staff = [Moderator, Admin, MlEngineer];
}
