using System.Text.Json.Nodes;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;

namespace ControlPlane.Core.DockerApi;

/// <summary>
/// What one Engine API call asks of the gate: the intent (permission on the scope of the object acted on, found in
/// ControlPlane's picture), or a refusal that comes before the gate (a stack user's create without its stack label).
/// <see cref="Unresolved"/> names objects the call reaches that the picture does not hold yet (created a moment ago).
/// </summary>
public sealed record EngineVerdict(ChangeIntent Intent, string? Refusal = null)
{
    public IReadOnlyList<string> Unresolved { get; init; } = [];
}

/// <summary>Turns a classified Engine API call into the gate's intent (DESIGN §10): the rules, with no HTTP in sight.</summary>
public static class EngineAuthorization
{
    public const string StackLabel = ClusterVisibility.StackLabel;

    public static EngineVerdict Decide(EngineCall call, string cluster, ClusterState state, IReadOnlyList<Grant> grants, JsonObject? body, ExecRecords? execs = null)
    {
        var route = call.Route;
        var onCluster = AccessTarget.InCluster(cluster);
        var unresolved = new List<string>();
        switch (route.Access)
        {
            case EngineAccess.Open:
            case EngineAccess.List:
                // Anyone who sees something of the cluster; a list is then filtered to what they see.
                var visibility = ClusterVisibility.For(grants, cluster);
                var target = visibility.SeesEverything || visibility.Stacks.Count == 0 ? onCluster : AccessTarget.InCluster(cluster, visibility.Stacks.Order(StringComparer.Ordinal).First());
                return new EngineVerdict(new ChangeIntent(Permissions.Clusters.Read, target, route.Action, ""));
        }

        var subject = call.ObjectId is { } named ? $"{KindName(route.Kind)} {named}" : KindName(route.Kind);
        var scope = onCluster;
        var alsoOn = new List<AccessTarget>();
        if (route.Target is EngineTarget.PathObject or EngineTarget.PathObjectAndSpec && route.Kind is { } kind && call.ObjectId is { } id)
        {
            if (Find(state, kind, id) is { } found)
            {
                scope = AccessTarget.InCluster(cluster, ClusterVisibility.StackOf(found, state));
                subject = $"{KindName(kind)} {NameOf(found)}";
            }
            else
            {
                unresolved.Add(id);
            }
        }
        if (route.Target == EngineTarget.ExecInstance && call.ObjectId is { } execId)
        {
            if (execs?.ContainerOf(cluster, execId) is not { } containerId)
            {
                // Not one ControlPlane created: nothing says whose container it runs in, so only the cluster's Admin may.
                return new EngineVerdict(new ChangeIntent(route.Permission, onCluster, route.Action, $"exec {execId}") { Exclusive = false },
                    AccessPolicy.IsAllowed(grants, Permissions.Swarm.Engine, onCluster) ? null
                        : $"Exec instance {execId} was not created through ControlPlane (or has expired): run docker exec through this endpoint.");
            }
            if (Find(state, ResourceKind.Container, containerId) is { } container)
            {
                scope = AccessTarget.InCluster(cluster, ClusterVisibility.StackOf(container, state));
                subject = $"container {NameOf(container)} exec {execId}";
            }
            else
            {
                unresolved.Add(containerId);
            }
        }
        var labelled = Labels(body)?[StackLabel]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string?)Labels(body)![StackLabel] : null;
        if (body?["Name"]?.GetValueKind() == System.Text.Json.JsonValueKind.String && route.Target == EngineTarget.SpecLabel)
        {
            subject = $"{KindName(route.Kind)} {(string?)body["Name"]}";
        }
        switch (route.Target)
        {
            case EngineTarget.SpecLabel when labelled is not null:
                scope = AccessTarget.InCluster(cluster, labelled);
                break;
            case EngineTarget.SpecLabel when !AccessPolicy.IsAllowed(grants, route.Permission, onCluster)
                && grants.Any(g => g.Scope.Cluster == cluster && g.Scope.Stack is not null && Roles.Has(g.Role, route.Permission)):
                return new EngineVerdict(new ChangeIntent(route.Permission, onCluster, route.Action, subject),
                    $"{Capitalized(subject)} has no stack: your grants are on stacks, so add the label {StackLabel}=<your stack> " +
                    $"(docker stack deploy sets it; with docker service create, --label {StackLabel}=<stack>).");
            case EngineTarget.PathObjectAndSpec when body is not null:
                // An update may not move an object into (or out to) a scope the caller does not hold.
                var moved = labelled is null ? onCluster : AccessTarget.InCluster(cluster, labelled);
                if (moved != scope)
                {
                    alsoOn.Add(moved);
                }
                break;
        }

