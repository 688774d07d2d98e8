using AiSocial.Ingest.Accounts;

namespace AiSocial.AdminConsole;

public static class ConsolePolicies
{
    /// <summary>Anyone who may use the console.</summary>
    public const string Staff = "staff";

    /// <summary>Moderators and admins: review decisions.</summary>
    public const string Review = "review";

    /// <summary>ML engineers and admins: safety model versions (train, promote, retire).</summary>
    public const string Models = "models";

    /// <summary>ML engineers and admins: dataset specs, runs and their files.</summary>
    public const string Datasets = "datasets";

    /// <summary>Admins only: changing the moderation policy (drafts, shadow runs, activation).</summary>
    public const string Admin = "admin";

    public static void Add(Microsoft.AspNetCore.Authorization.AuthorizationOptions options)
    {
        options.AddPolicy(Staff, policy => policy.RequireAuthenticatedUser().RequireRole(Roles.Staff));
        options.AddPolicy(Review, policy => policy.RequireAuthenticatedUser().RequireRole(Roles.Moderator, Roles.Admin));
        options.AddPolicy(Admin, policy => policy.RequireAuthenticatedUser().RequireRole(Roles.Admin));
        options.AddPolicy(Datasets, policy => policy.RequireAuthenticatedUser().RequireRole(Roles.MlEngineer, Roles.Admin));
        options.AddPolicy(Models, policy => policy.RequireAuthenticatedUser().RequireRole(Roles.MlEngineer, Roles.Admin));
    }
}
