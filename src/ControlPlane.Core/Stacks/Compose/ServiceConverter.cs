using System.Globalization;
using System.Text.Json.Nodes;
using ControlPlane.Core.Changes;

namespace ControlPlane.Core.Stacks.Compose;

/// <summary>
/// Turns one service of a checked Compose file into the Engine API <c>ServiceSpec</c> that the docker CLI 20.10's
/// <c>convert.Service</c> makes of it, field by field and in the CLI's order (sorted environment, networks, secrets,
/// configs and ports). Also records, with their positions, the restricted uses and the external objects it uses.
/// </summary>
internal sealed class ServiceConverter(ComposeFile file, ComposeProblems problems)
{
    private readonly string stack = file.Stack;

    public PlannedService? Convert(string name, ScalarNode nameNode, MapNode service)
    {
        var path = $"services.{name}";
        var before = problems.Problems.Count;
        var fullName = StackNames.Scope(stack, name);
        if (StackNames.Refusal(fullName) is { } refusal)
        {
            problems.Add(nameNode, path, $"the service would be named {fullName}: {refusal}");
        }
        var image = service.Str("image");
        if (string.IsNullOrEmpty(image))
        {
            problems.Add(service.KeyNode("image") ?? (ComposeNode)nameNode, $"{path}.image", "a service needs an image (docker stack deploy builds none)");
        }
        var restricted = new List<InputProblem>();
        var deploy = service.Map("deploy");

        var labels = Labels(deploy?["labels"]);
        labels[StackNames.NamespaceLabel] = stack;
        labels[StackNames.ImageLabel] = image ?? "";

        var container = new JsonObject { ["Image"] = image ?? "" };
        var containerLabels = Labels(service["labels"]);
        containerLabels[StackNames.NamespaceLabel] = stack;
        container["Labels"] = ToObject(containerLabels);
        PutList(container, "Command", Command(service, "entrypoint", path));
        PutList(container, "Args", Command(service, "command", path));
        PutString(container, "Hostname", service.Str("hostname"));
        PutList(container, "Env", Environment(service["environment"]));
        PutString(container, "Dir", service.Str("working_dir"));
        PutString(container, "User", service.Str("user"));
        container["Privileges"] = Privileges(service, path);
        if (service.OptionalBool("init") is { } init)
        {
            container["Init"] = init;
        }
        PutString(container, "StopSignal", service.Str("stop_signal"));
        if (service.Bool("tty"))
        {
            container["TTY"] = true;
        }
        if (service.Bool("stdin_open"))
        {
            container["OpenStdin"] = true;
        }
        if (service.Bool("read_only"))
        {
            container["ReadOnly"] = true;
        }
        var mounts = new MountConverter(file, problems).Convert(service.List("volumes"), path, restricted);
        if (mounts.Count > 0)
        {
            container["Mounts"] = new JsonArray([.. mounts]);
        }
        if (Duration(service.Scalar("stop_grace_period")) is { } grace)
        {
            container["StopGracePeriod"] = grace;
        }
        if (Healthcheck(service.Map("healthcheck"), $"{path}.healthcheck") is { } health)
        {
            container["Healthcheck"] = health;
        }
        PutList(container, "Hosts", ExtraHosts(service["extra_hosts"]));
        var dns = service["dns"].StringList();
        var dnsSearch = service["dns_search"].StringList();
        if (dns.Count > 0 || dnsSearch.Count > 0)
        {
            var dnsConfig = new JsonObject();
            PutList(dnsConfig, "Nameservers", dns);
            PutList(dnsConfig, "Search", dnsSearch);
            container["DNSConfig"] = dnsConfig;
        }
        var secrets = new FileReferences(file, problems, FileObjectKind.Secret).Convert(service.List("secrets"), path);
        if (secrets.Count > 0)
        {
            container["Secrets"] = new JsonArray([.. secrets]);
        }
        var configs = new FileReferences(file, problems, FileObjectKind.Config).Convert(service.List("configs"), path);
        if (configs.Count > 0)
        {
            container["Configs"] = new JsonArray([.. configs]);
        }
        PutString(container, "Isolation", service.Str("isolation"));
        var sysctls = service["sysctls"].ListOrDict('=', allowNull: false);
        if (sysctls.Count > 0)
        {
            container["Sysctls"] = ToObject(sysctls.ToDictionary(p => p.Key, p => p.Value ?? ""));
            Restricted(restricted, service.KeyNode("sysctls"), $"{path}.sysctls", $"sysctls ({string.Join(", ", sysctls.Select(s => s.Key))})");
        }
        var (capAdd, capDrop) = Capabilities(service["cap_add"].StringList(), service["cap_drop"].StringList());
        PutList(container, "CapabilityAdd", capAdd);
        PutList(container, "CapabilityDrop", capDrop);
        foreach (var capability in capAdd)
        {
            Restricted(restricted, service.KeyNode("cap_add"), $"{path}.cap_add", $"the capability {capability}");
        }
        if (Ulimits(service.Map("ulimits")) is { Count: > 0 } ulimits)
        {
            container["Ulimits"] = ulimits;
        }
        if (service.List("devices") is { Items.Count: > 0 } devices)
        {
            // docker stack deploy ignores devices (a warning), but asking for them is still a restricted use.
            Restricted(restricted, service.KeyNode("devices"), $"{path}.devices",
                $"devices ({string.Join(", ", devices.Items.OfType<ScalarNode>().Select(d => d.Text))}), which docker stack deploy ignores");
        }

        var task = new JsonObject { ["ContainerSpec"] = container };
        if (service.Map("logging") is { } logging)
        {
            var driver = new JsonObject();
            PutString(driver, "Name", logging.Str("driver"));
            var options = logging["options"].ListOrDict('=', allowNull: false);
            if (options.Count > 0)
            {
                driver["Options"] = ToObject(options.ToDictionary(p => p.Key, p => p.Value ?? ""));
            }
            task["LogDriver"] = driver;
        }
        task["Resources"] = Resources(deploy.Map("resources"), $"{path}.deploy.resources");
        if (RestartPolicy(service, deploy, path) is { } restart)
        {
            task["RestartPolicy"] = restart;
        }
        task["Placement"] = Placement(deploy.Map("placement"));
        task["Networks"] = new NetworkAttachments(file, problems).Convert(name, service, path, restricted);
        task["ForceUpdate"] = 0;

        var spec = new JsonObject
        {
            ["Name"] = fullName,
            ["Labels"] = ToObject(labels),
            ["TaskTemplate"] = task,
            ["Mode"] = Mode(deploy, $"{path}.deploy"),
        };
        if (UpdateConfig(deploy.Map("update_config")) is { } update)
        {
            spec["UpdateConfig"] = update;
        }
        if (UpdateConfig(deploy.Map("rollback_config")) is { } rollback)
        {
            spec["RollbackConfig"] = rollback;
        }
        spec["EndpointSpec"] = Endpoint(deploy.Str("endpoint_mode"), service.List("ports"), $"{path}.ports");

        if (problems.Problems.Count > before)
        {
            return null;
        }
        // The rule reads the spec itself, so the file and every other entry point agree on what is restricted.
        return new PlannedService(fullName, spec, nameNode.Line) { Restricted = Reconcile(RestrictedRule.Find(spec), restricted, nameNode, path) };
    }

