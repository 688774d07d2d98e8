using System.Security.Cryptography;
using Microsoft.AspNetCore.Components.Endpoints;

namespace AiSocial.AdminConsole.Hosting;

/// <summary>
/// The console pages' Content-Security-Policy: scripts only from the console itself (the import map carries a nonce
/// fresh for each request), no plugins, no framing, forms posted only back to the console. MudBlazor sets inline
/// styles, so styles may be inline; Blazor's circuit connects back to the same origin.
/// </summary>
public static class ContentSecurityPolicy
{
    private const string NonceKey = "aisocial.csp-nonce";

    public static IApplicationBuilder UseContentSecurityPolicy(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        // Hex: nothing in it that HTML would encode differently in the page than in the header.
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        context.Items[NonceKey] = nonce;
        context.Response.OnStarting(() =>
        {
            // Only the pages: the API reference at /scalar has its own inline scripts, and JSON, media and scripts need none.
            if (context.GetEndpoint()?.Metadata.GetMetadata<ComponentTypeMetadata>() is not null)
            {
                context.Response.Headers.ContentSecurityPolicy = For(nonce);
            }

            return Task.CompletedTask;
        });
        return next(context);
    });

    /// <summary>The nonce this request's page gives its inline scripts (only the import map has one); null outside the pipeline.</summary>
    public static string? ScriptNonce(this HttpContext context) => context.Items[NonceKey] as string;

    internal static string For(string nonce) => string.Join("; ",
        "default-src 'self'",
        $"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'");
}
