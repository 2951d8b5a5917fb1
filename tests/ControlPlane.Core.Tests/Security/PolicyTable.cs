using System.Reflection;
using ControlPlane.Core.Security;

namespace ControlPlane.Core.Tests.Security;

/// <summary>What an action acts on, as the permission tables see it.</summary>
internal enum Touches
{
    /// <summary>Something inside the shop stack of this cluster: a service, its logs, its mounts.</summary>
    ShopStack,

    /// <summary>This cluster, outside any stack: nodes, images on nodes, secret and config families.</summary>
    Cluster,

    /// <summary>ControlPlane itself, in no cluster: users, grants, the audit log, the list of clusters.</summary>
    ControlPlane,
}

/// <summary>
/// Who may do what where, written out by hand from DESIGN §5 and checked against the product: never computed with
/// <see cref="Roles"/> or <see cref="AccessPolicy"/>, so a change of policy has to change this table too.
/// Shared by the Core policy test and the Web permission matrix (linked into both test projects).
/// </summary>
internal static class PolicyTable
{
    /// <summary>The scopes every role is tried on, by the names both tests use.</summary>
    public const string AllClusters = "all";
    public const string ThisCluster = "cluster";
    public const string OtherCluster = "other-cluster";
    public const string ShopStack = "stack";
    public const string OtherStack = "other-stack";

    public static readonly string[] ScopeNames = [AllClusters, ThisCluster, OtherCluster, ShopStack, OtherStack];

    /// <summary>
    /// Which roles hold each permission (V Viewer, O Operator, S SecretsAdmin, A Admin, - not held), and where
    /// the things it acts on live, which is the narrowest scope a grant of it can ever work on: a stack, a
    /// cluster, or ControlPlane (global-only: only a grant on all clusters reaches it).
    /// </summary>
    public static readonly IReadOnlyList<(string Permission, string Roles, Touches On)> Rows =
    [
        // Viewer reads everything but secret values (no permission reads those).
        (Permissions.Clusters.Read,     "VOSA", Touches.ShopStack),
        // Operator: scale, restart, roll out, roll back; read logs; distribute images.
        (Permissions.Services.Update,   "-O-A", Touches.ShopStack),
        (Permissions.Services.ReadLogs, "-O-A", Touches.ShopStack),
        (Permissions.Images.Distribute, "-O-A", Touches.Cluster),
        // Operator on a stack deploys, updates and removes that stack and its services (DESIGN §9).
        (Permissions.Stacks.Deploy,     "-O-A", Touches.ShopStack),
        (Permissions.Stacks.Remove,     "-O-A", Touches.ShopStack),
        (Permissions.Services.Create,   "-O-A", Touches.ShopStack),
        (Permissions.Services.Remove,   "-O-A", Touches.ShopStack),
        // SecretsAdmin: create, inject, rotate, remove secrets and configs. A family is created and removed at
        // cluster level; it is injected into a service of a stack.
        (Permissions.Secrets.Create,    "--SA", Touches.Cluster),
        (Permissions.Secrets.Inject,    "--SA", Touches.ShopStack),
        (Permissions.Secrets.Rotate,    "--SA", Touches.Cluster),
        (Permissions.Secrets.Remove,    "--SA", Touches.Cluster),
        (Permissions.Configs.Create,    "--SA", Touches.Cluster),
        (Permissions.Configs.Inject,    "--SA", Touches.ShopStack),
        (Permissions.Configs.Rotate,    "--SA", Touches.Cluster),
        (Permissions.Configs.Remove,    "--SA", Touches.Cluster),
        // Admin: all of the above, plus nodes, users, grants and clusters.
        (Permissions.Nodes.Update,      "---A", Touches.Cluster),
        (Permissions.Nodes.Remove,      "---A", Touches.Cluster),
        (Permissions.Swarm.JoinTokens,  "---A", Touches.Cluster),
        (Permissions.Swarm.Engine,      "---A", Touches.Cluster),
        // The restricted rule: host bind mounts, host network, cap_add, devices, sysctls. Asked for on the cluster,
        // so only an Admin of the cluster (or of all clusters) has it, never an Admin of a stack.
        (Permissions.Services.Unrestricted, "---A", Touches.Cluster),
        // A shell in a container reads its mounted secrets: an Admin's, of the stack or more.
        (Permissions.Services.Exec,     "---A", Touches.ShopStack),
        (Permissions.Clusters.Manage,   "---A", Touches.ControlPlane),
        (Permissions.Users.Manage,      "---A", Touches.ControlPlane),
        (Permissions.Grants.Manage,     "---A", Touches.ControlPlane),
        (Permissions.Audit.Read,        "---A", Touches.ControlPlane),
    ];

    /// <summary>
    /// Whether a grant on each scope reaches what an action touches (Y yes, - no), in the order of
    /// <see cref="ScopeNames"/>: all clusters, this cluster, another cluster, the shop stack, another stack.
    /// </summary>
    private static readonly IReadOnlyDictionary<Touches, string> Reach = new Dictionary<Touches, string>
    {
        //                                all  cluster  other-cluster  stack  other-stack
        [Touches.ShopStack] = "Y Y - Y -",
        [Touches.Cluster] = "Y Y - - -",
        [Touches.ControlPlane] = "Y - - - -",
    };

    public static (string Permission, string Roles, Touches On) Row(string permission) =>
        Rows.Single(r => r.Permission == permission);

    /// <summary>Whether <paramref name="role"/> holds <paramref name="permission"/>, read from its letter in the table.</summary>
    public static bool Holds(Role role, string permission) => Row(permission).Roles[(int)role] == "VOSA"[(int)role];

    /// <summary>Whether a grant on the named scope reaches an action that touches <paramref name="on"/>.</summary>
    public static bool Reaches(string scope, Touches on) => Reach[on].Split(' ')[Array.IndexOf(ScopeNames, scope)] == "Y";

    /// <summary>
    /// The table's answer: the role holds the permission, and the scope reaches what the action touches. A
    /// global-only permission is reached only by an all-clusters grant, whatever it touches.
    /// </summary>
    public static bool Allows(Role role, string scope, string permission, Touches on) =>
        Holds(role, permission) && Reaches(scope, Row(permission).On == Touches.ControlPlane ? Touches.ControlPlane : on);

    /// <summary>Every permission constant declared in <see cref="Permissions"/>, found by reflection so a new one cannot hide.</summary>
    public static IReadOnlySet<string> Declared() => typeof(Permissions).GetNestedTypes()
        .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .ToHashSet();
}
