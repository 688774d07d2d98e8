using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace AiSocial.Ingest.Database;

/// <summary>
/// Where the platform's PostgreSQL is: <c>ConnectionStrings:aisocial</c>, an Npgsql connection string or a
/// <c>postgres://</c> URL. There is no default in code: a host without it refuses to start and says so
/// (<c>./aisocial</c> supplies the local cluster's).
/// </summary>
internal sealed record DatabaseOptions : IValidatableObject
{
    public const string Section = "ConnectionStrings";
    public const string Setting = "ConnectionStrings:aisocial";

    [ConfigurationKeyName("aisocial")]
    [Required(ErrorMessage = $"{Setting} is not set: give the PostgreSQL connection string (environment variable ConnectionStrings__aisocial; ./aisocial sets it).")]
    public string? ConnectionString { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield break;
        }

        string? error = null;
        try
        {
            DatabaseConnection.Normalize(ConnectionString);
        }
        catch (Exception exception) when (exception is ArgumentException or UriFormatException or FormatException)
        {
            error = exception.Message;
        }

        if (error is not null)
        {
            yield return new ValidationResult($"{Setting} is not a connection string Npgsql can read: {error}", [nameof(ConnectionString)]);
        }
    }
}
