using System.Globalization;
using System.Text.Json.Nodes;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Secrets;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;

namespace ControlPlane.Core.Stacks;

/// <summary>The objects outside the stack that a plan's references name, found on the engine.</summary>
public sealed record ResolvedReferences(
    IReadOnlyDictionary<string, EngineObject> Secrets,
    IReadOnlyDictionary<string, EngineObject> Configs,
    IReadOnlyDictionary<string, EngineObject> Networks)
{
    public static readonly ResolvedReferences None = new(
        new Dictionary<string, EngineObject>(), new Dictionary<string, EngineObject>(), new Dictionary<string, EngineObject>());
}

/// <summary>
/// What a stack uses from outside itself (DESIGN §9): where each reference belongs for the gate, found in
/// ControlPlane's own picture; and the engine objects they name, each secret or config by its own name, else as
/// a ControlPlane family by the family's name (its newest version, which later rotations move on).
/// </summary>
public static class StackReferences
{
    /// <summary>Networks every engine has on every node, which need no lookup (the host network is the restricted rule's).</summary>
    public static readonly IReadOnlySet<string> BuiltInNetworks = new HashSet<string>(StringComparer.Ordinal) { "host", "bridge", "none" };

    /// <summary>
    /// The scopes the plan reaches into, where the deploy's permission is needed too: a secret's or config's family
    /// scope (<see cref="FileFamilies.ScopeOf"/>: its namespace label and its users' stack, else the cluster), a
    /// network's namespace label, else the cluster. What the picture does not know counts as the cluster's.
    /// </summary>
    public static IReadOnlyList<AccessTarget> ScopesOf(ClusterState? state, string clusterId, StackPlan plan)
    {
        var scopes = new List<AccessTarget>();
        foreach (var reference in plan.References)
        {
            if (reference.Kind == ReferenceKind.Network && BuiltInNetworks.Contains(reference.Name))
            {
                continue;
            }
            var scope = state is null ? AccessTarget.InCluster(clusterId) : reference.Kind switch
            {
                ReferenceKind.Network => state.Networks.FirstOrDefault(n => n.Name == reference.Name || n.Id == reference.Name) is { } network
                    ? AccessTarget.InCluster(clusterId, network.Labels.GetValueOrDefault(ClusterVisibility.StackLabel))
                    : AccessTarget.InCluster(clusterId),
                _ => FileScope(state, clusterId, reference.Kind == ReferenceKind.Secret ? FileObjectKind.Secret : FileObjectKind.Config, reference.Name),
            };
            if (!scopes.Contains(scope))
            {
                scopes.Add(scope);
            }
        }
        return scopes;
    }

    private static AccessTarget FileScope(ClusterState state, string clusterId, FileObjectKind kind, string name)
    {
        var byName = state.FileObjects(kind).FirstOrDefault(o => o.Name == name);
        var family = byName?.Labels.GetValueOrDefault(FileObjectList.FamilyLabel) ?? (byName?.Name ?? name);
        return FileFamilies.Find(state, kind, family) is { } found ? FileFamilies.ScopeOf(clusterId, found) : AccessTarget.InCluster(clusterId);
    }