    /// <summary>
    /// The restricted uses recorded with their positions, checked against what the rule itself finds in the spec: a
    /// use the rule finds that the conversion did not record (which would be a gap here) is still reported, at the
    /// service. Devices are not in a swarm spec, so only the file knows them.
    /// </summary>
    private static List<InputProblem> Reconcile(IReadOnlyList<RestrictedUse> found, List<InputProblem> recorded, ScalarNode service, string path)
    {
        var result = new List<InputProblem>(recorded);
        foreach (var group in found.GroupBy(u => u.Key))
        {
            var known = recorded.Count(r => Category(r.Key) == group.Key);
            result.AddRange(group.Skip(known).Select(u => new InputProblem(service.Line, service.Column, $"{path}.{u.Key}", u.What)));
        }
        return result;
    }

    private static string Category(string key) => key.Split('.') is { Length: > 2 } parts ? parts[2] : key;

    internal static void Restricted(List<InputProblem> restricted, ComposeNode? at, string key, string what) =>
        restricted.Add(new InputProblem(at?.Line ?? 0, at?.Column ?? 0, key, what));

    private static Dictionary<string, string> Labels(ComposeNode? node) =>
        node.ListOrDict('=', allowNull: false).ToDictionary(p => p.Key, p => p.Value ?? "", StringComparer.Ordinal);

