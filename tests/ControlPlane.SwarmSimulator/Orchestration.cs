using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace ControlPlane.SwarmSimulator;

/// <summary>A rolling update (or rollback) in progress: the batch being replaced and what failed so far.</summary>
public sealed class RollingUpdate
{
    public required bool Rollback { get; init; }

    public List<(SimTask Old, SimTask New)> InFlight { get; } = [];

    public int Replaced { get; set; }

    public int Failed { get; set; }

    public bool Paused { get; set; }
}

public sealed partial class SimulatedSwarm
{
    private static readonly TimeSpan StartDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StopDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan RestartDelay = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);
    private readonly List<SimService> _serviceList = [];
    private int _placement;
    private long _lastEventTicks;

    // ---------------------------------------------------------------- services

    public string CreateService(JsonObject spec)
    {
        lock (_gate)
        {
            var name = spec["Name"]?.GetValue<string>();
            if (name is not null && _services.Values.Any(s => s.Name == name))
            {
                throw new EngineError(409, $"rpc error: code = AlreadyExists desc = name conflicts with an existing object: service {name} already exists");
            }
            return CreateServiceLocked(spec, DateTime.UtcNow, emit: true).Id;
        }
    }

    private SimService CreateServiceLocked(JsonObject spec, DateTime now, bool emit)
    {
        var normalized = Normalize(spec, null);
        var service = new SimService { Id = Ids.Swarm(), CreatedAt = now, Spec = normalized };
        service.Touch(++_index, now);
        AssignVirtualIPs(service);
        _services[service.Id] = service;
        _serviceList.Add(service);
        _tasksByService[service.Id] = [];
        if (emit)
        {
            Emit(now, "service", "create", service.Id, new() { ["name"] = service.Name });
        }
        Reconcile(service, now);
        return service;
    }

    /// <summary>The update of <c>POST /services/{id}/update</c>: version-checked, then a rolling update if the task template changed.</summary>
    public void UpdateService(string idOrName, ulong version, JsonObject? spec, bool rollback)
    {
        lock (_gate)
        {
            var service = ServiceOrThrow(idOrName);
            if (version != service.Version)
            {
                throw new EngineError(500, "rpc error: code = Unknown desc = update out of sequence");
            }
            var now = DateTime.UtcNow;
            JsonObject next;
            if (rollback)
            {
                next = service.PreviousSpec ?? throw new EngineError(400, $"rpc error: code = FailedPrecondition desc = service {service.Id} does not have a previous spec");
            }
            else
            {
                next = Normalize(spec ?? throw new EngineError(400, "service spec is missing"), service);
                if (next["Name"]?.GetValue<string>() != service.Name)
                {
                    throw new EngineError(400, "rpc error: code = Unimplemented desc = renaming services is not supported");
                }
            }
            ApplySpec(service, next, now, rollback ? "manually requested rollback" : null);
        }
    }

    private void ApplySpec(SimService service, JsonObject next, DateTime now, string? rollbackMessage)
    {
        var before = service.Spec;
        var attributes = new Dictionary<string, string> { ["name"] = service.Name };
        var oldImage = service.Image;
        var oldReplicas = service.Replicas;
        var templateChanged = before["TaskTemplate"]!.ToJsonString() != next["TaskTemplate"]!.ToJsonString();
        service.PreviousSpec = before;
        service.Spec = next;
        service.SpecChanged();
        service.Touch(++_index, now);
        AssignVirtualIPs(service);
        if (service.Image != oldImage)
        {
            attributes["image.old"] = oldImage;
            attributes["image.new"] = service.Image;
        }
        if (!service.Global && service.Replicas != oldReplicas)
        {
            attributes["replicas.old"] = oldReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture);
            attributes["replicas.new"] = service.Replicas.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        Emit(now, "service", "update", service.Id, attributes);
        if (templateChanged)
        {
            service.Generation++;
            BeginRolling(service, now, rollbackMessage is not null, rollbackMessage);
        }
        Reconcile(service, now);
    }

    public void RemoveService(string idOrName)
    {
        lock (_gate)
        {
            var service = ServiceOrThrow(idOrName);
            var now = DateTime.UtcNow;
            foreach (var task in _tasksByService[service.Id])
            {
                _tasks.Remove(task.Id);
                if (task.ContainerId.Length > 0 && task.NodeId == Self.Id)
                {
                    if (task.Running)
                    {
                        ContainerEvent(task, "kill", now);
                        ContainerEvent(task, "die", now);
                        ContainerEvent(task, "stop", now);
                    }
                    ContainerEvent(task, "destroy", now);
                }
            }
            _tasksByService.Remove(service.Id);
            _services.Remove(service.Id);
            _serviceList.Remove(service);
            service.Rolling = null;
            ++_index;
            Emit(now, "service", "remove", service.Id, new() { ["name"] = service.Name });
        }
    }

    /// <summary>Fills in what dockerd fills in (labels, isolation, runtime, mode, published ports) and checks references.</summary>
    private JsonObject Normalize(JsonObject input, SimService? existing)
    {
        var spec = JsonNode.Parse(input.ToJsonString())!.AsObject();
        var name = spec["Name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(name) || !ValidName().IsMatch(name))
        {
            throw new EngineError(400, $"rpc error: code = InvalidArgument desc = name must be valid as a DNS name component");
        }
        spec["Labels"] ??= new JsonObject();
        if (spec["TaskTemplate"] is not JsonObject template || template["ContainerSpec"] is not JsonObject container)
        {
            throw new EngineError(400, "rpc error: code = InvalidArgument desc = ContainerSpec: missing in service spec");
        }
        if (string.IsNullOrEmpty(container["Image"]?.GetValue<string>()))
        {
            throw new EngineError(400, "rpc error: code = InvalidArgument desc = ContainerSpec: image reference must be provided");
        }
        container["Isolation"] ??= "default";
        template["ForceUpdate"] ??= 0;
        template["Runtime"] ??= "container";
        foreach (var (kind, files, idKey, nameKey) in new[] { ("secret", _secrets, "SecretID", "SecretName"), ("config", _configs, "ConfigID", "ConfigName") })
        {
            if (container[kind == "secret" ? "Secrets" : "Configs"] is JsonArray references)
            {
                foreach (var reference in references.OfType<JsonObject>())
                {
                    var id = reference[idKey]?.GetValue<string>() ?? "";
                    if (!files.TryGetValue(id, out var file))
                    {
                        throw new EngineError(400, $"rpc error: code = InvalidArgument desc = {kind} reference {reference[nameKey]?.GetValue<string>() ?? id} not found");
                    }
                    reference[nameKey] = file.Name;
                }
            }
        }
        if (spec["Mode"] is not JsonObject mode || (mode["Replicated"] is null && mode["Global"] is null))
        {
            spec["Mode"] = new JsonObject { ["Replicated"] = new JsonObject { ["Replicas"] = 1 } };
        }
        else if (mode["Replicated"] is JsonObject replicated)
        {
            replicated["Replicas"] ??= 1;
            if (replicated["Replicas"]!.GetValue<long>() < 0)
            {
                throw new EngineError(400, "rpc error: code = InvalidArgument desc = replicas must be non-negative");
            }
        }
        if (spec["EndpointSpec"]?["Ports"] is JsonArray ports)
        {
            var previous = existing?.Ports?.OfType<JsonObject>().ToList() ?? [];
            foreach (var port in ports.OfType<JsonObject>())
            {
                port["Protocol"] ??= "tcp";
                port["PublishMode"] ??= "ingress";
                if ((port["PublishedPort"]?.GetValue<long>() ?? 0) == 0)
                {
                    // Keep the port dockerd assigned before, as it does across updates.
                    var target = port["TargetPort"]?.GetValue<long>();
                    var kept = previous.FirstOrDefault(p => p["TargetPort"]?.GetValue<long>() == target)?["PublishedPort"]?.GetValue<long>();
                    port["PublishedPort"] = kept ?? _nextPort++;
                }
            }
        }
        foreach (var section in new[] { "UpdateConfig", "RollbackConfig" })
        {
            // Go's omitempty on these fields: a zero delay or monitor, or no failure action, is not echoed.
            if (spec[section] is JsonObject update)
            {
                foreach (var field in new[] { "Delay", "Monitor" })
                {
                    if (update[field] is JsonValue value && value.GetValue<long>() == 0)
                    {
                        update.Remove(field);
                    }
                }
                if (update["FailureAction"] is JsonValue action && action.GetValue<string>().Length == 0)
                {
                    update.Remove("FailureAction");
                }
            }
        }
        // Values written as .NET numbers above become JSON ones, so every read below sees one kind of node.
        return JsonNode.Parse(spec.ToJsonString())!.AsObject();
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]{0,61}[a-zA-Z0-9])?$")]
    private static partial System.Text.RegularExpressions.Regex ValidName();

    private void AssignVirtualIPs(SimService service)
    {
        if (service.Ports is { Count: > 0 } && service.VirtualIPs.All(v => v.NetworkId != Templates.IngressId))
        {
            service.VirtualIPs.Add((Templates.IngressId, NextAddress()));
        }
    }

    private string NextAddress()
    {
        var n = _nextAddress++;
        return $"10.0.{n / 250 % 250}.{n % 250 + 2}/16";
    }

    // ---------------------------------------------------------------- tasks

    /// <summary>Makes the live tasks match the spec: a task per slot (replicated) or per node (global), no more.</summary>
    private void Reconcile(SimService service, DateTime now)
    {
        if (!_services.ContainsKey(service.Id))
        {
            return;
        }
        var tasks = _tasksByService[service.Id];
        if (service.Global)
        {
            var covered = tasks.Where(t => t.Live).Select(t => t.NodeId).ToHashSet(StringComparer.Ordinal);
            foreach (var node in _nodeOrder.Where(n => n.Schedulable && !covered.Contains(n.Id)))
            {
                CreateTask(service, 0, node, now);
            }
            return;
        }
        var live = tasks.Where(t => t.Live).GroupBy(t => t.Slot).ToDictionary(g => g.Key, g => g.ToList());
        for (var slot = 1; slot <= service.Replicas; slot++)
        {
            if (!live.ContainsKey(slot))
            {
                CreateTask(service, slot, PickNode(), now);
            }
        }
        foreach (var (slot, slotTasks) in live.Where(kv => kv.Key > service.Replicas))
        {
            foreach (var task in slotTasks)
            {
                Stop(task, now, "shutdown");
            }
        }
    }

    private SimNode? PickNode()
    {
        for (var i = 0; i < _nodeOrder.Count; i++)
        {
            var node = _nodeOrder[_placement++ % _nodeOrder.Count];
            if (node.Schedulable)
            {
                return node;
            }
        }
        return null;
    }

    private SimTask CreateTask(SimService service, int slot, SimNode? node, DateTime now)
    {
        var task = new SimTask
        {
            Id = Ids.Swarm(),
            CreatedAt = now,
            Service = service,
            Spec = service.TaskSpec,
            Generation = service.Generation,
            Image = service.Image,
            Slot = slot,
            NodeId = node?.Id ?? "",
            StatusAt = now,
            IngressAddress = service.Ports is { Count: > 0 } ? NextAddress() : null,
        };
        if (node is not null)
        {
            task.State = "assigned";
            task.Message = "scheduler assigned task to node";
        }
        else
        {
            task.Err = "no suitable node (insufficient resources on 0 nodes)";
        }
        task.Touch(++_index, now);
        _tasks[task.Id] = task;
        _tasksByService[service.Id].Add(task);
        if (node is not null)
        {
            After(StartDelay, () => Start(task, DateTime.UtcNow));
        }
        PruneHistory(service, slot, task.NodeId);
        return task;
    }

    private bool Fails(string image) =>
        image.EndsWith(":broken", StringComparison.Ordinal) || image.Contains(":broken@", StringComparison.Ordinal) || _options.FailingImages.Contains(image);

    private void Start(SimTask task, DateTime now)
    {
        if (!task.Live || task.State != "assigned" || !_tasks.ContainsKey(task.Id))
        {
            return;
        }
        task.ContainerId = Ids.Hex64();
        task.Pid = _random.Next(1000, 60000);
        if (Fails(task.Image))
        {
            task.ExitCode = 1;
            task.Pid = 0;
            task.Err = "task: non-zero exit (1)";
            task.DesiredState = "shutdown";
            task.SetState("failed", "started", ++_index, now);
            if (task.NodeId == Self.Id)
            {
                ContainerEvent(task, "create", now);
                ContainerEvent(task, "start", now);
                ContainerEvent(task, "die", now);
            }
            // The restart policy brings a new task after its delay (unless an update or rollback replaces it first).
            After(RestartDelay, () => Reconcile(task.Service, DateTime.UtcNow));
            return;
        }
        task.SetState("running", "started", ++_index, now);
        if (task.NodeId == Self.Id)
        {
            ContainerEvent(task, "create", now);
            ContainerEvent(task, "start", now);
        }
    }

    /// <summary>Population at start: tasks already running, no events.</summary>
    private void StartNow(SimTask task, DateTime now)
    {
        if (task.NodeId.Length == 0)
        {
            return;
        }
        task.ContainerId = Ids.Hex64();
        task.Pid = _random.Next(1000, 60000);
        task.State = "running";
        task.Message = "started";
        task.StatusAt = now;
    }

    private void Stop(SimTask task, DateTime now, string desired)
    {
        if (!task.Live)
        {
            return;
        }
        task.DesiredState = desired;
        task.Touch(++_index, now);
        if (task.State != "running")
        {
            task.SetState("shutdown", "shutdown", ++_index, now);
            return;
        }
        if (_nodes.TryGetValue(task.NodeId, out var node) && node.State == "down")
        {
            return; // the agent is gone: the task stays as last reported until the node comes back
        }
        After(StopDelay, () =>
        {
            if (task.State != "running")
            {
                return;
            }
            var at = DateTime.UtcNow;
            task.SetState("shutdown", "shutdown", ++_index, at);
            if (task.NodeId == Self.Id)
            {
                ContainerEvent(task, "kill", at);
                ContainerEvent(task, "die", at);
                ContainerEvent(task, "stop", at);
            }
        });
    }

    /// <summary>Keeps at most <see cref="HistoryPerSlot"/> tasks per slot (per node for global services), dropping the oldest ended ones.</summary>
    private void PruneHistory(SimService service, int slot, string nodeId)
    {
        var tasks = _tasksByService[service.Id];
        var inSlot = tasks.Where(t => slot > 0 ? t.Slot == slot : t.NodeId == nodeId).ToList();
        var excess = inSlot.Count - HistoryPerSlot;
        foreach (var old in inSlot.Where(t => t.Ended && !t.Live).OrderBy(t => t.CreatedAt).Take(Math.Max(0, excess)))
        {
            tasks.Remove(old);
            _tasks.Remove(old.Id);
            if (old.NodeId == Self.Id && old.ContainerId.Length > 0)
            {
                ContainerEvent(old, "destroy", DateTime.UtcNow);
            }
        }
    }

    // ---------------------------------------------------------------- rolling updates

    private void BeginRolling(SimService service, DateTime now, bool rollback, string? message)
    {
        var previous = service.UpdateStatus?.State;
        service.Rolling = new RollingUpdate { Rollback = rollback };
        service.UpdateStatus = new UpdateStatusInfo
        {
            State = rollback ? "rollback_started" : "updating",
            StartedAt = now,
            Message = rollback ? message ?? "rollback started" : "update in progress",
        };
        service.Touch(++_index, now);
        var attributes = new Dictionary<string, string> { ["name"] = service.Name, ["updatestate.new"] = service.UpdateStatus.State };
        if (previous is not null)
        {
            attributes["updatestate.old"] = previous;
        }
        Emit(now, "service", "update", service.Id, attributes);
        var rolling = service.Rolling;
        After(TimeSpan.Zero, () => Step(service, rolling));
    }

    private (long Parallelism, TimeSpan Delay, string Order, string FailureAction, double MaxFailureRatio) Config(SimService service, bool rollback)
    {
        var config = service.Spec[rollback ? "RollbackConfig" : "UpdateConfig"] as JsonObject;
        return (
            config?["Parallelism"]?.GetValue<long>() ?? 1,
            TimeSpan.FromTicks((config?["Delay"]?.GetValue<long>() ?? 0) / 100),
            config?["Order"]?.GetValue<string>() ?? "stop-first",
            config?["FailureAction"]?.GetValue<string>() ?? "pause",
            config?["MaxFailureRatio"]?.GetValue<double>() ?? 0);
    }

    /// <summary>Replaces the next batch of out-of-date tasks, then waits for it (<see cref="Check"/>).</summary>
    private void Step(SimService service, RollingUpdate rolling)
    {
        if (service.Rolling != rolling || rolling.Paused || !_services.ContainsKey(service.Id))
        {
            return;
        }
        var now = DateTime.UtcNow;
        var outdated = _tasksByService[service.Id].Where(t => t.Live && t.Generation != service.Generation).OrderBy(t => t.Slot).ToList();
        if (outdated.Count == 0)
        {
            Complete(service, rolling, now);
            return;
        }
        var (parallelism, _, order, _, _) = Config(service, rolling.Rollback);
        foreach (var old in outdated.Take(parallelism == 0 ? outdated.Count : (int)parallelism))
        {
            if (order == "stop-first")
            {
                Stop(old, now, "shutdown");
            }
            var node = service.Global ? _nodes.GetValueOrDefault(old.NodeId) : PickNode();
            var replacement = CreateTask(service, old.Slot, node, now);
            rolling.InFlight.Add((old, replacement));
        }
        After(Poll, () => Check(service, rolling));
    }

    private void Check(SimService service, RollingUpdate rolling)
    {
        if (service.Rolling != rolling || !_services.ContainsKey(service.Id))
        {
            return;
        }
        if (rolling.InFlight.Any(p => !p.New.Running && p.New.State != "failed"))
        {
            After(Poll, () => Check(service, rolling));
            return;
        }
        var now = DateTime.UtcNow;
        var (_, delay, _, failureAction, maxFailureRatio) = Config(service, rolling.Rollback);
        SimTask? failed = null;
        foreach (var (old, replacement) in rolling.InFlight)
        {
            rolling.Replaced++;
            if (replacement.State == "failed")
            {
                rolling.Failed++;
                failed = replacement;
            }
            else
            {
                Stop(old, now, "shutdown"); // start-first: the old task goes once its replacement runs
            }
        }
        rolling.InFlight.Clear();
        if (failed is not null && !rolling.Rollback && rolling.Failed > maxFailureRatio * Math.Max(1, rolling.Replaced) && failureAction != "continue")
        {
            if (failureAction == "rollback" && service.PreviousSpec is { } previous)
            {
                var current = service.Spec;
                service.Spec = previous;
                service.PreviousSpec = current;
                service.SpecChanged();
                service.Generation++;
                BeginRolling(service, now, rollback: true, $"update rolled back due to failure or early termination of task {failed.Id}");
                return;
            }
            rolling.Paused = true;
            var old = service.UpdateStatus!.State;
            service.UpdateStatus.State = "paused";
            service.UpdateStatus.Message = $"update paused due to failure or early termination of task {failed.Id}";
            service.Touch(++_index, now);
            Emit(now, "service", "update", service.Id, new() { ["name"] = service.Name, ["updatestate.new"] = "paused", ["updatestate.old"] = old });
            return;
        }
        After(delay, () => Step(service, rolling));
    }

    private void Complete(SimService service, RollingUpdate rolling, DateTime now)
    {
        service.Rolling = null;
        var old = service.UpdateStatus!.State;
        service.UpdateStatus.State = rolling.Rollback ? "rollback_completed" : "completed";
        service.UpdateStatus.Message = rolling.Rollback ? "rollback completed" : "update completed";
        service.UpdateStatus.CompletedAt = now;
        service.Touch(++_index, now);
        Emit(now, "service", "update", service.Id, new() { ["name"] = service.Name, ["updatestate.new"] = service.UpdateStatus.State, ["updatestate.old"] = old });
    }

    // ---------------------------------------------------------------- nodes

    public void UpdateNode(string idOrName, ulong version, JsonObject spec)
    {
        lock (_gate)
        {
            var node = NodeOrThrow(idOrName);
            if (version != node.Version)
            {
                throw new EngineError(500, "rpc error: code = Unknown desc = update out of sequence");
            }
            var role = spec["Role"]?.GetValue<string>() ?? node.Role;
            var availability = spec["Availability"]?.GetValue<string>() ?? node.Availability;
            if (role is not ("worker" or "manager"))
            {
                throw new EngineError(400, $"invalid role {role}");
            }
            if (availability is not ("active" or "pause" or "drain"))
            {
                throw new EngineError(400, $"invalid availability {availability}");
            }
            if (node.Role == "manager" && role == "worker" && _nodeOrder.Count(n => n.Role == "manager") == 1)
            {
                throw new EngineError(400, "rpc error: code = FailedPrecondition desc = attempting to demote the last manager of the swarm");
            }
            var now = DateTime.UtcNow;
            var attributes = new Dictionary<string, string> { ["name"] = node.Hostname };
            if (availability != node.Availability)
            {
                attributes["availability.old"] = node.Availability;
                attributes["availability.new"] = availability;
            }
            if (role != node.Role)
            {
                attributes["role.old"] = node.Role;
                attributes["role.new"] = role;
            }
            node.Role = role;
            node.Availability = availability;
            node.Labels = spec["Labels"] is JsonObject labels ? JsonNode.Parse(labels.ToJsonString())!.AsObject() : [];
            node.SpecName = spec["Name"]?.GetValue<string>();
            node.Touch(++_index, now);
            Emit(now, "node", "update", node.Id, attributes);
            if (availability == "drain")
            {
                Evacuate(node, now);
            }
        }
    }

    public void RemoveNode(string idOrName, bool force)
    {
        lock (_gate)
        {
            var node = NodeOrThrow(idOrName);
            if (node == Self)
            {
                throw new EngineError(400, "rpc error: code = FailedPrecondition desc = node is the leader; demote and remove it from another manager");
            }
            if (node.State != "down" && !force)
            {
                throw new EngineError(400, $"rpc error: code = FailedPrecondition desc = node {node.Id} is not down and can't be removed");
            }
            _nodes.Remove(node.Id);
            _nodeOrder.Remove(node);
            var now = DateTime.UtcNow;
            ++_index;
            Emit(now, "node", "remove", node.Id, new() { ["name"] = node.Hostname });
            Evacuate(node, now);
        }
    }

    /// <summary>Takes a node down (its engine stops answering) or brings it back, as a real node failure does.</summary>
    public void SetNodeDown(string idOrName, bool down)
    {
        lock (_gate)
        {
            SetNodeDownLocked(NodeOrThrow(idOrName), down, DateTime.UtcNow);
        }
    }

    private void SetNodeDownLocked(SimNode node, bool down, DateTime now)
    {
        var state = down ? "down" : "ready";
        if (node.State == state)
        {
            return;
        }
        var old = node.State;
        node.State = state;
        node.Touch(++_index, now);
        Emit(now, "node", "update", node.Id, new() { ["name"] = node.Hostname, ["state.old"] = old, ["state.new"] = state });
        if (down)
        {
            Evacuate(node, now);
            return;
        }
        // Back: its agent reports the tasks the orchestrator replaced meanwhile as shut down.
        foreach (var task in _tasks.Values.Where(t => t.NodeId == node.Id && !t.Live && t.State == "running"))
        {
            task.SetState("shutdown", "shutdown", ++_index, now);
        }
    }

    /// <summary>Replaces the tasks of a drained, down or removed node on other nodes.</summary>
    private void Evacuate(SimNode node, DateTime now)
    {
        var affected = new HashSet<SimService>();
        foreach (var task in _tasks.Values.Where(t => t.NodeId == node.Id && t.Live).ToList())
        {
            Stop(task, now, "shutdown");
            affected.Add(task.Service);
        }
        foreach (var service in affected)
        {
            Reconcile(service, now);
        }
    }

    // ---------------------------------------------------------------- secrets and configs

    public string CreateFile(bool config, string? name, JsonObject? labels, string? data)
    {
        var kind = config ? "config" : "secret";
        if (string.IsNullOrEmpty(name))
        {
            throw new EngineError(400, $"rpc error: code = InvalidArgument desc = invalid name, only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]");
        }
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(data ?? "");
        }
        catch (FormatException)
        {
            throw new EngineError(400, "illegal base64 data");
        }
        if (bytes.Length == 0 && !config || bytes.Length > 500 * 1024)
        {
            throw new EngineError(400, $"rpc error: code = InvalidArgument desc = {kind} data must be larger than 0 and less than 512000 bytes");
        }
        lock (_gate)
        {
            var files = config ? _configs : _secrets;
            if (files.Values.Any(f => f.Name == name))
            {
                throw new EngineError(409, $"rpc error: code = AlreadyExists desc = {kind} {name} already exists");
            }
            var now = DateTime.UtcNow;
            var file = new SimFile
            {
                Id = Ids.Swarm(),
                IsConfig = config,
                Name = name,
                CreatedAt = now,
                Labels = labels is null ? [] : JsonNode.Parse(labels.ToJsonString())!.AsObject(),
                Data = config ? data : null,
            };
            file.Touch(++_index, now);
            files[file.Id] = file;
            Emit(now, kind, "create", file.Id, new() { ["name"] = name });
            return file.Id;
        }
    }

    public void RemoveFile(bool config, string idOrName)
    {
        var kind = config ? "config" : "secret";
        lock (_gate)
        {
            var files = config ? _configs : _secrets;
            var file = Find(files, idOrName, f => f.Name) ?? throw new EngineError(404, $"{kind} {idOrName} not found");
            var users = _services.Values.Where(s => s.Spec["TaskTemplate"]?["ContainerSpec"]?[config ? "Configs" : "Secrets"] is JsonArray refs
                && refs.Any(r => r?[config ? "ConfigID" : "SecretID"]?.GetValue<string>() == file.Id)).Select(s => s.Name).ToList();
            if (users.Count > 0)
            {
                throw new EngineError(400, $"rpc error: code = InvalidArgument desc = {kind} '{file.Name}' is in use by the following service{(users.Count > 1 ? "s" : "")}: {string.Join(", ", users)}");
            }
            files.Remove(file.Id);
            ++_index;
            Emit(DateTime.UtcNow, kind, "remove", file.Id, new() { ["name"] = file.Name });
        }
    }

    public void UpdateFile(bool config, string idOrName, ulong version, JsonObject spec)
    {
        var kind = config ? "config" : "secret";
        lock (_gate)
        {
            var files = config ? _configs : _secrets;
            var file = Find(files, idOrName, f => f.Name) ?? throw new EngineError(404, $"{kind} {idOrName} not found");
            if (version != file.Version)
            {
                throw new EngineError(500, "rpc error: code = Unknown desc = update out of sequence");
            }
            if (spec["Name"]?.GetValue<string>() is { } name && name != file.Name)
            {
                throw new EngineError(400, "rpc error: code = InvalidArgument desc = only updates to Labels are allowed");
            }
            var now = DateTime.UtcNow;
            file.Labels = spec["Labels"] is JsonObject labels ? JsonNode.Parse(labels.ToJsonString())!.AsObject() : [];
            file.Touch(++_index, now);
            Emit(now, kind, "update", file.Id, new() { ["name"] = file.Name });
        }
    }

    // ---------------------------------------------------------------- events

    private void Emit(DateTime at, string type, string action, string actorId, Dictionary<string, string> attributes, string scope = "swarm", string? from = null)
    {
        // Strictly increasing times, as the engine's own are: a since= cut never splits two events of the same instant.
        var ticks = Math.Max(at.Ticks, _lastEventTicks + 1);
        _lastEventTicks = ticks;
        var e = SimEvent.Create(new DateTime(ticks, DateTimeKind.Utc), type, action, actorId, attributes, scope, from);
        _events.AddLast(e);
        while (_events.Count > _options.EventsKept)
        {
            _events.RemoveFirst();
        }
        foreach (var listener in _listeners)
        {
            listener.Writer.TryWrite(e);
        }
    }

    private void ContainerEvent(SimTask task, string action, DateTime at)
    {
        var attributes = new Dictionary<string, string>
        {
            ["com.docker.swarm.node.id"] = task.NodeId,
            ["com.docker.swarm.service.id"] = task.Service.Id,
            ["com.docker.swarm.service.name"] = task.Service.Name,
            ["com.docker.swarm.task"] = "",
            ["com.docker.swarm.task.id"] = task.Id,
            ["com.docker.swarm.task.name"] = ContainerName(task),
            ["image"] = task.Image,
            ["name"] = ContainerName(task),
        };
        if (action == "die")
        {
            attributes["exitCode"] = task.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        Emit(at, "container", action, task.ContainerId, attributes, "local", task.Image);
    }

    public static string ContainerName(SimTask task) => $"{task.Service.Name}.{(task.Slot > 0 ? task.Slot.ToString(System.Globalization.CultureInfo.InvariantCulture) : task.NodeId)}.{task.Id}";

    /// <summary>The events kept since <paramref name="sinceNanos"/>, and a live feed registered at the same instant (nothing falls between).</summary>
    public (IReadOnlyList<SimEvent> Past, ChannelReader<SimEvent> Live, Action Unsubscribe) SubscribeEvents(long? sinceNanos)
    {
        var channel = Channel.CreateUnbounded<SimEvent>(new UnboundedChannelOptions { SingleReader = true });
        lock (_gate)
        {
            var past = sinceNanos is { } since ? _events.Where(e => e.TimeNano >= since).ToList() : [];
            _listeners.Add(channel);
            return (past, channel.Reader, () =>
            {
                lock (_gate)
                {
                    _listeners.Remove(channel);
                }
            });
        }
    }

    /// <summary>Fault: every open event stream ends, as when the manager's connection drops.</summary>
    public void BreakEventStreams()
    {
        lock (_gate)
        {
            foreach (var listener in _listeners)
            {
                listener.Writer.TryComplete(new IOException("event stream broken by the simulator"));
            }
            _listeners.Clear();
        }
    }

    /// <summary>Fault: the manager restarts; its streams end and it forgets every past event.</summary>
    public void Restart()
    {
        lock (_gate)
        {
            _events.Clear();
        }
        BreakEventStreams();
    }

    public int EventsKept
    {
        get
        {
            lock (_gate)
            {
                return _events.Count;
            }
        }
    }

    // ---------------------------------------------------------------- churn

    /// <summary>One change of a realistic kind: most often a task fails and is replaced, then a service update, then a node flap.</summary>
    private void ChurnOnce(DateTime now)
    {
        if (_serviceList.Count == 0)
        {
            return;
        }
        var roll = _random.NextDouble();
        var service = _serviceList[_random.Next(_serviceList.Count)];
        if (roll < 0.6)
        {
            var tasks = _tasksByService[service.Id];
            var running = tasks.Count == 0 ? null : tasks[_random.Next(tasks.Count)];
            if (running is { Running: true, Live: true })
            {
                running.ExitCode = 137;
                running.Err = "task: non-zero exit (137)";
                running.DesiredState = "shutdown";
                running.SetState("failed", "started", ++_index, now);
                if (running.NodeId == Self.Id)
                {
                    ContainerEvent(running, "die", now);
                }
                Reconcile(service, now);
            }
            return;
        }
        if (roll < 0.9 || _nodeOrder.Count < 2)
        {
            ChurnServiceUpdate(service, now);
            return;
        }
        var node = _nodeOrder[1 + _random.Next(_nodeOrder.Count - 1)];
        if (node.State == "ready")
        {
            SetNodeDownLocked(node, true, now);
            After(TimeSpan.FromSeconds(10), () => SetNodeDownLocked(node, false, DateTime.UtcNow));
        }
    }

    /// <summary>A label change: a new spec version and an event, without moving tasks.</summary>
    private void ChurnServiceUpdate(SimService service, DateTime now)
    {
        var spec = JsonNode.Parse(service.Spec.ToJsonString())!.AsObject();
        spec["Labels"]!.AsObject()["sim.churn"] = _index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        ApplySpec(service, spec, now, null);
    }

    /// <summary>Sets one label of a service's spec (a new version and an event, no task moves), as a label update through the API does.</summary>
    public void SetServiceLabel(string idOrName, string key, string value)
    {
        lock (_gate)
        {
            var service = ServiceOrThrow(idOrName);
            var spec = JsonNode.Parse(service.Spec.ToJsonString())!.AsObject();
            spec["Labels"]!.AsObject()[key] = value;
            ApplySpec(service, spec, DateTime.UtcNow, null);
        }
    }

    /// <summary>Makes <paramref name="count"/> service updates at once (a burst), returning the services changed.</summary>
    public IReadOnlyList<string> Burst(int count)
    {
        lock (_gate)
        {
            var now = DateTime.UtcNow;
            var changed = new List<string>(count);
            for (var i = 0; i < count && _serviceList.Count > 0; i++)
            {
                var service = _serviceList[i % _serviceList.Count];
                ChurnServiceUpdate(service, now);
                changed.Add(service.Id);
            }
            return changed;
        }
    }
}
