using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ControlPlane.SwarmSimulator;

/// <summary>
/// The engine's <c>filters</c> query value: a JSON map of name to {value: true} (or, from old clients, to a list).
/// </summary>
public sealed class Filters
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    public static Filters Parse(string? json)
    {
        var filters = new Filters();
        if (string.IsNullOrWhiteSpace(json))
        {
            return filters;
        }
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new EngineError(400, $"invalid filter: {ex.Message}");
        }
        foreach (var (name, value) in root?.AsObject() ?? [])
        {
            var list = filters._values[name] = [];
            switch (value)
            {
                case JsonObject map:
                    list.AddRange(map.Where(kv => kv.Value?.GetValue<bool>() != false).Select(kv => kv.Key));
                    break;
                case JsonArray array:
                    list.AddRange(array.Select(v => v!.GetValue<string>()));
                    break;
            }
        }
        return filters;
    }

    public bool Has(string name) => _values.ContainsKey(name);

    public IReadOnlyList<string> Get(string name) => _values.TryGetValue(name, out var list) ? list : [];

    public void Only(params string[] accepted)
    {
        foreach (var name in _values.Keys)
        {
            if (!accepted.Contains(name))
            {
                throw new EngineError(400, $"invalid filter '{name}'");
            }
        }
    }

    /// <summary>True when the filter is absent or any of its values matches.</summary>
    public bool Match(string name, Func<string, bool> matches) => !_values.TryGetValue(name, out var list) || list.Any(matches);

    /// <summary>label=key or label=key=value against a label map.</summary>
    public bool MatchLabels(string name, JsonObject? labels) => !_values.TryGetValue(name, out var list) || list.All(l =>
    {
        var parts = l.Split('=', 2);
        return labels is not null && labels.TryGetPropertyValue(parts[0], out var value) && (parts.Length == 1 || value?.GetValue<string>() == parts[1]);
    });
}

public sealed partial class SimulatedSwarm
{
    public IReadOnlyList<byte[]> ListNodes(Filters filters)
    {
        filters.Only("id", "label", "node.label", "membership", "name", "role");
        lock (_gate)
        {
            return _nodeOrder.Where(n =>
                    filters.Match("id", v => n.Id.StartsWith(v, StringComparison.Ordinal))
                    && filters.Match("name", v => n.Hostname.StartsWith(v, StringComparison.Ordinal))
                    && filters.Match("role", v => v == n.Role)
                    && filters.Match("membership", v => v == "accepted")
                    && filters.MatchLabels("node.label", n.Labels))
                .Select(n => n.Json).ToList();
        }
    }

    public byte[] InspectNode(string idOrName)
    {
        lock (_gate)
        {
            return NodeOrThrow(idOrName).Json;
        }
    }

    public IReadOnlyList<byte[]> ListServices(Filters filters, bool status)
    {
        filters.Only("id", "label", "mode", "name");
        lock (_gate)
        {
            return _serviceList.Where(s =>
                    filters.Match("id", v => s.Id.StartsWith(v, StringComparison.Ordinal))
                    && filters.Match("name", v => s.Name.StartsWith(v, StringComparison.Ordinal))
                    && filters.Match("mode", v => v == (s.Global ? "global" : "replicated"))
                    && filters.MatchLabels("label", s.Spec["Labels"] as JsonObject))
                .Select(s => status ? WithStatus(s) : s.Json).ToList();
        }
    }

    public byte[] InspectService(string idOrName)
    {
        lock (_gate)
        {
            return ServiceOrThrow(idOrName).Json;
        }
    }

