namespace AiSocial.Ingest.Database;

/// <summary>How the platform's enums (post status, label decision, run status, …) are stored in text columns: their names in lower case.</summary>
public static class DatabaseNames
{
    public static string ToDatabase<T>(this T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();

    public static T Parse<T>(string value)
        where T : struct, Enum => Enum.Parse<T>(value, ignoreCase: true);
}
