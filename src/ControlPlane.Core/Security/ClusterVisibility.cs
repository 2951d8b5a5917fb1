using ControlPlane.Core.Model;
using ControlPlane.Core.State;

namespace ControlPlane.Core.Security;

/// <summary>
/// What of one cluster a caller may see: everything with a grant on the cluster (or all clusters),
/// only their stacks' services, tasks, containers, secrets, configs and networks with stack grants,
/// nothing without a grant. How ControlPlane reaches the cluster (endpoint, versions, the last error) is part
/// of "everything": stack-only callers see the cluster's name and status.
/// </summary>
public sealed class ClusterVisibility
{
    private readonly string _cluster;
    private readonly IReadOnlySet<string> _stacks;

    private ClusterVisibility(string cluster, bool everything, IReadOnlySet<string> stacks)
    {
        _cluster = cluster;
        SeesEverything = everything;
        _stacks = stacks;
    }

    public static ClusterVisibility For(IEnumerable<Grant> grants, string cluster)
    {
        var reading = grants.Where(g => Roles.Has(g.Role, Permissions.Clusters.Read)).ToList();
        var everything = reading.Any(g => g.Scope.Covers(AccessTarget.InCluster(cluster)));
        var stacks = reading.Where(g => g.Scope.Cluster == cluster && g.Scope.Stack is not null).Select(g => g.Scope.Stack!).ToHashSet(StringComparer.Ordinal);
        return new ClusterVisibility(cluster, everything, stacks);
    }

    /// <summary>The clusters of which the caller may see something, in the order given.</summary>
    public static IEnumerable<ClusterInfo> VisibleClusters(IReadOnlyList<Grant> grants, IEnumerable<ClusterInfo> clusters) =>
        clusters.Select(c => (Cluster: c, Visibility: For(grants, c.Id)))
            .Where(c => c.Visibility.SeesAnything)
            .Select(c => c.Visibility.Describe(c.Cluster));

    public bool SeesEverything { get; }

    /// <summary>Whether the caller may see the cluster at all (its name, status and something in it).</summary>
    public bool SeesAnything => SeesEverything || _stacks.Count > 0;

    public IReadOnlySet<string> Stacks => _stacks;

    /// <summary>The access target of an object: its stack when it belongs to one, else the cluster.</summary>
    public AccessTarget TargetOf(IClusterResource resource, ClusterState state) => AccessTarget.InCluster(_cluster, StackOf(resource, state));

    public bool CanSee(IClusterResource resource, ClusterState state) =>
        SeesEverything || (StackOf(resource, state) is { } stack && _stacks.Contains(stack));

    /// <summary>The cluster as this caller may see it: with its connection details only when they see everything.</summary>
    public ClusterInfo Describe(ClusterInfo cluster) => SeesEverything ? cluster : cluster.WithoutConnectionDetails();

    /// <summary>The state as this caller may see it (the same object when they see everything).</summary>
    public ClusterState Apply(ClusterState state) =>
        SeesEverything ? state : state.WithinStacks(_stacks, r => CanSee(r, state)).WithCluster(Describe(state.Cluster));

    /// <summary>The stack an object belongs to, by the label docker stack deploy sets or through its service.</summary>
    public static string? StackOf(IClusterResource resource, ClusterState state) => resource switch
    {
        ClusterService service => service.Stack,
        ClusterTask task => state.Get<ClusterService>(ResourceKind.Service, task.ServiceId)?.Stack,
        ClusterContainer container => container.Labels.GetValueOrDefault(StackLabel)
            ?? (container.ServiceId is { } id ? state.Get<ClusterService>(ResourceKind.Service, id)?.Stack : null),
        ClusterFileObject file => file.Labels.GetValueOrDefault(StackLabel),
        ClusterNetwork network => network.Labels.GetValueOrDefault(StackLabel),
        ClusterEvent e => e.Attributes.GetValueOrDefault(StackLabel),
        _ => null,
    };

    /// <summary>The label docker stack deploy puts on what it makes, naming the stack.</summary>
    public const string StackLabel = "com.docker.stack.namespace";
}
