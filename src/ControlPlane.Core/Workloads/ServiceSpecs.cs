using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Images;
using ControlPlane.Core.Model;
using ControlPlane.Core.Secrets;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;

namespace ControlPlane.Core.Workloads;

/// <summary>
/// A request mapped onto an Engine API <c>ServiceSpec</c>: the spec, the scopes of what it uses from elsewhere
/// (secret and config families, networks: the caller needs the permission there too), and the spec paths the request
/// wrote, so an edit that has to be made again on a newer spec can tell whether those paths were changed meanwhile.
/// </summary>
public sealed record MappedService(JsonObject Spec, IReadOnlyList<AccessTarget> UsedScopes, IReadOnlyList<string> Paths)
{
    /// <summary>The host uses of the spec (<see cref="RestrictedRule"/>).</summary>
    public IReadOnlyList<RestrictedUse> HostUses => RestrictedRule.Find(Spec);
}

/// <summary>
/// The one mapper from ControlPlane's <see cref="ServiceRequest"/> to the Engine API's own <c>ServiceSpec</c> JSON
/// (DESIGN §6 "Workloads"), for create (onto an empty spec) and edit (onto the service's current spec, so every field
/// the request does not name is kept as the engine has it). Every input is checked first and each problem is named
/// with its key; names of secrets, configs and networks are resolved from ControlPlane's picture of the cluster.
/// </summary>
public static partial class ServiceSpecs
{
    /// <summary>swarmkit takes a service name that is a DNS label.</summary>
    public const int MaxNameLength = 63;

    public static readonly IReadOnlyList<string> Modes = ["replicated", "global"];

    public static readonly IReadOnlyList<string> MountTypes = ["volume", "bind", "tmpfs"];

    public static readonly IReadOnlyList<string> Protocols = ["tcp", "udp", "sctp"];

    public static readonly IReadOnlyList<string> PublishModes = ["ingress", "host"];

    private const long NanosPerCpu = 1_000_000_000;

    /// <summary>A new service's spec. Refuses (<see cref="ChangeFailure.Invalid"/>, every problem listed) what Docker would not take.</summary>
    public static MappedService ForCreate(ClusterState state, ServiceRequest request, ChangeLimits limits)
    {
        var problems = new List<InputProblem>();
        if (ValidateName(request.Name) is { } badName)
        {
            problems.Add(new InputProblem(0, 0, "name", badName));
        }
        if (request.Image is null)
        {
            problems.Add(new InputProblem(0, 0, "image", ImageReferenceSyntax.Validate(null)!));
        }
        var spec = new JsonObject
        {
            ["Name"] = request.Name?.Trim(),
            ["Labels"] = new JsonObject(),
            ["TaskTemplate"] = new JsonObject { ["ContainerSpec"] = new JsonObject() },
            ["Mode"] = new JsonObject { ["Replicated"] = new JsonObject { ["Replicas"] = 1L } },
        };
        return Apply(state, spec, request with { Mode = request.Mode ?? "replicated" }, limits, creating: true, problems);
    }

    /// <summary>
    /// The service's <paramref name="current"/> spec with the request's fields applied; the rest is kept as it is.
    /// A service cannot be renamed, change between replicated and global, or move to another stack.
    /// </summary>
    public static MappedService ForEdit(ClusterState state, JsonObject current, ServiceRequest request, ChangeLimits limits)
    {
        var problems = new List<InputProblem>();
        var name = (string?)current["Name"];
        if (request.Name is { } wanted && wanted.Trim() != name)
        {
            problems.Add(new InputProblem(0, 0, "name", $"A service cannot be renamed ({name} → {wanted.Trim()}); create a new one instead."));
        }
        var stack = (string?)current["Labels"]?[ClusterVisibility.StackLabel];
        if (request.Labels is { } labels && labels.TryGetValue(ClusterVisibility.StackLabel, out var asked) && asked.Trim() != stack)
        {
            problems.Add(new InputProblem(0, 0, "labels", $"A service cannot move to another stack ({stack ?? "none"} → {asked}): its {ClusterVisibility.StackLabel} label stays as it is."));
        }
        if (request.Labels is { } given && stack is not null && !given.ContainsKey(ClusterVisibility.StackLabel))
        {
            // The labels replace the service's own, but the stack it belongs to is not the caller's to drop.
            request = request with { Labels = new Dictionary<string, string>(given) { [ClusterVisibility.StackLabel] = stack } };
        }
        return Apply(state, (JsonObject)current.DeepClone(), request, limits, creating: false, problems);
    }

