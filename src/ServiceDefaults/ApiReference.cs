using Microsoft.AspNetCore.Routing;
using Scalar.AspNetCore;

namespace AiSocial.ServiceDefaults;

/// <summary>
/// The API reference page at <c>/scalar</c>, made to work offline: everything it loads comes from the host itself, and
/// nothing on it calls Scalar's services.
/// </summary>
internal static class ApiReference
{
    /// <summary>The bearer scheme the page offers first when a reader tries a request.</summary>
    public const string PreferredScheme = BearerSecurity.SchemeName;

    public static IEndpointRouteBuilder MapApiReference(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapScalarApiReference(options => options
            .WithTitle("AiSocial API reference")
            .DisableDefaultFonts() // Inter and JetBrains Mono come from Scalar's CDN; the system's fonts do
            .DisableTelemetry()
            .DisableAgent() // an AI chat served by Scalar
            .DisableMcp()
            .HideDeveloperTools() // a toolbar that offers to share and deploy the document through scalar.com
            .HideClientButton() // opens the document in client.scalar.com
            .AddPreferredSecuritySchemes([PreferredScheme]));
        return endpoints;
    }
}
