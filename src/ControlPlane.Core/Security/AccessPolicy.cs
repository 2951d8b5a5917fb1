namespace ControlPlane.Core.Security;

/// <summary>The one rule: an action is allowed when some grant of the caller has a role holding the permission on a scope covering the target.</summary>
public static class AccessPolicy
{
    public static bool IsAllowed(IEnumerable<Grant> grants, string permission, AccessTarget target) =>
        grants.Any(g => Roles.Has(g.Role, permission)
            && g.Scope.Covers(target)
            // Users, grants and the audit log are not inside any cluster: only an all-clusters grant reaches them.
            && (!Permissions.Global.Contains(permission) || g.Scope == AccessScope.Everywhere));
}
