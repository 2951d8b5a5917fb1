using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ControlPlane.SwarmSimulator;

/// <summary>
/// The simulator's objects. Each keeps its JSON as the engine answers it, made again only after it changed, so a
/// listing of 50,000 tasks copies bytes instead of serializing objects.
/// </summary>
public abstract class SimObject
{
    private byte[]? _json;

    public required string Id { get; init; }

    public ulong Version { get; set; }

    public DateTime CreatedAt { get; init; }

    public DateTime UpdatedAt { get; set; }

    /// <summary>The object's JSON as the engine sends it (built once per change).</summary>
    public byte[] Json => _json ??= Build();

    /// <summary>Marks the object changed at <paramref name="version"/>: its JSON is made again when next asked for.</summary>
    public void Touch(ulong version, DateTime now)
    {
        Version = version;
        UpdatedAt = now;
        _json = null;
    }

    protected void Invalidate() => _json = null;

    private byte[] Build()
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer);
        }
        return buffer.WrittenSpan.ToArray();
    }

    protected abstract void Write(Utf8JsonWriter w);

    protected void WriteHeader(Utf8JsonWriter w)
    {
        w.WriteString("ID", Id);
        w.WriteStartObject("Version");
        w.WriteNumber("Index", Version);
        w.WriteEndObject();
        w.WriteString("CreatedAt", Time.Format(CreatedAt));
        w.WriteString("UpdatedAt", Time.Format(UpdatedAt));
    }
}

public static class Time
{
    /// <summary>Go's RFC 3339 with nanoseconds, trailing zeros trimmed, as dockerd prints times.</summary>
    public static string Format(DateTime value) => value.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    public static long UnixNanos(DateTime value) => (value - DateTime.UnixEpoch).Ticks * 100;
}

public sealed class SimNode : SimObject
{
    public required string Hostname { get; init; }

    public required string Addr { get; init; }

    public string Role { get; set; } = "worker";

    public string Availability { get; set; } = "active";

    /// <summary>ready or down.</summary>
    public string State { get; set; } = "ready";

    public bool Leader { get; set; }

    public JsonObject Labels { get; set; } = [];

    /// <summary>A name given in the spec (rare; dockerd echoes it).</summary>
    public string? SpecName { get; set; }

    public bool Schedulable => State == "ready" && Availability == "active";

