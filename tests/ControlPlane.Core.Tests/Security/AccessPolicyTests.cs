using ControlPlane.Core.Security;

namespace ControlPlane.Core.Tests.Security;

public class AccessPolicyTests
{
    private static Grant G(Role role, AccessScope scope) => new(1, "alice", role, scope);

    [Theory]
    [InlineData(Role.Viewer, Permissions.Clusters.Read, true)]
    [InlineData(Role.Viewer, Permissions.Services.Update, false)]
    [InlineData(Role.Viewer, Permissions.Secrets.Create, false)]
    [InlineData(Role.Operator, Permissions.Services.Update, true)]
    [InlineData(Role.Operator, Permissions.Images.Distribute, true)]
    [InlineData(Role.Operator, Permissions.Secrets.Rotate, false)]
    [InlineData(Role.Operator, Permissions.Nodes.Update, false)]
    [InlineData(Role.SecretsAdmin, Permissions.Secrets.Rotate, true)]
    [InlineData(Role.SecretsAdmin, Permissions.Configs.Inject, true)]
    [InlineData(Role.SecretsAdmin, Permissions.Services.Update, false)]
    [InlineData(Role.Admin, Permissions.Nodes.Update, true)]
    [InlineData(Role.Admin, Permissions.Users.Manage, true)]
    public void Each_role_holds_exactly_its_permissions(Role role, string permission, bool allowed)
    {
        Assert.Equal(allowed, AccessPolicy.IsAllowed([G(role, AccessScope.Everywhere)], permission, AccessTarget.InCluster("prod", "shop")));
    }

    [Fact]
    public void A_stack_grant_reaches_its_stack_and_nothing_else()
    {
        Grant[] grants = [G(Role.Operator, AccessScope.OfStack("prod", "shop"))];

        Assert.True(AccessPolicy.IsAllowed(grants, Permissions.Services.Update, AccessTarget.InCluster("prod", "shop")));
        Assert.False(AccessPolicy.IsAllowed(grants, Permissions.Services.Update, AccessTarget.InCluster("prod", "billing")));
        Assert.False(AccessPolicy.IsAllowed(grants, Permissions.Services.Update, AccessTarget.InCluster("prod")));
        Assert.False(AccessPolicy.IsAllowed(grants, Permissions.Services.Update, AccessTarget.InCluster("staging", "shop")));
    }

    [Fact]
    public void A_cluster_grant_reaches_every_stack_of_that_cluster_only()
    {
        Grant[] grants = [G(Role.Viewer, AccessScope.OfCluster("prod"))];

        Assert.True(AccessPolicy.IsAllowed(grants, Permissions.Clusters.Read, AccessTarget.InCluster("prod", "shop")));
        Assert.True(AccessPolicy.IsAllowed(grants, Permissions.Clusters.Read, AccessTarget.InCluster("prod")));
        Assert.False(AccessPolicy.IsAllowed(grants, Permissions.Clusters.Read, AccessTarget.InCluster("staging")));
    }

    [Fact]
    public void Users_grants_and_audit_need_an_admin_grant_on_all_clusters()
    {
        Assert.False(AccessPolicy.IsAllowed([G(Role.Admin, AccessScope.OfCluster("prod"))], Permissions.Users.Manage, AccessTarget.Global));
        Assert.True(AccessPolicy.IsAllowed([G(Role.Admin, AccessScope.Everywhere)], Permissions.Users.Manage, AccessTarget.Global));
    }

    [Fact]
    public void Grants_add_up_and_no_grant_allows_nothing()
    {
        Grant[] grants = [G(Role.Viewer, AccessScope.Everywhere), G(Role.Operator, AccessScope.OfStack("prod", "shop"))];

        Assert.True(AccessPolicy.IsAllowed(grants, Permissions.Services.Update, AccessTarget.InCluster("prod", "shop")));
        Assert.False(AccessPolicy.IsAllowed(grants, Permissions.Services.Update, AccessTarget.InCluster("prod", "other")));
        Assert.False(AccessPolicy.IsAllowed([], Permissions.Clusters.Read, AccessTarget.InCluster("prod")));
    }

    [Fact]
    public void Every_permission_belongs_to_the_admin_role_and_read_to_every_role()
    {
        Assert.All(Permissions.All, p => Assert.True(Roles.Has(Role.Admin, p)));
        Assert.All(Enum.GetValues<Role>(), r => Assert.True(Roles.Has(r, Permissions.Clusters.Read)));
    }
}