    private List<string>? Command(MapNode service, string key, string path)
    {
        switch (service[key])
        {
            case ScalarNode { Kind: ScalarKind.String } text:
                var words = GoValues.ShellSplit((string)text.Value!, out var error);
                if (words is null)
                {
                    problems.Add(text, $"{path}.{key}", $"cannot split \"{text.Value}\" into words: {error}");
                }
                return words;
            case ListNode list:
                return list.StringList();
            default:
                return null;
        }
    }

    /// <summary>
    /// KEY=VALUE, or KEY alone when the file gives no value; a key with no or an empty value takes the variable of
    /// the same name when there is one (the CLI looks in its own environment; ControlPlane only in the variables).
    /// Sorted, as the CLI sorts it.
    /// </summary>
    private List<string> Environment(ComposeNode? node)
    {
        var result = new List<string>();
        foreach (var (key, value) in node.ListOrDict('=', allowNull: true))
        {
            var resolved = string.IsNullOrEmpty(value) && file.Variables.TryGetValue(key, out var variable) ? variable : value;
            result.Add(resolved is null ? key : $"{key}={resolved}");
        }
        result.Sort(StringComparer.Ordinal);
        return result;
    }

    private JsonObject Privileges(MapNode service, string path)
    {
        var privileges = new JsonObject { ["CredentialSpec"] = null, ["SELinuxContext"] = null };
        if (service.Map("credential_spec") is not { } credential)
        {
            return privileges;
        }
        var given = new[] { "config", "file", "registry" }.Where(credential.Has).ToList();
        if (given.Count > 1)
        {
            problems.Add(credential, $"{path}.credential_spec", $"invalid credential spec: give only one of {string.Join(", ", given)}");
        }
        else if (given.Count == 1 && given[0] == "config")
        {
            problems.Add(credential, $"{path}.credential_spec.config", "a credential spec from a config (Windows only) is not supported by ControlPlane; use file or registry");
        }
        else if (given.Count == 1)
        {
            var spec = new JsonObject();
            PutString(spec, "File", credential.Str("file"));
            PutString(spec, "Registry", credential.Str("registry"));
            privileges["CredentialSpec"] = spec;
        }
        return privileges;
    }

    private static List<string> ExtraHosts(ComposeNode? node)
    {
        // A list keeps its order; a mapping becomes sorted "host:ip" strings first, as the CLI's HostsList does.
        var entries = node switch
        {
            ListNode list => list.StringList(),
            MapNode map => map.ListOrDict(':', allowNull: true).Where(p => p.Value is not null).Select(p => $"{p.Key}:{p.Value}").Order(StringComparer.Ordinal).ToList(),
            _ => [],
        };
        var hosts = new List<string>();
        foreach (var entry in entries)
        {
            var at = entry.IndexOf(':');
            if (at >= 0)
            {
                hosts.Add($"{entry[(at + 1)..]} {entry[..at]}");
            }
        }
        return hosts;
    }

