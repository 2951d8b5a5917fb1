using ControlPlane.Core.Model;

namespace ControlPlane.Web.Tests.Components;

/// <summary>Cluster objects as the watcher would publish them, with only what a test cares about to set.</summary>
internal static class TestResources
{
    private static readonly DateTimeOffset Created = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static ClusterNode Node(string hostname, string role = "worker", string state = "ready", string availability = "active",
        bool leader = false, Labels? labels = null) => new(
        Id: $"id-{hostname}",
        Hostname: hostname,
        Role: role,
        Availability: availability,
        State: state,
        ManagerReachability: role == "manager" ? "reachable" : null,
        IsLeader: leader,
        EngineVersion: "27.3.1",
        Address: "10.0.0.1",
        NanoCpus: 2_000_000_000,
        MemoryBytes: 4L << 30,
        Labels: labels ?? Labels.Empty,
        CreatedAt: Created,
        UpdatedAt: Created);

    public static ClusterNode[] ThreeNodeSwarm() =>
    [
        Node("node1", role: "manager", leader: true),
        Node("node2"),
        Node("node3"),
    ];

    public static ClusterService Service(string name, long? replicas = 1, string image = "registry/demo/app:1", string? stack = null,
        string? updateState = null) => new(
        Id: $"id-{name}",
        Name: name,
        Image: image,
        Mode: replicas is null ? "global" : "replicated",
        ReplicasDesired: replicas,
        ReplicasRunning: 0,
        Stack: stack,
        UpdateState: updateState,
        UpdateMessage: null,
        Labels: Labels.Empty,
        CreatedAt: Created,
        UpdatedAt: Created);

    public static ClusterTask TaskOf(ClusterService service, long slot, string state = "running") => new(
        Id: $"task-{service.Name}-{slot}",
        ServiceId: service.Id,
        ServiceName: service.Name,
        NodeId: "id-node1",
        Slot: slot,
        State: state,
        DesiredState: "running",
        Message: null,
        Error: null,
        Image: service.Image,
        ContainerId: $"container-{service.Name}-{slot}",
        CreatedAt: Created,
        UpdatedAt: Created);

    public static ClusterContainer Container(string name, string state = "running", string image = "registry/demo/app:1", string? nodeId = "id-node1",
        ClusterService? service = null) => new(
        Id: $"container-{name}",
        Name: name,
        Image: image,
        State: state,
        Status: state == "running" ? "Up 5 minutes" : "Exited (1) 2 minutes ago",
        NodeId: nodeId,
        ServiceId: service?.Id,
        TaskId: service is null ? null : $"task-{name}",
        Labels: Labels.Empty,
        CreatedAt: Created);

    public static ClusterImage Image(string id, string[]? tags = null, string[]? digests = null, string? nodeId = "id-node1", long size = 50L << 20) => new(
        Id: id,
        Tags: ValueList<string>.From(tags ?? []),
        Digests: ValueList<string>.From(digests ?? []),
        SizeBytes: size,
        NodeId: nodeId,
        CreatedAt: Created);

    public static ClusterNetwork Network(string name, string driver = "overlay", bool @internal = false, bool attachable = false, bool ingress = false) => new(
        Id: $"net-{name}",
        Name: name,
        Driver: driver,
        Scope: driver == "overlay" ? "swarm" : "local",
        Internal: @internal,
        Attachable: attachable,
        Ingress: ingress,
        Labels: Labels.Empty,
        CreatedAt: Created);

    public static ClusterFileObject Secret(string name, Labels? labels = null) => new(
        FileKind: Core.Secrets.FileObjectKind.Secret,
        Id: $"secret-{name}",
        Name: name,
        Labels: labels ?? Labels.Empty,
        CreatedAt: Created,
        UpdatedAt: Created);

    public static ClusterFileObject Config(string name, Labels? labels = null) => new(
        FileKind: Core.Secrets.FileObjectKind.Config,
        Id: $"config-{name}",
        Name: name,
        Labels: labels ?? Labels.Empty,
        CreatedAt: Created,
        UpdatedAt: Created);

    /// <summary>A service with the given secrets, configs and networks in its spec.</summary>
    public static ClusterService Using(this ClusterService service, FileReference[]? secrets = null, FileReference[]? configs = null, string[]? networks = null) =>
        service with
        {
            Details = service.Details with
            {
                Secrets = secrets is null ? service.Details.Secrets : ValueList<FileReference>.From(secrets),
                Configs = configs is null ? service.Details.Configs : ValueList<FileReference>.From(configs),
                Networks = networks is null ? service.Details.Networks : ValueList<string>.From(networks),
            },
        };
}