    /// <summary>The service's JSON with ServiceStatus (<c>?status=true</c>) appended before its closing brace.</summary>
    private byte[] WithStatus(SimService service)
    {
        var json = service.Json;
        var tasks = _tasksByService[service.Id];
        // As dockerd counts: running tasks the orchestrator still wants (not those being shut down).
        var running = tasks.Count(t => t.Running && t.Live);
        var desired = service.Global ? tasks.Count(t => t.Live) : service.Replicas;
        var extra = Encoding.UTF8.GetBytes($",\"ServiceStatus\":{{\"RunningTasks\":{running},\"DesiredTasks\":{desired},\"CompletedTasks\":0}}}}");
        var result = new byte[json.Length - 1 + extra.Length];
        json.AsSpan(0, json.Length - 1).CopyTo(result);
        extra.CopyTo(result.AsSpan(json.Length - 1));
        return result;
    }

    public IReadOnlyList<byte[]> ListTasks(Filters filters)
    {
        // _up-to-date is the docker CLI's own (it waits for an update to converge with it).
        filters.Only("id", "label", "name", "node", "service", "desired-state", "up-to-date", "_up-to-date", "runtime");
        lock (_gate)
        {
            IEnumerable<SimTask> tasks;
            if (filters.Has("service"))
            {
                // dockerd resolves each named service (by id, name or id prefix) and fails on one that does not exist.
                tasks = filters.Get("service").Select(ServiceOrThrow).Distinct().SelectMany(s => _tasksByService[s.Id]);
            }
            else
            {
                tasks = _tasks.Values;
            }
            var nodes = filters.Has("node") ? filters.Get("node").Select(n => NodeOrThrow(n).Id).ToHashSet(StringComparer.Ordinal) : null;
            return tasks.Where(t =>
                    (nodes is null || nodes.Contains(t.NodeId))
                    && filters.Match("id", v => t.Id.StartsWith(v, StringComparison.Ordinal))
                    && filters.Match("name", v => ContainerName(t).StartsWith(v, StringComparison.Ordinal))
                    && filters.Match("desired-state", v => v == t.DesiredState || v == "accepted" && t.DesiredState == "running")
                    && filters.Match("_up-to-date", v => v != "true" || t.Generation == t.Service.Generation)
                    && filters.Match("up-to-date", v => v != "true" || t.Generation == t.Service.Generation))
                .Select(t => t.Json).ToList();
        }
    }

    public byte[] InspectTask(string id)
    {
        lock (_gate)
        {
            return (_tasks.TryGetValue(id, out var task) ? task : Find(_tasks, id, _ => "\0") ?? throw new EngineError(404, $"task {id} not found")).Json;
        }
    }

    public IReadOnlyList<byte[]> ListFiles(bool config, Filters filters)
    {
        filters.Only("id", "label", "name", "names");
        lock (_gate)
        {
            var files = config ? _configs : _secrets;
            return files.Values.OrderBy(f => f.CreatedAt).Where(f =>
                    filters.Match("id", v => f.Id.StartsWith(v, StringComparison.Ordinal))
                    && filters.Match("name", v => f.Name.StartsWith(v, StringComparison.Ordinal))
                    && filters.Match("names", v => f.Name == v)
                    && filters.MatchLabels("label", f.Labels))
                .Select(f => f.Json).ToList();
        }
    }

    public byte[] InspectFile(bool config, string idOrName)
    {
        lock (_gate)
        {
            var file = Find(config ? _configs : _secrets, idOrName, f => f.Name) ?? throw new EngineError(404, $"{(config ? "config" : "secret")} {idOrName} not found");
            return file.Json;
        }
    }

    /// <summary>The manager's own containers: those of tasks placed on it, as <c>/containers/json?all=1</c> lists them.</summary>
    public IReadOnlyList<byte[]> ListContainers(bool all)
    {
        lock (_gate)
        {
            return _tasks.Values.Where(t => t.NodeId == Self.Id && t.ContainerId.Length > 0 && (all || t.Running))
                .OrderByDescending(t => t.CreatedAt).Select(ContainerSummary).ToList();
        }
    }