    private JsonObject? Healthcheck(MapNode? health, string path)
    {
        if (health is null)
        {
            return null;
        }
        var test = health["test"] switch
        {
            ScalarNode { Kind: ScalarKind.String } s => ["CMD-SHELL", (string)s.Value!],
            ListNode list => list.StringList(),
            _ => null,
        };
        if (health.Bool("disable"))
        {
            if (test is { Count: > 0 })
            {
                problems.Add(health.KeyNode("disable"), $"{path}.disable", "test and disable can't be set at the same time");
            }
            return new JsonObject { ["Test"] = new JsonArray("NONE") };
        }
        var result = new JsonObject();
        PutList(result, "Test", test);
        PutDuration(result, "Interval", health.Scalar("interval"));
        PutDuration(result, "Timeout", health.Scalar("timeout"));
        PutDuration(result, "StartPeriod", health.Scalar("start_period"));
        if (health.Long("retries") is { } retries and not 0)
        {
            result["Retries"] = retries;
        }
        return result;
    }

    private static (List<string> Add, List<string> Drop) Capabilities(List<string> add, List<string> drop)
    {
        static HashSet<string> Normalise(List<string> caps) => caps.Select(c =>
        {
            var upper = c.Trim().ToUpperInvariant();
            return upper == "ALL" || upper.StartsWith("CAP_", StringComparison.Ordinal) ? upper : "CAP_" + upper;
        }).ToHashSet(StringComparer.Ordinal);
        var addCaps = Normalise(add);
        var dropCaps = Normalise(drop);
        if (addCaps.Contains("ALL"))
        {
            addCaps = ["ALL"];
        }
        if (dropCaps.Contains("ALL"))
        {
            dropCaps = ["ALL"];
        }
        // Adding wins over dropping, as opts.EffectiveCapAddCapDrop has it.
        var effectiveDrop = dropCaps.Where(c => !addCaps.Contains(c)).Order(StringComparer.Ordinal).ToList();
        return (addCaps.Order(StringComparer.Ordinal).ToList(), effectiveDrop);
    }

    private static JsonArray? Ulimits(MapNode? ulimits)
    {
        if (ulimits is null)
        {
            return null;
        }
        var result = new JsonArray();
        foreach (var (key, value) in ulimits.Entries.OrderBy(e => e.Key.Text, StringComparer.Ordinal))
        {
            long soft, hard;
            if (value is ScalarNode)
            {
                soft = hard = ulimits.Long(key.Text) ?? 0;
            }
            else if (value is MapNode limits)
            {
                (soft, hard) = (limits.Long("soft") ?? 0, limits.Long("hard") ?? 0);
            }
            else
            {
                continue;
            }
            result.Add(new JsonObject { ["Name"] = key.Text, ["Hard"] = hard, ["Soft"] = soft });
        }
        return result;
    }

    private JsonObject Resources(MapNode? resources, string path)
    {
        var result = new JsonObject();
        if (resources.Map("limits") is { } limits)
        {
            var limit = new JsonObject();
            PutCpus(limit, limits.Scalar("cpus"), $"{path}.limits.cpus");
            PutBytes(limit, limits.Scalar("memory"), $"{path}.limits.memory");
            if (limits.Long("pids") is { } pids and not 0)
            {
                limit["Pids"] = pids;
            }
            result["Limits"] = limit;
        }
        if (resources.Map("reservations") is { } reservations)
        {
            var reservation = new JsonObject();
            PutCpus(reservation, reservations.Scalar("cpus"), $"{path}.reservations.cpus");
            PutBytes(reservation, reservations.Scalar("memory"), $"{path}.reservations.memory");
            if (reservations.List("generic_resources") is { Items.Count: > 0 } generic)
            {
                var list = new JsonArray();
                foreach (var item in generic.Items.OfType<MapNode>())
                {
                    var resource = new JsonObject();
                    if (item.Map("discrete_resource_spec") is { } discrete)
                    {
                        resource["DiscreteResourceSpec"] = new JsonObject
                        {
                            ["Kind"] = discrete.Str("kind") ?? "",
                            ["Value"] = discrete.Long("value") ?? 0,
                        };
                    }
                    list.Add(resource);
                }
                reservation["GenericResources"] = list;
            }
            result["Reservations"] = reservation;
        }
        return result;
    }

