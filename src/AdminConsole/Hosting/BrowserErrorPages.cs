using Microsoft.AspNetCore.Diagnostics;

namespace AiSocial.AdminConsole.Hosting;

/// <summary>
/// Errors as the console's own pages for people in a browser: a status without a body (an unknown address, a refused
/// form) re-runs the request as <c>/error/{status}</c>, and an unhandled exception as <c>/error</c>. API clients keep
/// the RFC 9457 problems the service defaults write: anything under <c>/api/</c>, any bearer-token request, and any
/// request that does not prefer HTML.
/// </summary>
public static class BrowserErrorPages
{
    public const string ErrorPath = "/error";

    /// <summary>Goes before routing, so that a re-run request is routed to the error page.</summary>
    public static IApplicationBuilder UseBrowserErrorPages(this IApplicationBuilder app)
    {
        app.UseWhen(WantsHtml, browser =>
        {
            browser.UseExceptionHandler(ErrorPath, createScopeForErrors: true);
            browser.UseStatusCodePagesWithReExecute(ErrorPath + "/{0}", createScopeForStatusCodePages: true);
            browser.Use(ReadErrorPageWithGet);
        });

        // For everyone, inside both kinds of status-code pages: a browser's error page and an API client's problem.
        return app.Use(LetEmptyRefusalsHaveThePage);
    }

    internal static bool WantsHtml(HttpContext context)
    {
        var request = context.Request;
        if (request.Path.StartsWithSegments("/api") || request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var accept = request.GetTypedHeaders().Accept;
        double Quality(string mediaType) => accept
            .Where(value => value.MediaType.Equals(mediaType, StringComparison.OrdinalIgnoreCase))
            .Select(value => value.Quality ?? 1)
            .DefaultIfEmpty(0)
            .Max();

        // Browsers name text/html; a client that asks for JSON as much as HTML gets JSON.
        var html = Quality("text/html");
        return html > 0 && html > Math.Max(Quality("application/json"), Quality("application/problem+json"));
    }

    // A re-run keeps the request's method, but the error page is only ever read: a refused form post must not be taken
    // for a second post to the error page (it would be refused again, for the same missing token).
    private static async Task ReadErrorPageWithGet(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        var rerun = context.Features.Get<IStatusCodeReExecuteFeature>() is not null || context.Features.Get<IExceptionHandlerFeature>() is not null;
        if (!rerun || HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        {
            await next(context);
            return;
        }

        var method = request.Method;
        request.Method = HttpMethods.Get;
        try
        {
            await next(context);
        }
        finally
        {
            request.Method = method;
        }
    }

    // A page refuses a form without a valid antiforgery token with its content type already set and no body; clearing the
    // type lets the status-code pages answer it (the error page, or a problem), instead of a blank one.
    private static async Task LetEmptyRefusalsHaveThePage(HttpContext context, RequestDelegate next)
    {
        await next(context);
        if (context.Response is { StatusCode: >= 400, HasStarted: false, ContentType: { } type } response
            && type.StartsWith("text/html", StringComparison.OrdinalIgnoreCase))
        {
            response.ContentType = null;
        }
    }
}