        var needs = new List<PermissionNeed>();
        if (route.Kind == ResourceKind.Service && body is not null && route.Access == EngineAccess.Change)
        {
            var hostNetworks = state.Networks.Where(n => n.Driver == "host").Select(n => n.Id).ToHashSet(StringComparer.Ordinal);
            needs.AddRange(RestrictedRule.Needs(cluster, Capitalized(subject), RestrictedRule.Find(body, hostNetworks)));
            // Secrets, configs and networks the spec uses must be in scopes the caller holds too.
            foreach (var (refKind, reference) in References(body))
            {
                if (Find(state, refKind, reference) is { } used)
                {
                    var usedScope = AccessTarget.InCluster(cluster, ClusterVisibility.StackOf(used, state));
                    if (usedScope != scope && !alsoOn.Contains(usedScope))
                    {
                        alsoOn.Add(usedScope);
                    }
                }
                else if (!(refKind == ResourceKind.Network && reference is "ingress" or "host" or "bridge"))
                {
                    unresolved.Add(reference);
                    alsoOn.Add(onCluster);
                }
            }
        }
        if (route.Kind == ResourceKind.Container && body?["Privileged"]?.GetValueKind() == System.Text.Json.JsonValueKind.True)
        {
            needs.Add(new PermissionNeed(Permissions.Services.Unrestricted, onCluster, $"A privileged exec in {subject}"));
        }
        // A service's change takes the lock its changes from pages and the API take, so the two never run at once.
        var serviceName = route.Kind == ResourceKind.Service
            ? (call.ObjectId is { } named2 && state.FindService(named2) is { } service ? service.Name : (string?)body?["Name"])
            : null;
        var lockKey = serviceName is null ? null : ChangeLocks.ServiceKey(cluster, scope.Stack, serviceName);
        // Sessions in a container (attach, exec) run for as long as the user likes and side by side: they take no lock.
        // Nor do creates: there is no object yet for another change to be working on, and the engine itself refuses a
        // second service, secret or config of the same name (409); a lock (a lease row written and deleted in the shared
        // database) would add two writes to each of a `docker stack deploy`'s creates and protect nothing. Updates and
        // removes of existing objects keep theirs: a page's rollout or scale of the service may hold it for minutes.
        var exclusive = route.Kind != ResourceKind.Container && route.Target != EngineTarget.SpecLabel;
        return new EngineVerdict(new ChangeIntent(route.Permission, scope, route.Action, subject) { AlsoOn = alsoOn.Distinct().ToList(), AlsoNeeds = needs, Lock = lockKey, Exclusive = exclusive })
        {
            Unresolved = unresolved,
        };
    }

    /// <summary>
    /// A listed object as the engine answered it (JSON), kept when the caller may see it: found in the picture by its
    /// id, else by its own stack label (an object created a moment ago).
    /// </summary>
    public static bool Visible(JsonObject item, ResourceKind kind, ClusterState state, ClusterVisibility visibility)
    {
        if (visibility.SeesEverything)
        {
            return true;
        }
        var id = (string?)(item["ID"] ?? item["Id"]);
        if (id is not null && state.All(kind).FirstOrDefault(r => r.Id == id) is { } known)
        {
            return visibility.CanSee(known, state);
        }
        var stack = kind switch
        {
            ResourceKind.Task => item["ServiceID"] is { } service && state.Get<ClusterService>(ResourceKind.Service, (string)service!) is { } owner ? owner.Stack : null,
            ResourceKind.Node => null,
            _ => (string?)(Labels(item["Spec"] as JsonObject) ?? Labels(item))?[StackLabel],
        };
        return stack is not null && visibility.Stacks.Contains(stack);
    }

    /// <summary>
    /// One engine event (a line of <c>/events</c>) kept for a caller who sees only some stacks: the object it names is
    /// found in the picture by id, else by the stack label the event carries (a container's labels are its attributes).
    /// Node and daemon events belong to the cluster and are not theirs.
    /// </summary>
    public static bool VisibleEvent(JsonObject message, ClusterState state, ClusterVisibility visibility)
    {
        if (visibility.SeesEverything)
        {
            return true;
        }
        ResourceKind? kind = (string?)message["Type"] switch
        {
            "service" => ResourceKind.Service,
            "container" => ResourceKind.Container,
            "secret" => ResourceKind.Secret,
            "config" => ResourceKind.Config,
            "network" => ResourceKind.Network,
            _ => null,
        };
        if (kind is not { } known || message["Actor"] is not JsonObject actor)
        {
            return false;
        }
        if ((string?)actor["ID"] is { } id && state.All(known).FirstOrDefault(r => r.Id == id) is { } found)
        {
            return visibility.CanSee(found, state);
        }
        return (actor["Attributes"] as JsonObject)?[StackLabel] is JsonValue label && label.TryGetValue<string>(out var stack) && visibility.Stacks.Contains(stack);
    }

    /// <summary>
    /// What <c>docker info</c> answers a caller who sees only some stacks: what the CLI needs (that it talks to an active
    /// swarm manager, the engine's version and platform for negotiation and <c>docker stack deploy</c>'s check), without
    /// the engine's details — managers' addresses, plugins, registries, kernel, security options, counts of what the
    /// whole node runs — which are the cluster's, not the stack's.
    /// </summary>
    public static JsonObject ForStackUsers(JsonObject info)
    {
        var kept = new JsonObject();
        foreach (var key in new[] { "ID", "ServerVersion", "OSType", "Architecture", "OperatingSystem", "Name" })
        {
            if (info[key] is { } value)
            {
                kept[key] = value.DeepClone();
            }
        }
        if (info["Swarm"] is JsonObject swarm)
        {
            var shown = new JsonObject();
            foreach (var key in new[] { "NodeID", "LocalNodeState", "ControlAvailable", "Error" })
            {
                if (swarm[key] is { } value)
                {
                    shown[key] = value.DeepClone();
                }
            }
            kept["Swarm"] = shown;
        }
        return kept;
    }

    /// <summary>
    /// The body as it may be written to the audit log: a secret's <c>Data</c> never is, nor a config's (not secret to
    /// Docker, but up to 500 KB of settings people keep out of logs): the record says what was created, not what it holds.
    /// </summary>
    public static string ForAudit(EngineCall call, JsonObject? body, int maxLength = 4000)
    {
        if (body is null)
        {
            return "";
        }
        var copy = (JsonObject)body.DeepClone();
        if (call.Route.Kind is ResourceKind.Secret or ResourceKind.Config)
        {
            copy.Remove("Data");
        }
        var text = copy.ToJsonString();
        return text.Length <= maxLength ? text : text[..maxLength] + "…";
    }

    private static JsonObject? Labels(JsonObject? spec) => spec?["Labels"] as JsonObject;

    private static IEnumerable<(ResourceKind Kind, string Reference)> References(JsonObject spec)
    {
        var task = spec["TaskTemplate"] as JsonObject;
        var container = task?["ContainerSpec"] as JsonObject;
        foreach (var secret in container?["Secrets"] as JsonArray ?? [])
        {
            if ((string?)(secret?["SecretID"] ?? secret?["SecretName"]) is { } id)
            {
                yield return (ResourceKind.Secret, id);
            }
        }
        foreach (var config in container?["Configs"] as JsonArray ?? [])
        {
            if ((string?)(config?["ConfigID"] ?? config?["ConfigName"]) is { } id)
            {
                yield return (ResourceKind.Config, id);
            }
        }
        foreach (var network in (task?["Networks"] as JsonArray ?? []).Concat(spec["Networks"] as JsonArray ?? []))
        {
            if ((string?)network?["Target"] is { } id)
            {
                yield return (ResourceKind.Network, id);
            }
        }
    }

    /// <summary>The object a path names, by id, name or unique id prefix, as the engine resolves them.</summary>
    public static IClusterResource? Find(ClusterState state, ResourceKind kind, string idOrName)
    {
        if (kind == ResourceKind.Service)
        {
            return state.FindService(idOrName);
        }
        var all = state.All(kind).ToList();
        return all.FirstOrDefault(r => r.Id == idOrName)
            ?? all.FirstOrDefault(r => NameOf(r) == idOrName || NameOf(r) == "/" + idOrName)
            ?? (all.Where(r => r.Id.StartsWith(idOrName, StringComparison.Ordinal)).Take(2).ToList() is [var only] ? only : null);
    }

    private static string NameOf(IClusterResource resource) => resource switch
    {
        ClusterService s => s.Name,
        ClusterFileObject f => f.Name,
        ClusterNetwork n => n.Name,
        ClusterContainer c => c.Name.TrimStart('/'),
        _ => resource.Id,
    };

    private static string KindName(ResourceKind? kind) => kind switch
    {
        null => "cluster",
        ResourceKind.Service => "service",
        ResourceKind.Task => "task",
        ResourceKind.Container => "container",
        ResourceKind.Secret => "secret",
        ResourceKind.Config => "config",
        ResourceKind.Network => "network",
        ResourceKind.Node => "node",
        _ => kind.Value.ToString().ToLowerInvariant(),
    };

    private static string Capitalized(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