    private void PutCpus(JsonObject target, ScalarNode? cpus, string path)
    {
        if (cpus?.AsString is not { Length: > 0 } text)
        {
            return;
        }
        if (GoValues.TryParseCpus(text, out var nano) is { } error)
        {
            problems.Add(cpus, path, error);
        }
        else if (nano != 0)
        {
            target["NanoCPUs"] = nano;
        }
    }

    private void PutBytes(JsonObject target, ScalarNode? memory, string path)
    {
        if (memory?.AsString is not { } text)
        {
            return;
        }
        if (!GoValues.TryParseBytes(text, out var bytes))
        {
            problems.Add(memory, path, $"\"{text}\" is not a size; write it such as 512M, 1.5G or 1048576");
        }
        else if (bytes != 0)
        {
            target["MemoryBytes"] = bytes;
        }
    }

    /// <summary>deploy.restart_policy, else the legacy service-level restart (which the CLI also warns it ignores, yet reads).</summary>
    private JsonObject? RestartPolicy(MapNode service, MapNode? deploy, string path)
    {
        if (deploy.Map("restart_policy") is { } policy)
        {
            var result = new JsonObject();
            // Delay and Window are pointers in the CLI's struct: a 0s written in the file is sent as 0.
            PutString(result, "Condition", policy.Str("condition"));
            if (Duration(policy.Scalar("delay")) is { } delay)
            {
                result["Delay"] = delay;
            }
            if (policy.Long("max_attempts") is { } attempts)
            {
                result["MaxAttempts"] = attempts;
            }
            if (Duration(policy.Scalar("window")) is { } window)
            {
                result["Window"] = window;
            }
            return result;
        }
        if (service.Scalar("restart") is not { AsString: { Length: > 0 } restart } node)
        {
            return null;
        }
        var parts = restart.Split(':');
        long retries = 0;
        if (parts.Length > 2 || (parts.Length == 2 && !long.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out retries)))
        {
            problems.Add(node, $"{path}.restart", $"invalid restart policy \"{restart}\"");
            return null;
        }
        switch (parts[0])
        {
            case "no" or "":
                return null;
            case "always" or "unless-stopped":
                return new JsonObject { ["Condition"] = "any" };
            case "on-failure":
                return new JsonObject { ["Condition"] = "on-failure", ["MaxAttempts"] = retries };
            default:
                problems.Add(node, $"{path}.restart", $"unknown restart policy: {restart}");
                return null;
        }
    }

    private static JsonObject Placement(MapNode? placement)
    {
        var result = new JsonObject();
        PutList(result, "Constraints", placement.List("constraints").StringList());
        if (placement.List("preferences") is { Items.Count: > 0 } preferences)
        {
            result["Preferences"] = new JsonArray([.. preferences.Items.OfType<MapNode>().Select(p =>
                (JsonNode)new JsonObject { ["Spread"] = new JsonObject { ["SpreadDescriptor"] = p.Str("spread") ?? "" } })]);
        }
        if (placement.Long("max_replicas_per_node") is { } max and not 0)
        {
            result["MaxReplicas"] = max;
        }
        return result;
    }

    private JsonObject Mode(MapNode? deploy, string path)
    {
        var replicas = deploy.Long("replicas");
        var mode = deploy.Str("mode") ?? "";
        var modeNode = (ComposeNode?)deploy.Scalar("mode") ?? deploy.Scalar("replicas");
        if (replicas < 0)
        {
            problems.Add(deploy.Scalar("replicas"), $"{path}.replicas", "replicas cannot be negative");
        }
        switch (mode)
        {
            case "replicated" or "":
                var replicated = new JsonObject();
                if (replicas is { } r)
                {
                    replicated["Replicas"] = r;
                }
                return new JsonObject { ["Replicated"] = replicated };
            case "global" or "global-job":
                if (replicas is not null)
                {
                    problems.Add(deploy.Scalar("replicas"), $"{path}.replicas", "replicas can only be used with replicated or replicated-job mode");
                }
                return mode == "global" ? new JsonObject { ["Global"] = new JsonObject() } : new JsonObject { ["GlobalJob"] = new JsonObject() };
            case "replicated-job":
                // Jobs came to docker stack deploy after 20.10 (which says "Unknown mode"); the 20.10 engine (API 1.41)
                // runs them, so ControlPlane reads them as later CLIs do: replicas is both the concurrency and the total.
                var job = new JsonObject();
                if (replicas is { } total)
                {
                    job["MaxConcurrent"] = total;
                    job["TotalCompletions"] = total;
                }
                return new JsonObject { ["ReplicatedJob"] = job };
            default:
                problems.Add(modeNode, $"{path}.mode", $"unknown mode: {mode} (replicated, global, replicated-job or global-job)");
                return new JsonObject();
        }
    }

    private static JsonObject? UpdateConfig(MapNode? update)
    {
        if (update is null)
        {
            return null;
        }
        var result = new JsonObject { ["Parallelism"] = update.Long("parallelism") ?? 1 };
        PutDuration(result, "Delay", update.Scalar("delay"));
        PutString(result, "FailureAction", update.Str("failure_action"));
        PutDuration(result, "Monitor", update.Scalar("monitor"));
        result["MaxFailureRatio"] = (float)(update.Double("max_failure_ratio") ?? 0);
        result["Order"] = update.Str("order") ?? "";
        return result;
    }

    private JsonObject Endpoint(string? endpointMode, ListNode? ports, string path)
    {
        var configs = new List<PortConfig>();
        for (var i = 0; i < (ports?.Items.Count ?? 0); i++)
        {
            var item = ports!.Items[i];
            var itemPath = $"{path}.{i.ToString(CultureInfo.InvariantCulture)}";
            switch (item)
            {
                case ScalarNode { Kind: ScalarKind.String or ScalarKind.Int or ScalarKind.Float } scalar:
                    var parsed = PortSpec.Parse(GoValues.Sprint(scalar.Value), out var error, out var warning);
                    if (parsed is null)
                    {
                        problems.Add(scalar, itemPath, error!);
                    }
                    else
                    {
                        configs.AddRange(parsed);
                    }
                    if (warning is not null)
                    {
                        problems.Warn(warning);
                    }
                    break;
                case MapNode map:
                    configs.Add(new PortConfig(map.Str("protocol") ?? "", map.Long("target") ?? 0, map.Long("published") ?? 0, map.Str("mode") ?? ""));
                    break;
            }
        }
        var result = new JsonObject();
        PutString(result, "Mode", endpointMode?.ToLowerInvariant());
        if (configs.Count > 0)
        {
            // The CLI sorts by published port; OrderBy is stable, so equal ones keep the file's order.
            result["Ports"] = new JsonArray([.. configs.OrderBy(p => p.Published).Select(p =>
            {
                var port = new JsonObject();
                PutString(port, "Protocol", p.Protocol);
                if (p.Target != 0)
                {
                    port["TargetPort"] = p.Target;
                }
                if (p.Published != 0)
                {
                    port["PublishedPort"] = p.Published;
                }
                PutString(port, "PublishMode", p.Mode);
                return (JsonNode)port;
            })]);
        }
        return result;
    }

    private static long? Duration(ScalarNode? node) =>
        node?.AsString is { } text && GoDuration.TryParse(text, out var nanoseconds) ? nanoseconds : null;

    private static void PutDuration(JsonObject target, string key, ScalarNode? node)
    {
        if (Duration(node) is { } nanoseconds and not 0)
        {
            target[key] = nanoseconds;
        }
    }

    internal static void PutString(JsonObject target, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            target[key] = value;
        }
    }

    internal static void PutList(JsonObject target, string key, IReadOnlyCollection<string>? values)
    {
        if (values is { Count: > 0 })
        {
            target[key] = new JsonArray([.. values.Select(v => (JsonNode)v)]);
        }
    }

    internal static JsonObject ToObject(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var result = new JsonObject();
        foreach (var (key, value) in pairs.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            result[key] = value;
        }
        return result;
    }
}