    /// <summary>The paths of <paramref name="paths"/> whose values differ between two specs: what someone else changed meanwhile.</summary>
    public static IReadOnlyList<string> ChangedBetween(JsonObject before, JsonObject after, IEnumerable<string> paths) =>
        paths.Where(path => !JsonNode.DeepEquals(At(before, path), At(after, path))).ToList();

    /// <summary>What is wrong with a service name, or null.</summary>
    public static string? ValidateName(string? name) => name?.Trim() switch
    {
        null or "" => "name is required: letters, digits, '-' and '_', starting and ending with a letter or digit.",
        { Length: > MaxNameLength } n => $"name '{n}' has {n.Length} characters; Docker takes at most {MaxNameLength}.",
        var n when !ServiceName().IsMatch(n) => $"name '{n}' is not a service name: use letters, digits, '-' and '_', starting and ending with a letter or digit.",
        _ => null,
    };

    private static MappedService Apply(ClusterState state, JsonObject spec, ServiceRequest r, ChangeLimits limits, bool creating, List<InputProblem> problems)
    {
        var paths = new List<string>();
        var scopes = new List<AccessTarget>();
        var clusterId = state.Cluster.Id;
        var task = Obj(spec, "TaskTemplate");
        var container = Obj(task, "ContainerSpec");

        void Problem(string key, string message) => problems.Add(new InputProblem(0, 0, key, message));

        if (r.Image is not null)
        {
            if (ImageReferenceSyntax.Validate(r.Image) is { } badImage)
            {
                Problem("image", badImage);
            }
            container["Image"] = r.Image.Trim();
            paths.Add("TaskTemplate.ContainerSpec.Image");
        }

        if (r.Mode is not null || r.Replicas is not null)
        {
            var currentMode = spec["Mode"] is JsonObject m && m.ContainsKey("Global") ? "global" : spec["Mode"]?["Replicated"] is not null ? "replicated" : "job";
            var mode = r.Mode?.Trim().ToLowerInvariant() ?? currentMode;
            if (!Modes.Contains(mode))
            {
                Problem("mode", $"mode '{r.Mode}' is not one of {string.Join(", ", Modes)}.");
            }
            else if (!creating && mode != currentMode)
            {
                Problem("mode", $"A {currentMode} service cannot become {mode}; Docker does not change a service's mode. Create a new one instead.");
            }
            else if (mode == "global" && r.Replicas is not null)
            {
                Problem("replicas", "A global service runs one task per eligible node; replicas applies to replicated services only.");
            }
            else if (r.Replicas is < 0)
            {
                Problem("replicas", $"replicas must be 0 or more; {r.Replicas} was asked for.");
            }
            else if (r.Replicas > limits.MaxReplicas)
            {
                Problem("replicas", $"replicas may be at most {limits.MaxReplicas} ({ChangeLimits.SectionName}:MaxReplicas); {r.Replicas} was asked for.");
            }
            else
            {
                spec["Mode"] = mode == "global"
                    ? new JsonObject { ["Global"] = new JsonObject() }
                    : new JsonObject { ["Replicated"] = new JsonObject { ["Replicas"] = r.Replicas ?? Number(spec["Mode"]?["Replicated"]?["Replicas"]) ?? 1 } };
                paths.Add("Mode");
            }
        }

        if (r.Command is not null)
        {
            container["Args"] = Strings(r.Command);
            paths.Add("TaskTemplate.ContainerSpec.Args");
        }
        if (r.Entrypoint is not null)
        {
            container["Command"] = Strings(r.Entrypoint);
            paths.Add("TaskTemplate.ContainerSpec.Command");
        }

        if (r.Env is not null)
        {
            foreach (var key in r.Env.Keys.Where(k => k.Length == 0 || k.Contains('=') || k.Any(char.IsWhiteSpace)))
            {
                Problem("env", $"'{key}' is not an environment variable name: it must be non-empty, without '=' or spaces.");
            }
            container["Env"] = Strings(r.Env.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}"));
            paths.Add("TaskTemplate.ContainerSpec.Env");
        }

        if (r.Ports is not null)
        {
            var ports = new JsonArray();
            var published = new HashSet<(long, string)>();
            foreach (var (port, i) in r.Ports.Select((p, i) => (p, i)))
            {
                var key = $"ports[{i}]";
                var protocol = port.Protocol?.Trim().ToLowerInvariant() ?? "tcp";
                var publishMode = port.Mode?.Trim().ToLowerInvariant() ?? "ingress";
                if (port.Target is not (>= 1 and <= 65535))
                {
                    Problem(key, $"target must be the container's port, 1 to 65535; {port.Target?.ToString(CultureInfo.InvariantCulture) ?? "none"} was given.");
                }
                if (port.Published is { } p && p is not (>= 1 and <= 65535))
                {
                    Problem(key, $"published must be a port from 1 to 65535 (or left out for Docker to choose); {p} was given.");
                }
                if (!Protocols.Contains(protocol))
                {
                    Problem(key, $"protocol '{port.Protocol}' is not one of {string.Join(", ", Protocols)}.");
                }
                if (!PublishModes.Contains(publishMode))
                {
                    Problem(key, $"mode '{port.Mode}' is not one of {string.Join(", ", PublishModes)}.");
                }
                if (port.Published is { } pub && !published.Add((pub, protocol)))
                {
                    Problem(key, $"port {pub}/{protocol} is published twice.");
                }
                var json = new JsonObject { ["Protocol"] = protocol, ["TargetPort"] = port.Target, ["PublishMode"] = publishMode };
                if (port.Published is not null)
                {
                    json["PublishedPort"] = port.Published;
                }
                ports.Add(json);
            }
            var endpoint = Obj(spec, "EndpointSpec");
            endpoint["Mode"] ??= "vip";
            endpoint["Ports"] = ports;
            paths.Add("EndpointSpec");
        }

        if (r.Mounts is not null)
        {
            var mounts = new JsonArray();
            foreach (var (mount, i) in r.Mounts.Select((m, i) => (m, i)))
            {
                var key = $"mounts[{i}]";
                var type = mount.Type?.Trim().ToLowerInvariant() ?? "volume";
                var source = mount.Source?.Trim();
                var target = mount.Target?.Trim();
                if (!MountTypes.Contains(type))
                {
                    Problem(key, $"type '{mount.Type}' is not one of {string.Join(", ", MountTypes)}.");
                }
                if (target is null || !target.StartsWith('/'))
                {
                    Problem(key, "target must be an absolute path inside the container, such as /data.");
                }
                if (type == "bind" && (source is null || !source.StartsWith('/')))
                {
                    Problem(key, "a bind mount's source must be an absolute path on the host.");
                }
                if (type == "tmpfs" && !string.IsNullOrEmpty(source))
                {
                    Problem(key, "a tmpfs mount has no source.");
                }
                if (type == "volume" && source is { Length: > 0 } && !VolumeName().IsMatch(source))
                {
                    Problem(key, $"'{source}' is not a volume name: letters, digits, '_', '.' and '-', starting with a letter or digit.");
                }
                var json = new JsonObject { ["Type"] = type, ["Target"] = target };
                if (!string.IsNullOrEmpty(source))
                {
                    json["Source"] = source;
                }
                if (mount.ReadOnly == true)
                {
                    json["ReadOnly"] = true;
                }
                mounts.Add(json);
            }
            container["Mounts"] = mounts;
            paths.Add("TaskTemplate.ContainerSpec.Mounts");
        }

        if (r.Networks is not null)
        {
            var networks = new JsonArray();
            foreach (var (name, i) in r.Networks.Select((n, i) => (n?.Trim() ?? "", i)))
            {
                if (name == "host")
                {
                    // Kept by name, which the engine resolves: the restricted rule reads it so.
                    networks.Add(new JsonObject { ["Target"] = "host" });
                    continue;
                }
                var found = state.Networks.Where(n => n.Name == name || n.Id == name).OrderBy(n => n.Scope == "swarm" ? 0 : 1).FirstOrDefault();
                if (found is null)
                {
                    Problem($"networks[{i}]", $"Cluster '{clusterId}' has no network '{name}'.");
                    continue;
                }
                if (found.Scope != "swarm")
                {
                    Problem($"networks[{i}]", $"'{name}' is a {found.Scope} network; a service attaches to swarm networks (overlay) or host.");
                    continue;
                }
                scopes.Add(AccessTarget.InCluster(clusterId, found.Labels.GetValueOrDefault(ClusterVisibility.StackLabel)));
                networks.Add(new JsonObject { ["Target"] = found.Id });
            }
            task["Networks"] = networks;
            spec.Remove("Networks");
            paths.Add("TaskTemplate.Networks");
            paths.Add("Networks");
        }

        foreach (var (files, kind) in new[] { (r.Secrets, FileObjectKind.Secret), (r.Configs, FileObjectKind.Config) })
        {
            if (files is null)
            {
                continue;
            }
            var facts = kind.Facts();
            var array = new JsonArray();
            var targets = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (file, i) in files.Select((f, i) => (f, i)))
            {
                var key = $"{facts.Plural}[{i}]";
                var familyName = file.Family?.Trim() ?? "";
                var family = familyName.Length == 0 ? null : FileFamilies.Find(state, kind, familyName);
                if (family is null)
                {
                    Problem(key, familyName.Length == 0 ? $"family is required: the name of a {facts.Noun} family." : $"Cluster '{clusterId}' has no {facts.Noun} family '{familyName}'.");
                    continue;
                }
                var target = string.IsNullOrWhiteSpace(file.Target) ? family.Name : file.Target.Trim();
                if (FileTargets.Validate(target, kind) is { } badTarget)
                {
                    Problem(key, badTarget);
                }
                if (!targets.Add(target))
                {
                    Problem(key, $"two {facts.Plural} are mounted at {target}.");
                }
                var mode = FileTargets.ParseMode(file.Mode);
                if (mode is null)
                {
                    Problem(key, $"mode '{file.Mode}' is not an octal file mode such as 0440.");
                }
                foreach (var (id, value) in new[] { ("uid", file.Uid), ("gid", file.Gid) })
                {
                    if (value is { Length: > 0 } && !uint.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out _))
                    {
                        Problem(key, $"{id} '{value}' is not a number.");
                    }
                }
                scopes.Add(FileFamilies.ScopeOf(clusterId, family));
                var kindName = kind == FileObjectKind.Secret ? "Secret" : "Config";
                array.Add(new JsonObject
                {
                    ["File"] = new JsonObject
                    {
                        ["Name"] = target,
                        ["UID"] = string.IsNullOrWhiteSpace(file.Uid) ? "0" : file.Uid.Trim(),
                        ["GID"] = string.IsNullOrWhiteSpace(file.Gid) ? "0" : file.Gid.Trim(),
                        ["Mode"] = mode ?? FileTargets.DefaultMode,
                    },
                    [$"{kindName}ID"] = family.Newest.Id,
                    [$"{kindName}Name"] = family.Newest.Name,
                });
            }
            container[kind == FileObjectKind.Secret ? "Secrets" : "Configs"] = array;
            paths.Add($"TaskTemplate.ContainerSpec.{(kind == FileObjectKind.Secret ? "Secrets" : "Configs")}");
        }

        if (r.Constraints is not null)
        {
            foreach (var (constraint, i) in r.Constraints.Select((c, i) => (c, i)))
            {
                if (ValidateConstraint(constraint) is { } bad)
                {
                    Problem($"constraints[{i}]", bad);
                }
            }
            Obj(task, "Placement")["Constraints"] = Strings(r.Constraints.Select(c => c.Trim()));
            paths.Add("TaskTemplate.Placement.Constraints");
        }

        if (r.Labels is not null)
        {
            foreach (var key in r.Labels.Keys.Where(k => ValidateLabelKey(k) is not null))
            {
                Problem("labels", ValidateLabelKey(key)!);
            }
            var labels = new JsonObject();
            foreach (var (key, value) in r.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
            {
                labels[key] = value;
            }
            spec["Labels"] = labels;
            paths.Add("Labels");
        }

        if (r.Resources is { } res)
        {
            foreach (var (key, cpus) in new[] { ("cpuLimit", res.CpuLimit), ("cpuReservation", res.CpuReservation) })
            {
                if (cpus is < 0 or > 1024 || cpus is double.NaN)
                {
                    Problem($"resources.{key}", $"{key} must be between 0 and 1024 CPUs; {cpus} was given.");
                }
            }
            foreach (var (key, bytes) in new[] { ("memoryLimitBytes", res.MemoryLimitBytes), ("memoryReservationBytes", res.MemoryReservationBytes) })
            {
                if (bytes is < 0 or (> 0 and < 6 * 1024 * 1024))
                {
                    Problem($"resources.{key}", $"{key} must be 0 (none) or at least 6 MiB, Docker's smallest memory limit; {bytes} was given.");
                }
            }
            if (res.CpuLimit is > 0 && res.CpuReservation > res.CpuLimit)
            {
                Problem("resources.cpuReservation", "cpuReservation is more than cpuLimit.");
            }
            if (res.MemoryLimitBytes is > 0 && res.MemoryReservationBytes > res.MemoryLimitBytes)
            {
                Problem("resources.memoryReservationBytes", "memoryReservationBytes is more than memoryLimitBytes.");
            }
            task["Resources"] = new JsonObject
            {
                ["Limits"] = Resources(res.CpuLimit, res.MemoryLimitBytes),
                ["Reservations"] = Resources(res.CpuReservation, res.MemoryReservationBytes),
            };
            paths.Add("TaskTemplate.Resources");
        }

        if (r.Update is not null)
        {
            try
            {
                var policy = r.Update.Apply(PolicyOf(spec["UpdateConfig"] as JsonObject));
                spec["UpdateConfig"] = new JsonObject
                {
                    ["Parallelism"] = policy.Parallelism,
                    ["Delay"] = policy.Delay.Ticks * 100,
                    ["FailureAction"] = policy.FailureAction,
                    ["Monitor"] = policy.Monitor.Ticks * 100,
                    ["MaxFailureRatio"] = policy.MaxFailureRatio,
                    ["Order"] = policy.Order,
                };
                paths.Add("UpdateConfig");
            }
            catch (ChangeRejectedException bad)
            {
                Problem("update", bad.Message);
            }
        }

        if (problems.Count > 0)
        {
            throw new ChangeRejectedException(ChangeFailure.Invalid, string.Join(" ", problems.Select(p => p.ToString())), problems);
        }
        if (!creating && paths.Count == 0)
        {
            throw new ChangeRejectedException(ChangeFailure.Invalid, "Nothing to change: give at least one field (image, replicas, env, ports, mounts, networks, secrets, configs, constraints, labels, resources, update).");
        }
        return new MappedService(spec, scopes.Distinct().ToList(), paths);
    }

    /// <summary>A service's update policy as its spec holds it (Docker's defaults for what it leaves out).</summary>
    public static UpdatePolicy PolicyOf(JsonObject? update)
    {
        var d = UpdatePolicy.Default;
        return update is null ? d : new UpdatePolicy(
            Number(update["Parallelism"]) ?? d.Parallelism,
            Number(update["Delay"]) is { } delay ? TimeSpan.FromTicks(delay / 100) : d.Delay,
            (string?)update["FailureAction"] ?? d.FailureAction,
            Number(update["Monitor"]) is { } monitor ? TimeSpan.FromTicks(monitor / 100) : d.Monitor,
            (update["MaxFailureRatio"] is { } ratio ? double.Parse(ratio.ToJsonString(), CultureInfo.InvariantCulture) : d.MaxFailureRatio),
            (string?)update["Order"] ?? d.Order);
    }

    /// <summary>What is wrong with a placement constraint, or null: Docker's keys with == or != and a value.</summary>
    public static string? ValidateConstraint(string? constraint)
    {
        var text = constraint?.Trim() ?? "";
        var match = Constraint().Match(text);
        if (!match.Success)
        {
            return $"'{text}' is not a placement constraint: write key==value or key!=value, such as node.labels.zone==a.";
        }
        var key = match.Groups["key"].Value;
        return key is "node.id" or "node.hostname" or "node.role" or "node.platform.os" or "node.platform.arch"
            || key.StartsWith("node.labels.", StringComparison.Ordinal) && key.Length > "node.labels.".Length
            || key.StartsWith("engine.labels.", StringComparison.Ordinal) && key.Length > "engine.labels.".Length
            ? null
            : $"'{key}' is not a constraint Docker knows: use node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.<key> or engine.labels.<key>.";
    }

    /// <summary>What is wrong with a label key, or null: non-empty, no spaces or control characters, at most 255 characters.</summary>
    public static string? ValidateLabelKey(string? key) => key switch
    {
        null or "" => "A label key may not be empty.",
        { Length: > 255 } => $"The label key '{key[..40]}…' is longer than 255 characters.",
        _ when key.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == '=') => $"The label key '{key}' may not hold spaces, control characters or '='.",
        _ => null,
    };

    /// <summary>A whole number in a spec, however it was put there (parsed text, an int, a long); null when absent or not one.</summary>
    public static long? Number(JsonNode? node) =>
        node is JsonValue && long.TryParse(node.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static JsonObject Resources(double? cpus, long? bytes)
    {
        var json = new JsonObject();
        if (cpus is > 0)
        {
            json["NanoCPUs"] = (long)Math.Round(cpus.Value * NanosPerCpu);
        }
        if (bytes is > 0)
        {
            json["MemoryBytes"] = bytes;
        }
        return json;
    }

    private static JsonObject Obj(JsonObject parent, string key)
    {
        if (parent[key] is JsonObject existing)
        {
            return existing;
        }
        var created = new JsonObject();
        parent[key] = created;
        return created;
    }

    private static JsonArray Strings(IEnumerable<string> items) => new([.. items.Select(i => (JsonNode?)JsonValue.Create(i))]);

    private static JsonNode? At(JsonObject spec, string path)
    {
        JsonNode? node = spec;
        foreach (var part in path.Split('.'))
        {
            node = node is JsonObject o ? o[part] : null;
        }
        return node;
    }

    [GeneratedRegex("^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$")]
    private static partial Regex ServiceName();

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")]
    private static partial Regex VolumeName();

    [GeneratedRegex(@"^(?<key>[A-Za-z0-9_.\-/]+)\s*(?:==|!=)\s*(?<value>\S.*)$")]
    private static partial Regex Constraint();
}