    private static byte[] ContainerSummary(SimTask t)
    {
        var labels = ContainerLabels(t);
        var created = (t.CreatedAt - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerSecond;
        var node = new JsonObject
        {
            ["Id"] = t.ContainerId,
            ["Names"] = new JsonArray("/" + ContainerName(t)),
            ["Image"] = t.Image,
            ["ImageID"] = Ids.Digest(t.Image),
            ["Command"] = "/entrypoint.sh",
            ["Created"] = created,
            ["Ports"] = t.IngressAddress is null ? new JsonArray() : new JsonArray(new JsonObject { ["PrivatePort"] = 8080, ["Type"] = "tcp" }),
            ["Labels"] = labels,
            ["State"] = t.Running ? "running" : "exited",
            ["Status"] = t.Running ? "Up " + Ago(t.StatusAt) : $"Exited ({t.ExitCode}) {Ago(t.StatusAt)} ago",
            ["HostConfig"] = new JsonObject { ["NetworkMode"] = "default" },
            ["NetworkSettings"] = new JsonObject { ["Networks"] = new JsonObject { ["bridge"] = EmptyEndpoint() } },
            ["Mounts"] = new JsonArray(),
        };
        if (t.IngressAddress is { } address)
        {
            var ip = address.Split('/')[0];
            node["NetworkSettings"]!["Networks"] = new JsonObject();
            node["NetworkSettings"]!["Networks"]!["ingress"] = new JsonObject
            {
                ["IPAMConfig"] = new JsonObject { ["IPv4Address"] = ip },
                ["Links"] = null,
                ["Aliases"] = null,
                ["NetworkID"] = Templates.IngressId,
                ["EndpointID"] = Ids.Hex64(),
                ["Gateway"] = "",
                ["IPAddress"] = ip,
                ["IPPrefixLen"] = 16,
                ["IPv6Gateway"] = "",
                ["GlobalIPv6Address"] = "",
                ["GlobalIPv6PrefixLen"] = 0,
                ["MacAddress"] = "02:42:0a:00:00:0d",
                ["DriverOpts"] = null,
            };
        }
        return JsonSerializer.SerializeToUtf8Bytes(node);
    }

    /// <summary>The endpoint dockerd shows for a task container on no network (networking disabled).</summary>
    private static JsonObject EmptyEndpoint() => new()
    {
        ["IPAMConfig"] = null, ["Links"] = null, ["Aliases"] = null, ["NetworkID"] = "", ["EndpointID"] = "", ["Gateway"] = "",
        ["IPAddress"] = "", ["IPPrefixLen"] = 0, ["IPv6Gateway"] = "", ["GlobalIPv6Address"] = "", ["GlobalIPv6PrefixLen"] = 0,
        ["MacAddress"] = "", ["DriverOpts"] = null,
    };

    private static JsonObject ContainerLabels(SimTask t) => new()
    {
        ["com.docker.swarm.node.id"] = t.NodeId,
        ["com.docker.swarm.service.id"] = t.Service.Id,
        ["com.docker.swarm.service.name"] = t.Service.Name,
        ["com.docker.swarm.task"] = "",
        ["com.docker.swarm.task.id"] = t.Id,
        ["com.docker.swarm.task.name"] = ContainerName(t),
    };

    private static string Ago(DateTime at)
    {
        var seconds = (int)(DateTime.UtcNow - at).TotalSeconds;
        return seconds < 60 ? $"{Math.Max(1, seconds)} seconds" : $"{seconds / 60} minutes";
    }

    public byte[] InspectContainer(string idOrName)
    {
        lock (_gate)
        {
            var task = _tasks.Values.FirstOrDefault(t => t.NodeId == Self.Id && t.ContainerId.Length > 0
                && (t.ContainerId.StartsWith(idOrName, StringComparison.Ordinal) || ContainerName(t) == idOrName.TrimStart('/')))
                ?? throw new EngineError(404, $"No such container: {idOrName}");
            var json = Templates.ContainerInspect;
            var id = task.ContainerId;
            foreach (var path in new[] { "ResolvConfPath", "HostnamePath", "HostsPath", "LogPath" })
            {
                json[path] = json[path]!.GetValue<string>().Replace("7fc14e4601e6ca0aac782ec5ca819fade0787cfe2a0a760f1c38e7a4c1a788ae", id, StringComparison.Ordinal);
            }
            json["Id"] = id;
            json["Created"] = Time.Format(task.CreatedAt);
            json["Name"] = "/" + ContainerName(task);
            json["Image"] = Ids.Digest(task.Image);
            var state = json["State"]!.AsObject();
            state["Status"] = task.Running ? "running" : "exited";
            state["Running"] = task.Running;
            state["Pid"] = task.Running ? task.Pid : 0;
            state["ExitCode"] = task.ExitCode;
            state["StartedAt"] = Time.Format(task.StatusAt);
            var config = json["Config"]!.AsObject();
            var network = json["NetworkSettings"]!.AsObject();
            if (task.IngressAddress is { } address)
            {
                var ingress = network["Networks"]!["ingress"]!.AsObject();
                ingress["NetworkID"] = Templates.IngressId;
                ingress["IPAddress"] = address.Split('/')[0];
                ingress["IPAMConfig"] = new JsonObject { ["IPv4Address"] = address.Split('/')[0] };
                ingress["Aliases"] = new JsonArray(id[..12]);
            }
            else
            {
                // A task on no network: dockerd disables networking and shows an empty bridge endpoint.
                config["NetworkDisabled"] = true;
                network["Ports"] = new JsonObject();
                network["Networks"] = new JsonObject { ["bridge"] = EmptyEndpoint() };
            }
            if (task.Service.Spec["TaskTemplate"]?["ContainerSpec"]?["Init"] is null)
            {
                json["HostConfig"]!.AsObject().Remove("Init");
            }
            config["Hostname"] = id[..12];
            config["Image"] = task.Image;
            config["Labels"] = ContainerLabels(task);
            return JsonSerializer.SerializeToUtf8Bytes(json);
        }
    }

    public byte[] Version()
    {
        var json = Templates.Version;
        return JsonSerializer.SerializeToUtf8Bytes(json);
    }

    public byte[] Info()
    {
        lock (_gate)
        {
            var json = Templates.Info;
            var containers = _tasks.Values.Count(t => t.NodeId == Self.Id && t.ContainerId.Length > 0);
            var running = _tasks.Values.Count(t => t.NodeId == Self.Id && t.Running);
            json["ID"] = "SIMU:LATE:D000:0000:0000:0000:0000:0000:0000:0000:0000:0000";
            json["Containers"] = containers;
            json["ContainersRunning"] = running;
            json["ContainersStopped"] = containers - running;
            json["Name"] = Self.Hostname;
            json["SystemTime"] = Time.Format(DateTime.UtcNow);
            var swarm = json["Swarm"]!.AsObject();
            swarm["NodeID"] = Self.Id;
            swarm["NodeAddr"] = Self.Addr;
            swarm["RemoteManagers"] = new JsonArray(_nodeOrder.Where(n => n.Role == "manager")
                .Select(n => (JsonNode)new JsonObject { ["NodeID"] = n.Id, ["Addr"] = n.Addr + ":2377" }).ToArray());
            swarm["Nodes"] = _nodeOrder.Count;
            swarm["Managers"] = _nodeOrder.Count(n => n.Role == "manager");
            swarm["Cluster"] = ClusterJson();
            return JsonSerializer.SerializeToUtf8Bytes(json);
        }
    }

    public byte[] Swarm()
    {
        lock (_gate)
        {
            var json = ClusterJson();
            json["JoinTokens"] = new JsonObject
            {
                ["Worker"] = "SWMTKN-1-simulated-worker",
                ["Manager"] = "SWMTKN-1-simulated-manager",
            };
            return JsonSerializer.SerializeToUtf8Bytes(json);
        }
    }

    private JsonObject ClusterJson()
    {
        var cluster = Templates.Swarm;
        cluster.Remove("JoinTokens");
        cluster["CreatedAt"] = Time.Format(CreatedAt);
        cluster["UpdatedAt"] = Time.Format(CreatedAt);
        return cluster;
    }

    /// <summary>The manager's local networks and the swarm's ingress, as <c>/networks</c> lists them.</summary>
    public IReadOnlyList<byte[]> ListNetworks() => [.. Networks().Select(n => JsonSerializer.SerializeToUtf8Bytes(n))];

    public byte[] InspectNetwork(string idOrName)
    {
        var network = Networks().FirstOrDefault(n => n["Id"]!.GetValue<string>().StartsWith(idOrName, StringComparison.Ordinal) || n["Name"]!.GetValue<string>() == idOrName)
            ?? throw new EngineError(404, $"network {idOrName} not found");
        return JsonSerializer.SerializeToUtf8Bytes(network);
    }

    private static readonly string[] LocalNetworkIds = [Ids.Hex64(), Ids.Hex64(), Ids.Hex64()];

    private IEnumerable<JsonObject> Networks()
    {
        JsonObject Network(string name, string id, string scope, string driver, string? subnet, bool ingress, JsonObject options, JsonNode? labels) => new()
        {
            ["Name"] = name,
            ["Id"] = id,
            ["Created"] = Time.Format(CreatedAt),
            ["Scope"] = scope,
            ["Driver"] = driver,
            ["EnableIPv6"] = false,
            ["IPAM"] = new JsonObject
            {
                ["Driver"] = "default",
                ["Options"] = null,
                ["Config"] = subnet is null ? new JsonArray() : new JsonArray(new JsonObject { ["Subnet"] = subnet, ["Gateway"] = subnet.Replace("0/", "1/", StringComparison.Ordinal).Split('/')[0] }),
            },
            ["Internal"] = false,
            ["Attachable"] = false,
            ["Ingress"] = ingress,
            ["ConfigFrom"] = new JsonObject { ["Network"] = "" },
            ["ConfigOnly"] = false,
            ["Containers"] = ingress ? null : new JsonObject(),
            ["Options"] = options,
            ["Labels"] = labels,
        };
        yield return Network("ingress", Templates.IngressId, "swarm", "overlay", "10.0.0.0/16", true,
            new JsonObject { ["com.docker.network.driver.overlay.vxlanid_list"] = "4096" }, null);
        yield return Network("docker_gwbridge", LocalNetworkIds[0], "local", "bridge", "172.17.0.0/16", false, new JsonObject
        {
            ["com.docker.network.bridge.enable_icc"] = "false",
            ["com.docker.network.bridge.enable_ip_masquerade"] = "true",
            ["com.docker.network.bridge.name"] = "docker_gwbridge",
        }, new JsonObject());
        yield return Network("none", LocalNetworkIds[1], "local", "null", null, false, new JsonObject(), new JsonObject());
        yield return Network("host", LocalNetworkIds[2], "local", "host", null, false, new JsonObject(), new JsonObject());
    }

    public static byte[] ListImages() => JsonSerializer.SerializeToUtf8Bytes(Templates.Images);

    /// <summary><c>GET /distribution/{name}/json</c>: every reference resolves, to a digest stable for its name.</summary>
    public static byte[] Distribution(string name)
    {
        if (name.Length == 0 || name.Contains(' ', StringComparison.Ordinal))
        {
            throw new EngineError(400, $"invalid reference format");
        }
        return JsonSerializer.SerializeToUtf8Bytes(new JsonObject
        {
            ["Descriptor"] = new JsonObject
            {
                ["mediaType"] = "application/vnd.docker.distribution.manifest.v2+json",
                ["digest"] = Ids.Digest(name),
                ["size"] = 1150,
            },
            ["Platforms"] = new JsonArray(new JsonObject { ["architecture"] = "amd64", ["os"] = "linux" }),
        });
    }

    internal static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
