using ControlPlane.Core.Model;
using ControlPlane.Core.Security;

namespace ControlPlane.Core.DockerApi;

/// <summary>What an Engine API route does, for the gate.</summary>
public enum EngineAccess
{
    /// <summary>Version negotiation and what every CLI command asks first: open to whoever sees something of the cluster.</summary>
    Open,

    /// <summary>Reads one object (or the cluster): the permission on the object's scope.</summary>
    Read,

    /// <summary>Lists objects: answered filtered to what the caller may see.</summary>
    List,

    /// <summary>Changes something: through the gate, audited whatever happens.</summary>
    Change,
}

/// <summary>Where a route's target (and so the scope its permission is asked on) is found.</summary>
public enum EngineTarget
{
    /// <summary>The cluster itself.</summary>
    Cluster,

    /// <summary>The object named in the path, looked up in ControlPlane's picture (never the name as typed).</summary>
    PathObject,

    /// <summary>The stack the request's spec names in its <c>com.docker.stack.namespace</c> label (a create).</summary>
    SpecLabel,

    /// <summary>The object in the path, and the stack its new spec names, when another (an update).</summary>
    PathObjectAndSpec,

    /// <summary>
    /// An exec instance in the path: the container ControlPlane created it for, from its own record of the execs it
    /// created (<see cref="ExecRecords"/>); never the container the caller or the engine says.
    /// </summary>
    ExecInstance,
}

/// <summary>One classified Engine API route: method, path pattern (<c>{id}</c> one segment, <c>{name*}</c> the rest) and how it is authorized.</summary>
public sealed record EngineRoute(string Method, string Pattern, EngineAccess Access, string Permission, ResourceKind? Kind = null, EngineTarget Target = EngineTarget.Cluster)
{
    private readonly string[] _segments = Pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The audit log's action: <c>docker POST /services/{id}/update</c>.</summary>
    public string Action => $"docker {Method} {Pattern}";

    /// <summary>Whether the route is in the table (an unclassified one is for the cluster's Admin only).</summary>
    public bool Classified { get; init; } = true;

    /// <summary>Docker hijacks the connection (<c>attach</c>, <c>exec</c> start): <c>101</c>, then a raw stream both ways.</summary>
    public bool Hijacks { get; init; }

