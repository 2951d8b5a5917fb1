using ControlPlane.Web.Authentication;
using ControlPlane.Web.Authorization;

namespace ControlPlane.Web.Hosting;

/// <summary>
/// Cross-site request forgery protection for what the browser sends its cookie with on its own: unsafe
/// (<c>POST/PUT/PATCH/DELETE</c>) calls to <c>/api</c> and <c>/account</c>, and every request to <c>/hubs</c>
/// (negotiate, the WebSocket, the fallback transports). SameSite=Lax is not enough: a sibling subdomain is the
/// same site. Such a request must come from this origin, or it is refused with 403 before anything runs.
/// </summary>
/// <remarks>
/// <para>Modern browsers say where a request comes from in <c>Sec-Fetch-Site</c>: <c>same-origin</c> and
/// <c>none</c> (typed by the user) pass, <c>same-site</c> and <c>cross-site</c> do not. Without it, the
/// <c>Origin</c> header must name this host; browsers send it on every request that is not a GET or HEAD
/// (Fetch standard) and on every WebSocket handshake.</para>
/// <para>A request with neither header did not come from a browser (browsers add at least one to every
/// request that could be forged), so it passes: curl or a script holding a cookie it signed in for itself is
/// not forging anything. Requiring an Origin there would protect nobody and break such clients.</para>
/// <para>Bearer-token callers are not checked: a token is never sent by the browser on its own. Blazor's circuit
/// (<c>/_blazor</c>) is not an <c>/api</c> call; the pages act through it in-process.</para>
/// </remarks>
public static class CrossOriginProtection
{
    public static IApplicationBuilder UseCrossOriginProtection(this IApplicationBuilder app)
    {
        var entra = AuthenticationSetup.IsEntraConfigured(app.ApplicationServices.GetRequiredService<IConfiguration>());
        return app.Use(async (context, next) =>
        {
            if (RefusalOf(context.Request, entra) is { } reason)
            {
                await context.RequestServices.GetRequiredService<AccessControl>().AuditRefusalAsync(context.User.Actor(),
                    $"{context.Request.Method} {context.Request.Path}", "ControlPlane", context.ClientAddress(), reason);
                await Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Cross-origin request refused", detail: reason)
                    .ExecuteAsync(context);
                return;
            }
            await next(context);
        });
    }

    /// <summary>Why this request may not go on, or null when it may.</summary>
    public static string? RefusalOf(HttpRequest request, bool entraConfigured)
    {
        if (!IsGuarded(request) || AuthenticationSetup.SchemeFor(request, entraConfigured) != Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationDefaults.AuthenticationScheme)
        {
            return null;
        }
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0)
        {
            return site is "same-origin" or "none"
                ? null
                : $"The browser sent this request from another origin (Sec-Fetch-Site: {Clip(site)}, Origin: {Clip(request.Headers.Origin.ToString())}); "
                  + "requests signed in with the ControlPlane cookie must come from ControlPlane's own pages. Scripts can use an API token.";
        }
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0 || IsThisHost(origin, request.Host))
        {
            return null;
        }
        return $"The request comes from origin {Clip(origin)}, not from {request.Host}; requests signed in with the ControlPlane cookie "
            + "must come from ControlPlane's own pages. Scripts can use an API token.";
    }

    private static bool IsGuarded(HttpRequest request) =>
        request.Path.StartsWithSegments("/hubs")
        || ((request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/account"))
            && !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method)));

    /// <summary>
    /// The origin's host is the request's, and so is its port when the Host header names one. Only the host is
    /// compared, not the scheme, so a proxy that ends TLS in front of ControlPlane does not turn every call away.
    /// </summary>
    private static bool IsThisHost(string origin, HostString host) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && string.Equals(uri.Host, host.Host, StringComparison.OrdinalIgnoreCase)
        && (host.Port is null || host.Port == uri.Port);

    /// <summary>The header as the audit record and the answer quote it: not more than a line.</summary>
    private static string Clip(string value) => value.Length <= 100 ? value : value[..100] + "…";
}
