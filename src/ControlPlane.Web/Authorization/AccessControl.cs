using System.Security.Claims;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Security;
using ControlPlane.Core.Identity;
using ControlPlane.Web.Authentication;

namespace ControlPlane.Web.Authorization;

/// <summary>
/// Who a signed-in principal is for the gate: their grants (read from the stored grants by user name and Entra
/// groups, plus those their Entra app roles imply), whether they may do something to a target, and an audit record
/// for every refusal. Pages, API endpoints and the hub all ask here; the rules themselves are Core's.
/// </summary>
public sealed class AccessControl(IGrantSource grants, ChangeGate gate, EntraGrantOptions entra, ILogger<AccessControl> logger)
{
    /// <summary>How many distinct unknown app-role values are logged; the rest are ignored quietly.</summary>
    private const int UnknownAppRolesLogged = 100;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _unknownAppRoles = new(StringComparer.Ordinal);

    /// <summary>The caller's grants: their user's, their Entra groups', and those their Entra app roles imply.</summary>
    public async Task<IReadOnlyList<Grant>> GrantsOfAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        if (user.Identity?.IsAuthenticated != true)
        {
            return [];
        }
        var stored = await grants.ForSubjectsAsync(SubjectsOf(user), ct);
        var fromAppRoles = user.AppRoles()
            .Select(value => Roles.TryParse(value, out var role) ? (Role?)role : Unknown(value))
            .OfType<Role>()
            .Select(role => new Grant(0, $"approle:{role}", role, AccessScope.Everywhere));
        return [.. stored, .. fromAppRoles];
    }

    /// <summary>
    /// The grant subjects that name the caller: an Entra user by <c>entra:&lt;tid&gt;/&lt;oid&gt;</c> and their groups (and,
    /// while <see cref="EntraGrantOptions.UserNameGrants"/> allows it, their <c>preferred_username</c>); anyone else by
    /// their local user name.
    /// </summary>
    public IReadOnlyCollection<string> SubjectsOf(ClaimsPrincipal user) =>
        user.EntraUserSubject() is { } stable
            ? [stable, .. entra.UserNameGrants ? [user.UserName()] : Array.Empty<string>(), .. user.Groups().Select(g => $"group:{g}")]
            : [user.UserName(), .. user.Groups().Select(g => $"group:{g}")];

    private Role? Unknown(string value)
    {
        if (_unknownAppRoles.Count < UnknownAppRolesLogged && _unknownAppRoles.TryAdd(value, true))
        {
            logger.LogWarning("Ignoring the Entra app role '{AppRole}': ControlPlane knows Viewer, Operator, SecretsAdmin and Admin (optionally prefixed ControlPlane.).", value);
        }
        return null;
    }

    /// <summary>The principal as the gate's caller: name for the audit log, grants, address, and local account when they have one.</summary>
    public async Task<ChangeCaller> CallerAsync(ClaimsPrincipal user, string? clientAddress, CancellationToken ct = default) =>
        new(user.Actor(), await GrantsOfAsync(user, ct), clientAddress)
        {
            AccountId = user.LocalAccountId(),
            ByApiToken = user.ApiTokenId() is not null,
        };

    public async Task<bool> IsAllowedAsync(ClaimsPrincipal user, string permission, AccessTarget target, CancellationToken ct = default) =>
        AccessPolicy.IsAllowed(await GrantsOfAsync(user, ct), permission, target);

    public async Task<ClusterVisibility> VisibilityAsync(ClaimsPrincipal user, string cluster, CancellationToken ct = default) =>
        ClusterVisibility.For(await GrantsOfAsync(user, ct), cluster);

    /// <summary>
    /// Allows or refuses, through the gate's permission check: a refusal is written to the audit log with who, what,
    /// where and from where (a failing audit write fails the request; it is never swallowed).
    /// </summary>
    public async Task<bool> DemandAsync(ClaimsPrincipal user, string permission, AccessTarget target, string? clientAddress, CancellationToken ct = default)
    {
        if (user.Identity?.IsAuthenticated != true)
        {
            await gate.AuditRefusalAsync(user.Actor(), permission, target.ToString(), clientAddress, "not signed in");
            return false;
        }
        return await gate.RefuseAsync(await CallerAsync(user, clientAddress, ct), new ChangeIntent(permission, target, permission, "")) is null;
    }

    /// <summary>Records a refused attempt that names no change yet (not signed in, a cluster the caller may not see).</summary>
    public Task AuditRefusalAsync(string actor, string action, string target, string? clientAddress, string detail) =>
        gate.AuditRefusalAsync(actor, action, target, clientAddress, detail);
}