    internal bool TryMatch(string method, string[] path, out string? id)
    {
        id = null;
        if (!string.Equals(method, Method, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        for (var i = 0; i < _segments.Length; i++)
        {
            var segment = _segments[i];
            if (segment.EndsWith("*}", StringComparison.Ordinal))
            {
                // A name of several segments (an image reference), followed by the pattern's fixed tail.
                var tail = _segments.Length - i - 1;
                if (path.Length - i - tail < 1 || !path[^tail..].SequenceEqual(_segments[^tail..], StringComparer.Ordinal))
                {
                    return false;
                }
                id = string.Join('/', path[i..^tail]);
                return true;
            }
            if (i >= path.Length)
            {
                return false;
            }
            if (segment.StartsWith('{'))
            {
                id = path[i];
            }
            else if (segment != path[i])
            {
                return false;
            }
        }
        return path.Length == _segments.Length;
    }
}

/// <summary>A request matched to its route, with the object id (or name) its path names.</summary>
public sealed record EngineCall(EngineRoute Route, string Path, string? ObjectId);

/// <summary>
/// Every Engine API route the docker CLI uses for swarm work, classified (DESIGN §10). Deny by default: a route not in
/// the table needs <see cref="Permissions.Swarm.Engine"/> on the cluster, which only its Admins hold.
/// </summary>
public static class EngineRoutes
{
    private const string Get = "GET";
    private const string Post = "POST";
    private const string Delete = "DELETE";

    public static readonly IReadOnlyList<EngineRoute> Table =
    [
        // What every command asks first, and image digests for service creates and updates.
        new(Get, "/_ping", EngineAccess.Open, Permissions.Clusters.Read),
        new("HEAD", "/_ping", EngineAccess.Open, Permissions.Clusters.Read),
        new(Get, "/version", EngineAccess.Open, Permissions.Clusters.Read),
        // docker stack deploy asks whether it talks to a manager before anything else.
        new(Get, "/info", EngineAccess.Open, Permissions.Clusters.Read),
        new(Get, "/distribution/{name*}/json", EngineAccess.Open, Permissions.Clusters.Read),

        new(Get, "/services", EngineAccess.List, Permissions.Clusters.Read, ResourceKind.Service),
        new(Get, "/services/{id}", EngineAccess.Read, Permissions.Clusters.Read, ResourceKind.Service, EngineTarget.PathObject),
        new(Get, "/services/{id}/logs", EngineAccess.Read, Permissions.Services.ReadLogs, ResourceKind.Service, EngineTarget.PathObject),
        new(Post, "/services/create", EngineAccess.Change, Permissions.Services.Create, ResourceKind.Service, EngineTarget.SpecLabel),
        new(Post, "/services/{id}/update", EngineAccess.Change, Permissions.Services.Update, ResourceKind.Service, EngineTarget.PathObjectAndSpec),
        new(Delete, "/services/{id}", EngineAccess.Change, Permissions.Services.Remove, ResourceKind.Service, EngineTarget.PathObject),

        new(Get, "/tasks", EngineAccess.List, Permissions.Clusters.Read, ResourceKind.Task),
        new(Get, "/tasks/{id}", EngineAccess.Read, Permissions.Clusters.Read, ResourceKind.Task, EngineTarget.PathObject),
        new(Get, "/tasks/{id}/logs", EngineAccess.Read, Permissions.Services.ReadLogs, ResourceKind.Task, EngineTarget.PathObject),

        new(Get, "/containers/json", EngineAccess.List, Permissions.Clusters.Read, ResourceKind.Container),
        new(Get, "/containers/{id}/json", EngineAccess.Read, Permissions.Clusters.Read, ResourceKind.Container, EngineTarget.PathObject),
        new(Get, "/containers/{id}/logs", EngineAccess.Read, Permissions.Services.ReadLogs, ResourceKind.Container, EngineTarget.PathObject),
        // docker attach and exec: a shell in a container reads its secrets, so they need services.exec on its stack. The
        // endpoint forwards to the manager, so these reach containers on the manager node.
        new(Post, "/containers/{id}/attach", EngineAccess.Change, Permissions.Services.Exec, ResourceKind.Container, EngineTarget.PathObject) { Hijacks = true },
        new(Post, "/containers/{id}/resize", EngineAccess.Read, Permissions.Services.Exec, ResourceKind.Container, EngineTarget.PathObject),
        new(Post, "/containers/{id}/wait", EngineAccess.Read, Permissions.Clusters.Read, ResourceKind.Container, EngineTarget.PathObject),
        new(Post, "/containers/{id}/exec", EngineAccess.Change, Permissions.Services.Exec, ResourceKind.Container, EngineTarget.PathObject),
        new(Post, "/exec/{id}/start", EngineAccess.Change, Permissions.Services.Exec, ResourceKind.Container, EngineTarget.ExecInstance) { Hijacks = true },
        new(Post, "/exec/{id}/resize", EngineAccess.Read, Permissions.Services.Exec, ResourceKind.Container, EngineTarget.ExecInstance),
        new(Get, "/exec/{id}/json", EngineAccess.Read, Permissions.Services.Exec, ResourceKind.Container, EngineTarget.ExecInstance),

        new(Get, "/secrets", EngineAccess.List, Permissions.Clusters.Read, ResourceKind.Secret),
        new(Get, "/secrets/{id}", EngineAccess.Read, Permissions.Clusters.Read, ResourceKind.Secret, EngineTarget.PathObject),
        new(Post, "/secrets/create", EngineAccess.Change, Permissions.Secrets.Create, ResourceKind.Secret, EngineTarget.SpecLabel),
        new(Post, "/secrets/{id}/update", EngineAccess.Change, Permissions.Secrets.Rotate, ResourceKind.Secret, EngineTarget.PathObjectAndSpec),
        new(Delete, "/secrets/{id}", EngineAccess.Change, Permissions.Secrets.Remove, ResourceKind.Secret, EngineTarget.PathObject),

        new(Get, "/configs", EngineAccess.List, Permissions.Clusters.Read, ResourceKind.Config),
        new(Get, "/configs/{id}", EngineAccess.Read, Permissions.Clusters.Read, ResourceKind.Config, EngineTarget.PathObject),
        new(Post, "/configs/create", EngineAccess.Change, Permissions.Configs.Create, ResourceKind.Config, EngineTarget.SpecLabel),
        new(Post, "/configs/{id}/update", EngineAccess.Change, Permissions.Configs.Rotate, ResourceKind.Config, EngineTarget.PathObjectAndSpec),
        new(Delete, "/configs/{id}", EngineAccess.Change, Permissions.Configs.Remove, ResourceKind.Config, EngineTarget.PathObject),

        // A stack's networks are made and pruned by deploying it.
        new(Get, "/networks", EngineAccess.List, Permissions.Clusters.Read, ResourceKind.Network),
        new(Get, "/networks/{id}", EngineAccess.Read, Permissions.Clusters.Read, ResourceKind.Network, EngineTarget.PathObject),
        new(Post, "/networks/create", EngineAccess.Change, Permissions.Stacks.Deploy, ResourceKind.Network, EngineTarget.SpecLabel),
        new(Delete, "/networks/{id}", EngineAccess.Change, Permissions.Stacks.Deploy, ResourceKind.Network, EngineTarget.PathObject),

        // Nodes belong to the cluster: stack users see none, and changing one is the cluster Admin's.
        new(Get, "/nodes", EngineAccess.List, Permissions.Clusters.Read, ResourceKind.Node),
        // docker service ps inspects the node of every task to print its name: open to stack users like /info (a node's
        // name and state are what their tasks already show).
        new(Get, "/nodes/{id}", EngineAccess.Open, Permissions.Clusters.Read, ResourceKind.Node),
        new(Post, "/nodes/{id}/update", EngineAccess.Change, Permissions.Swarm.Engine, ResourceKind.Node),
        new(Delete, "/nodes/{id}", EngineAccess.Change, Permissions.Swarm.Engine, ResourceKind.Node),

        // The engine's stream of events: a stack user's is filtered to their stacks' objects, line by line.
        new(Get, "/events", EngineAccess.List, Permissions.Clusters.Read, ResourceKind.Event),
        // The swarm itself (its inspect carries the join tokens), plugins and the system: the cluster's Admin.
        new(Get, "/swarm", EngineAccess.Read, Permissions.Swarm.Engine),
        new(Post, "/swarm/{op*}", EngineAccess.Change, Permissions.Swarm.Engine),
    ];

    /// <summary>
    /// Matches a request to its route. <paramref name="path"/> is the Engine API path after the cluster prefix, with or
    /// without the <c>/v1.41</c> version; an unknown route comes back unclassified, for the cluster's Admin alone.
    /// </summary>
    public static EngineCall Classify(string method, string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length > 0 && IsVersion(segments[0]))
        {
            segments = segments[1..];
        }
        var bare = "/" + string.Join('/', segments);
        foreach (var route in Table)
        {
            if (route.TryMatch(method, segments, out var id))
            {
                return new EngineCall(route, bare, id);
            }
        }
        var reading = method is "GET" or "HEAD";
        return new EngineCall(new EngineRoute(method.ToUpperInvariant(), bare, reading ? EngineAccess.Read : EngineAccess.Change, Permissions.Swarm.Engine) { Classified = false }, bare, null);
    }

    private static bool IsVersion(string segment) =>
        segment.Length > 1 && segment[0] == 'v' && segment[1..].All(c => char.IsAsciiDigit(c) || c == '.');
}
