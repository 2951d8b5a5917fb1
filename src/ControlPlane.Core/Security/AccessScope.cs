namespace ControlPlane.Core.Security;

/// <summary>Where a grant applies: all clusters (both null), one cluster, or one stack of one cluster.</summary>
public sealed record AccessScope(string? Cluster = null, string? Stack = null)
{
    public static readonly AccessScope Everywhere = new();

    public static AccessScope OfCluster(string cluster) => new(cluster);

    public static AccessScope OfStack(string cluster, string stack) => new(cluster, stack);

    /// <summary>A stack scope needs its cluster: the same stack name means different things on different clusters.</summary>
    public bool IsValid => Stack is null || Cluster is not null;

    /// <summary>Whether an action on <paramref name="target"/> falls inside this scope.</summary>
    public bool Covers(AccessTarget target) =>
        (Cluster is null || Cluster == target.Cluster) && (Stack is null || Stack == target.Stack);

    public override string ToString() => (Cluster, Stack) switch
    {
        (null, _) => "all clusters",
        (var c, null) => $"cluster {c}",
        var (c, s) => $"stack {s} of cluster {c}",
    };
}

/// <summary>
/// What an action touches: nothing in particular (users, grants), a cluster (nodes, secrets outside stacks),
/// or something inside a stack of a cluster (its services, and secrets labelled with the stack).
/// </summary>
public sealed record AccessTarget(string? Cluster = null, string? Stack = null)
{
    public static readonly AccessTarget Global = new();

    public static AccessTarget InCluster(string cluster, string? stack = null) => new(cluster, stack);

    public override string ToString() => (Cluster, Stack) switch
    {
        (null, _) => "ControlPlane",
        (var c, null) => c,
        var (c, s) => $"{c}/{s}",
    };
}

/// <summary>A role on a scope given to a subject: a user name, or an Entra group as <c>group:&lt;object id&gt;</c>.</summary>
public sealed record Grant(long Id, string Subject, Role Role, AccessScope Scope);