    /// <summary>
    /// Finds every external reference of the plan among the engine's objects; each one missing (or a network that is
    /// not swarm-scoped) is a problem at the line of the file that names it.
    /// </summary>
    public static (ResolvedReferences Resolved, IReadOnlyList<InputProblem> Problems) Resolve(
        StackPlan plan, IReadOnlyList<EngineObject> secrets, IReadOnlyList<EngineObject> configs, IReadOnlyList<EngineObject> networks)
    {
        var problems = new List<InputProblem>();
        var found = new Dictionary<ReferenceKind, Dictionary<string, EngineObject>>
        {
            [ReferenceKind.Secret] = new(StringComparer.Ordinal),
            [ReferenceKind.Config] = new(StringComparer.Ordinal),
            [ReferenceKind.Network] = new(StringComparer.Ordinal),
        };
        foreach (var reference in plan.References)
        {
            if (found[reference.Kind].ContainsKey(reference.Name) || (reference.Kind == ReferenceKind.Network && BuiltInNetworks.Contains(reference.Name)))
            {
                continue;
            }
            var (match, missing) = reference.Kind switch
            {
                ReferenceKind.Network => FindNetwork(networks, reference.Name),
                ReferenceKind.Secret => FindFile(secrets, reference.Name, "secret"),
                _ => FindFile(configs, reference.Name, "config"),
            };
            if (match is not null)
            {
                found[reference.Kind][reference.Name] = match;
            }
            else
            {
                problems.Add(new InputProblem(reference.Line, reference.Column, reference.Key, missing!));
            }
        }
        // A service may name a secret or config the references do not list; the engine would refuse it without a line.
        foreach (var service in plan.Services)
        {
            foreach (var kind in new[] { ReferenceKind.Secret, ReferenceKind.Config })
            {
                var nameKey = kind == ReferenceKind.Secret ? "SecretName" : "ConfigName";
                foreach (var file in StackSpecs.FilesOf(service.Spec, kind))
                {
                    var name = (string?)file[nameKey] ?? "";
                    if (!found[kind].ContainsKey(name) && problems.All(p => !p.Message.Contains($"'{name}'", StringComparison.Ordinal)))
                    {
                        problems.Add(new InputProblem(service.Line, 1, $"services.{service.Name}", $"the {Noun(kind)} '{name}' is not declared in the file's top-level {Noun(kind)}s"));
                    }
                }
            }
        }
        return (new ResolvedReferences(found[ReferenceKind.Secret], found[ReferenceKind.Config], found[ReferenceKind.Network]), problems);
    }

    /// <summary>Writes the resolved ids (and the family version's name) into a spec, and the ids of the stack's own networks known so far.</summary>
    public static void Apply(JsonObject spec, ResolvedReferences resolved, IReadOnlyDictionary<string, string> stackNetworkIds)
    {
        foreach (var (kind, map) in new[] { (ReferenceKind.Secret, resolved.Secrets), (ReferenceKind.Config, resolved.Configs) })
        {
            var (nameKey, idKey) = kind == ReferenceKind.Secret ? ("SecretName", "SecretID") : ("ConfigName", "ConfigID");
            foreach (var file in StackSpecs.FilesOf(spec, kind))
            {
                if (map.TryGetValue((string?)file[nameKey] ?? "", out var match))
                {
                    file[nameKey] = match.Name;
                    file[idKey] = match.Id;
                }
            }
        }
        foreach (var network in StackSpecs.NetworksOf(spec))
        {
            var target = (string?)network["Target"] ?? "";
            if (resolved.Networks.TryGetValue(target, out var external))
            {
                network["Target"] = external.Id;
            }
            else if (stackNetworkIds.TryGetValue(target, out var id))
            {
                network["Target"] = id;
            }
        }
    }

    private static (EngineObject?, string?) FindNetwork(IReadOnlyList<EngineObject> networks, string name)
    {
        var network = networks.FirstOrDefault(n => n.Name == name) ?? networks.FirstOrDefault(n => n.Id == name);
        return network switch
        {
            null => (null, $"the network '{name}' is declared as external, but could not be found; create a swarm-scoped network before the stack is deployed"),
            { Scope: { } scope } when scope != "swarm" => (null, $"the network '{name}' is declared as external, but it is in the '{scope}' scope instead of 'swarm'"),
            _ => (network, null),
        };
    }

    private static (EngineObject?, string?) FindFile(IReadOnlyList<EngineObject> objects, string name, string noun)
    {
        if (objects.FirstOrDefault(o => o.Name == name) is { } byName)
        {
            return (byName, null);
        }
        var newest = objects.Where(o => o.Labels.GetValueOrDefault(FileObjectList.FamilyLabel) == name)
            .MaxBy(o => int.TryParse(o.Labels.GetValueOrDefault(FileObjectList.VersionLabel), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0);
        return newest is not null
            ? (newest, null)
            : (null, $"the {noun} '{name}' is declared as external, but no {noun} or ControlPlane {noun} family has that name");
    }

    private static string Noun(ReferenceKind kind) => kind == ReferenceKind.Secret ? "secret" : "config";
}