    protected override void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        WriteHeader(w);
        w.WriteStartObject("Spec");
        if (SpecName is not null)
        {
            w.WriteString("Name", SpecName);
        }
        w.WritePropertyName("Labels");
        Labels.WriteTo(w);
        w.WriteString("Role", Role);
        w.WriteString("Availability", Availability);
        w.WriteEndObject();
        w.WriteStartObject("Description");
        w.WriteString("Hostname", Hostname);
        w.WriteStartObject("Platform");
        w.WriteString("Architecture", "x86_64");
        w.WriteString("OS", "linux");
        w.WriteEndObject();
        w.WriteStartObject("Resources");
        w.WriteNumber("NanoCPUs", 2_000_000_000L);
        w.WriteNumber("MemoryBytes", 25_276_510_208L);
        w.WriteEndObject();
        w.WriteStartObject("Engine");
        w.WriteString("EngineVersion", SimulatedSwarm.EngineVersion);
        w.WriteStartArray("Plugins");
        foreach (var (type, name) in Plugins)
        {
            w.WriteStartObject();
            w.WriteString("Type", type);
            w.WriteString("Name", name);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WritePropertyName("TLSInfo");
        Templates.TlsInfo.WriteTo(w);
        w.WriteEndObject();
        w.WriteStartObject("Status");
        w.WriteString("State", State);
        w.WriteString("Addr", Addr);
        w.WriteEndObject();
        if (Role == "manager")
        {
            w.WriteStartObject("ManagerStatus");
            if (Leader)
            {
                w.WriteBoolean("Leader", true);
            }
            w.WriteString("Reachability", State == "ready" ? "reachable" : "unreachable");
            w.WriteString("Addr", Addr + ":2377");
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static readonly (string Type, string Name)[] Plugins =
    [
        ("Log", "awslogs"), ("Log", "fluentd"), ("Log", "gcplogs"), ("Log", "gelf"), ("Log", "journald"), ("Log", "json-file"),
        ("Log", "local"), ("Log", "logentries"), ("Log", "splunk"), ("Log", "syslog"), ("Network", "bridge"), ("Network", "host"),
        ("Network", "ipvlan"), ("Network", "macvlan"), ("Network", "null"), ("Network", "overlay"), ("Volume", "local"),
    ];
}

/// <summary>A service's rolling update or rollback in progress.</summary>
public sealed class UpdateStatusInfo
{
    public required string State { get; set; }

    public required DateTime StartedAt { get; init; }

    public DateTime? CompletedAt { get; set; }

    public required string Message { get; set; }
}

public sealed class SimService : SimObject
{
    private byte[]? _taskSpec;

    public required JsonObject Spec { get; set; }

    public JsonObject? PreviousSpec { get; set; }

    public UpdateStatusInfo? UpdateStatus { get; set; }

    /// <summary>Virtual IPs on networks (ingress when ports are published), kept across updates as dockerd does.</summary>
    public List<(string NetworkId, string Addr)> VirtualIPs { get; } = [];

    /// <summary>Bumped whenever the task template changes: tasks of an older generation are out of date.</summary>
    public int Generation { get; set; }

    /// <summary>The rolling update or rollback running now, if any.</summary>
    public RollingUpdate? Rolling { get; set; }

    public string Name => Spec["Name"]?.GetValue<string>() ?? Id;

    public bool Global => Spec["Mode"]?["Global"] is not null;

    public long Replicas => Spec["Mode"]?["Replicated"]?["Replicas"]?.GetValue<long>() ?? 0;

    public string Image => Spec["TaskTemplate"]?["ContainerSpec"]?["Image"]?.GetValue<string>() ?? "";

    public JsonArray? Ports => Spec["EndpointSpec"]?["Ports"] as JsonArray;

    /// <summary>The task spec: the template without Runtime, which dockerd leaves out of tasks.</summary>
    public byte[] TaskSpec => _taskSpec ??= BuildTaskSpec();

    public void SpecChanged()
    {
        _taskSpec = null;
        Invalidate();
    }

    private byte[] BuildTaskSpec()
    {
        var template = (JsonObject)Spec["TaskTemplate"]!.DeepClone();
        template.Remove("Runtime");
        return JsonSerializer.SerializeToUtf8Bytes(template);
    }

    /// <summary>The service JSON, closed or left open so <c>?status=true</c> can add ServiceStatus.</summary>
    protected override void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        WriteHeader(w);
        w.WritePropertyName("Spec");
        Spec.WriteTo(w);
        if (PreviousSpec is not null)
        {
            w.WritePropertyName("PreviousSpec");
            PreviousSpec.WriteTo(w);
        }
        w.WriteStartObject("Endpoint");
        w.WritePropertyName("Spec");
        (Spec["EndpointSpec"] ?? new JsonObject()).WriteTo(w);
        if (Ports is { Count: > 0 } ports)
        {
            w.WritePropertyName("Ports");
            ports.WriteTo(w);
        }
        if (VirtualIPs.Count > 0)
        {
            w.WriteStartArray("VirtualIPs");
            foreach (var (network, addr) in VirtualIPs)
            {
                w.WriteStartObject();
                w.WriteString("NetworkID", network);
                w.WriteString("Addr", addr);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
        if (UpdateStatus is { } status)
        {
            w.WriteStartObject("UpdateStatus");
            w.WriteString("State", status.State);
            w.WriteString("StartedAt", Time.Format(status.StartedAt));
            if (status.CompletedAt is { } completed)
            {
                w.WriteString("CompletedAt", Time.Format(completed));
            }
            w.WriteString("Message", status.Message);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }
}

public sealed class SimTask : SimObject
{
    public required SimService Service { get; init; }

    public required byte[] Spec { get; init; }

    public required int Generation { get; init; }

    public required string Image { get; init; }

    /// <summary>The replica slot; 0 for a global service's task (which is keyed by its node).</summary>
    public int Slot { get; init; }

    public string NodeId { get; set; } = "";

    public string State { get; set; } = "pending";

    public string DesiredState { get; set; } = "running";

    public string Message { get; set; } = "pending task scheduling";

    public string? Err { get; set; }

    public string ContainerId { get; set; } = "";

    public int Pid { get; set; }

    public int ExitCode { get; set; }

    public DateTime StatusAt { get; set; }

    /// <summary>The task's address on the ingress network, when its service publishes ports.</summary>
    public string? IngressAddress { get; set; }

    public bool Live => DesiredState == "running";

    public bool Running => State == "running";

    public bool Ended => State is "shutdown" or "failed" or "rejected" or "complete" or "orphaned" or "remove";

    public void SetState(string state, string message, ulong version, DateTime now)
    {
        State = state;
        Message = message;
        StatusAt = now;
        Touch(version, now);
    }

    protected override void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        WriteHeader(w);
        w.WriteStartObject("Labels");
        w.WriteEndObject();
        w.WritePropertyName("Spec");
        w.WriteRawValue(Spec, skipInputValidation: true);
        w.WriteString("ServiceID", Service.Id);
        if (Slot > 0)
        {
            w.WriteNumber("Slot", Slot);
        }
        if (NodeId.Length > 0)
        {
            w.WriteString("NodeID", NodeId);
        }
        w.WriteStartObject("Status");
        w.WriteString("Timestamp", Time.Format(StatusAt));
        w.WriteString("State", State);
        w.WriteString("Message", Message);
        if (Err is not null)
        {
            w.WriteString("Err", Err);
        }
        w.WriteStartObject("ContainerStatus");
        w.WriteString("ContainerID", ContainerId);
        w.WriteNumber("PID", Pid);
        w.WriteNumber("ExitCode", ExitCode);
        w.WriteEndObject();
        w.WriteStartObject("PortStatus");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteString("DesiredState", DesiredState);
        if (IngressAddress is not null)
        {
            w.WriteStartArray("NetworksAttachments");
            w.WriteStartObject();
            w.WritePropertyName("Network");
            w.WriteRawValue(Templates.IngressAttachment, skipInputValidation: true);
            w.WriteStartArray("Addresses");
            w.WriteStringValue(IngressAddress);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }
}

/// <summary>A secret or a config: the same object, except that a config's data is returned and a secret's never is.</summary>
public sealed class SimFile : SimObject
{
    public required bool IsConfig { get; init; }

    public required string Name { get; init; }

    public JsonObject Labels { get; set; } = [];

    public string? Data { get; init; }

    protected override void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        WriteHeader(w);
        w.WriteStartObject("Spec");
        w.WriteString("Name", Name);
        w.WritePropertyName("Labels");
        Labels.WriteTo(w);
        if (IsConfig)
        {
            w.WriteString("Data", Data ?? "");
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }
}

/// <summary>One event of the stream, kept with its JSON line.</summary>
public sealed record SimEvent(long TimeNano, string Type, string Action, string ActorId, IReadOnlyDictionary<string, string> Attributes, string Scope, byte[] Json)
{
    public static SimEvent Create(DateTime at, string type, string action, string actorId, IReadOnlyDictionary<string, string> attributes, string scope = "swarm", string? from = null)
    {
        var nanos = Time.UnixNanos(at);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (type == "container")
            {
                // Container events still carry the pre-1.22 fields.
                w.WriteString("status", action);
                w.WriteString("id", actorId);
                w.WriteString("from", from ?? "");
            }
            w.WriteString("Type", type);
            w.WriteString("Action", action);
            w.WriteStartObject("Actor");
            w.WriteString("ID", actorId);
            w.WriteStartObject("Attributes");
            foreach (var (key, value) in attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                w.WriteString(key, value);
            }
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteString("scope", scope);
            w.WriteNumber("time", nanos / 1_000_000_000);
            w.WriteNumber("timeNano", nanos);
            w.WriteEndObject();
        }
        buffer.Write("\n"u8);
        return new SimEvent(nanos, type, action, actorId, attributes, scope, buffer.WrittenSpan.ToArray());
    }
}
