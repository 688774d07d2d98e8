using System.Security.Cryptography;
using System.Text.Json;

namespace AiSocial.Cli.Demo;

public sealed record DemoAccount(string Handle, string DisplayName, string Role, string Password);

/// <summary>
/// The demo accounts' passwords: made up on the first seed and kept in a git-ignored file, so every later seed (and
/// every printout) uses the same ones. Nothing secret is in the repository.
/// </summary>
public static class DemoCredentials
{
    public static readonly IReadOnlyList<(string Handle, string DisplayName, string Role)> Accounts =
    [
        ("demo_user", "Demo User", "user"),
        ("demo_creator", "Demo Creator", "creator"),
        ("demo_moderator", "Demo Moderator", "moderator"),
        ("demo_admin", "Demo Admin", "admin"),
        ("demo_ml", "Demo ML Engineer", "ml_engineer"),
    ];

    /// <summary>The saved accounts, as the last seed left them; nothing is created or written.</summary>
    public static async Task<IReadOnlyList<DemoAccount>> LoadAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            var saved = JsonSerializer.Deserialize<List<DemoAccount?>>(await File.ReadAllTextAsync(path, cancellationToken));
            return saved?.OfType<DemoAccount>().ToList() ?? [];
        }
        catch (JsonException exception)
        {
            throw new UnreadableFileException(
                $"{path} is not a demo credentials file (not the JSON list seed writes; line {exception.LineNumber + 1}, byte {exception.BytePositionInLine + 1}). "
                + "Delete it and seed again (./aisocial up or ./aisocial seed): the demo accounts get new passwords.",
                exception);
        }
    }

    public static async Task<IReadOnlyList<DemoAccount>> LoadOrCreateAsync(string path, CancellationToken cancellationToken)
    {
        var saved = File.Exists(path) ? await LoadAsync(path, cancellationToken) : [];
        var accounts = Accounts
            .Select(a => saved.FirstOrDefault(s => s.Handle == a.Handle) is { Password.Length: >= 10 } known
                ? known with { DisplayName = a.DisplayName, Role = a.Role }
                : new DemoAccount(a.Handle, a.DisplayName, a.Role, NewPassword()))
            .ToList();

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(accounts, new JsonSerializerOptions { WriteIndented = true }), cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return accounts;
    }

    // Readable, typeable, 16 characters from an unambiguous alphabet (about 80 bits).
    private static string NewPassword() => RandomNumberGenerator.GetString("abcdefghjkmnpqrstuvwxyz23456789", 16);
}
