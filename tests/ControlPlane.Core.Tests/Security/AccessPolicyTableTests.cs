using ControlPlane.Core.Security;

namespace ControlPlane.Core.Tests.Security;

/// <summary>
/// <see cref="AccessPolicy.IsAllowed"/> against the hand-written <see cref="PolicyTable"/>: every permission ×
/// role × scope, on each thing an action can touch. The same table drives the Web permission matrix on the swarm.
/// </summary>
public class AccessPolicyTableTests
{
    private const string Cluster = "prod";

    private static AccessScope ScopeNamed(string name) => name switch
    {
        PolicyTable.AllClusters => AccessScope.Everywhere,
        PolicyTable.ThisCluster => AccessScope.OfCluster(Cluster),
        PolicyTable.OtherCluster => AccessScope.OfCluster("staging"),
        PolicyTable.ShopStack => AccessScope.OfStack(Cluster, "shop"),
        PolicyTable.OtherStack => AccessScope.OfStack(Cluster, "billing"),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    private static AccessTarget TargetOf(Touches on) => on switch
    {
        Touches.ShopStack => AccessTarget.InCluster(Cluster, "shop"),
        Touches.Cluster => AccessTarget.InCluster(Cluster),
        _ => AccessTarget.Global,
    };

    public static TheoryData<string> EveryPermission() => [.. PolicyTable.Rows.Select(r => r.Permission)];

    [Theory]
    [MemberData(nameof(EveryPermission))]
    public void Every_role_on_every_scope_is_allowed_or_refused_as_the_table_says(string permission)
    {
        var mismatches = new List<string>();
        foreach (var on in Enum.GetValues<Touches>())
        {
            foreach (var role in Enum.GetValues<Role>())
            {
                foreach (var scope in PolicyTable.ScopeNames)
                {
                    var expected = PolicyTable.Allows(role, scope, permission, on);
                    var actual = AccessPolicy.IsAllowed([new Grant(1, "alice", role, ScopeNamed(scope))], permission, TargetOf(on));
                    if (actual != expected)
                    {
                        mismatches.Add($"{role} on {scope}, acting on {on}: expected {(expected ? "allowed" : "refused")}, got {(actual ? "allowed" : "refused")}");
                    }
                }
            }
        }
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    [Fact]
    public void The_table_has_one_row_for_every_declared_permission_and_a_column_for_every_role()
    {
        Assert.Equal(PolicyTable.Declared().Order(StringComparer.Ordinal), PolicyTable.Rows.Select(r => r.Permission).Order(StringComparer.Ordinal));
        Assert.Equal(PolicyTable.Declared().Order(StringComparer.Ordinal), Permissions.All.Order(StringComparer.Ordinal));
        Assert.Equal(new[] { "Viewer", "Operator", "SecretsAdmin", "Admin" }, Enum.GetNames<Role>());
    }

    [Fact]
    public void The_global_only_permissions_are_those_that_act_on_ControlPlane_itself()
    {
        Assert.Equal(
            PolicyTable.Rows.Where(r => r.On == Touches.ControlPlane).Select(r => r.Permission).Order(StringComparer.Ordinal),
            Permissions.Global.Order(StringComparer.Ordinal));
    }
}
