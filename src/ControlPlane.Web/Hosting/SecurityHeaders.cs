namespace ControlPlane.Web.Hosting;

/// <summary>Headers that keep the browser strict: a content security policy the app works under, no sniffing, no framing.</summary>
public static class SecurityHeaders
{
    /// <summary>
    /// MudBlazor sets inline styles, hence 'unsafe-inline' for styles only; scripts come from this origin
    /// alone, and Blazor's circuit connects back to it alone ('self' covers ws: and wss: to the same host).
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "same-origin";
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
                return Task.CompletedTask;
            });
            await next();
        });
}
