using System.Security.Claims;
using ControlPlane.Core.Identity;
using Microsoft.Identity.Web;

namespace ControlPlane.Web.Authentication;

/// <summary>How ControlPlane reads who the caller is, whatever signed them in.</summary>
public static class ControlPlaneClaims
{
    /// <summary>Set on principals signed in with an API token: the token's name, so the audit log says which token acted.</summary>
    public const string TokenName = "controlplane:token";

    /// <summary>Set on principals signed in with an API token: the token's id, so a stream it opened can check it is still live.</summary>
    public const string TokenId = "controlplane:token-id";

    /// <summary>Set on cookie sessions of local accounts: the account's security stamp when they signed in.</summary>
    public const string SecurityStamp = "controlplane:stamp";

    /// <summary>Entra's group object ids (emitted when the app registration asks for group claims).</summary>
    public const string Group = "groups";

    /// <summary>Entra app roles.</summary>
    public const string AppRole = "roles";

    /// <summary>An Entra principal's tenant id (<c>tid</c>, or its long form when inbound claims are mapped).</summary>
    public static string? EntraTenantId(this ClaimsPrincipal principal) => principal.GetTenantId();

    /// <summary>An Entra principal's object id (<c>oid</c>, or its long form when inbound claims are mapped).</summary>
    public static string? EntraObjectId(this ClaimsPrincipal principal) => principal.GetObjectId();

    /// <summary>
    /// The grant subject that names this Entra user for good, <c>entra:&lt;tid&gt;/&lt;oid&gt;</c>; null for local accounts
    /// and API tokens.
    /// </summary>
    public static string? EntraUserSubject(this ClaimsPrincipal principal) =>
        IdentityRules.EntraUserSubject(principal.EntraTenantId(), principal.EntraObjectId());

    public static string UserName(this ClaimsPrincipal principal) =>
        principal.FindFirstValue("preferred_username") ?? principal.Identity?.Name ?? principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? "anonymous";

    /// <summary>How the audit log names the caller: "alice", or "alice (token ci-deploy)".</summary>
    public static string Actor(this ClaimsPrincipal principal) =>
        principal.Identity?.IsAuthenticated != true ? "anonymous"
        : principal.FindFirstValue(TokenName) is { } token ? $"{principal.UserName()} (token {token})"
        : principal.UserName();

    /// <summary>The local account id of a principal signed in with a password or an API token; Entra users have none.</summary>
    public static long? LocalAccountId(this ClaimsPrincipal principal) =>
        principal.EntraTenantId() is null && long.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;

    /// <summary>The id of the API token a principal signed in with; null for everyone else.</summary>
    public static long? ApiTokenId(this ClaimsPrincipal principal) =>
        long.TryParse(principal.FindFirstValue(TokenId), out var id) ? id : null;

    public static IEnumerable<string> Groups(this ClaimsPrincipal principal) =>
        principal.FindAll(Group).Select(c => c.Value);

    public static IEnumerable<string> AppRoles(this ClaimsPrincipal principal) =>
        principal.FindAll(AppRole).Concat(principal.FindAll(ClaimTypes.Role)).Select(c => c.Value).Distinct();
}
