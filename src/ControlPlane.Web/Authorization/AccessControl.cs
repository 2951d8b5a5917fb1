using System.Security.Claims;
using ControlPlane.Core.Audit;
using ControlPlane.Core.Security;
using ControlPlane.Data.Identity;
using ControlPlane.Web.Authentication;

namespace ControlPlane.Web.Authorization;

/// <summary>
/// The server's one guard: what grants a caller holds, whether they may do something to a target, and
/// an audit record for every refusal. Pages, API endpoints and the hub all ask here.
/// </summary>
public sealed class AccessControl(IServiceScopeFactory scopes, IAuditLog audit, TimeProvider time, ILogger<AccessControl> logger) : IGrantSource
{
    /// <summary>The caller's grants: their user's, their Entra groups', and those their Entra app roles imply.</summary>
    public async Task<IReadOnlyList<Grant>> GrantsOfAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        if (user.Identity?.IsAuthenticated != true)
        {
            return [];
        }
        string[] subjects = [user.UserName(), .. user.Groups().Select(g => $"group:{g}")];
        await using var scope = scopes.CreateAsyncScope();
        var stored = await scope.ServiceProvider.GetRequiredService<Grants>().ForSubjectsAsync(subjects, ct);
        var fromAppRoles = user.AppRoles()
            .Select(value => Enum.TryParse<Role>(value.Replace("ControlPlane.", "", StringComparison.OrdinalIgnoreCase), ignoreCase: true, out var role) ? (Role?)role : null)
            .OfType<Role>()
            .Select(role => new Grant(0, $"approle:{role}", role, AccessScope.Everywhere));
        return [.. stored, .. fromAppRoles];
    }

    public async Task<bool> IsAllowedAsync(ClaimsPrincipal user, string permission, AccessTarget target, CancellationToken ct = default) =>
        AccessPolicy.IsAllowed(await GrantsOfAsync(user, ct), permission, target);

    public async Task<ClusterVisibility> VisibilityAsync(ClaimsPrincipal user, string cluster, CancellationToken ct = default) =>
        ClusterVisibility.For(await GrantsOfAsync(user, ct), cluster);

    /// <summary>Allows or refuses; a refusal is written to the audit log with who, what, where and from where.</summary>
    public async Task<bool> DemandAsync(ClaimsPrincipal user, string permission, AccessTarget target, string? clientAddress, CancellationToken ct = default)
    {
        if (await IsAllowedAsync(user, permission, target, ct))
        {
            return true;
        }
        await AuditRefusalAsync(user.Actor(), permission, target.ToString(), clientAddress,
            user.Identity?.IsAuthenticated == true ? "no grant gives this permission on this target" : "not signed in", ct);
        return false;
    }

    /// <summary>Records a refused attempt; a failing audit write is logged, never turned into an allow.</summary>
    public async Task AuditRefusalAsync(string actor, string action, string target, string? clientAddress, string detail, CancellationToken ct = default)
    {
        try
        {
            await audit.AppendAsync(new AuditEntry(time.GetUtcNow(), actor, action, target, AuditResult.Denied, clientAddress, detail), ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Could not audit a refused {Action} by {Actor}", action, actor);
        }
    }
}

/// <summary>Where a caller's grants come from (the database and Entra claims, in the app).</summary>
public interface IGrantSource
{
    Task<IReadOnlyList<Grant>> GrantsOfAsync(ClaimsPrincipal user, CancellationToken ct = default);
}
