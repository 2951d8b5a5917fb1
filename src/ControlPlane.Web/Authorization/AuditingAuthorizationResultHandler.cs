using ControlPlane.Web.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace ControlPlane.Web.Authorization;

/// <summary>
/// Puts every request the authorization middleware refuses into the audit log (anonymous API calls
/// counted per address and written once a minute, see <see cref="AnonymousRefusals"/>), then answers as usual:
/// 401/403 for the API and the hub, a redirect to sign-in for pages.
/// </summary>
public sealed class AuditingAuthorizationResultHandler(AccessControl access, AnonymousRefusals anonymous) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Challenged && IsApiOrHub(context.Request.Path))
        {
            anonymous.Count(context.ClientAddress(), $"{context.Request.Method} {context.Request.Path}");
        }
        else if (authorizeResult.Forbidden && IsApiOrHub(context.Request.Path))
        {
            await access.AuditRefusalAsync(context.User.Actor(), $"{context.Request.Method} {context.Request.Path}", "ControlPlane",
                context.ClientAddress(), "refused by policy");
        }
        await _default.HandleAsync(next, context, policy, authorizeResult);
    }

    public static bool IsApiOrHub(PathString path) => path.StartsWithSegments("/api") || path.StartsWithSegments("/hubs");
}
