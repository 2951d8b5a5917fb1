using System.Text.Json.Serialization;
using ControlPlane.Core.Secrets;

namespace ControlPlane.Core.Model;

/// <summary>A swarm node as ControlPlane shows it.</summary>
public sealed record ClusterNode(
    string Id,
    string Hostname,
    string Role,
    string Availability,
    string State,
    string? ManagerReachability,
    bool IsLeader,
    string EngineVersion,
    string? Address,
    long NanoCpus,
    long MemoryBytes,
    Labels Labels,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt) : IVersionedResource
{
    [JsonIgnore] public ResourceKind Kind => ResourceKind.Node;

    /// <summary>The swarm's version index of the object.</summary>
    [JsonIgnore] public ulong ObjectVersion { get; init; }
}

/// <summary>A swarm service; <see cref="ReplicasRunning"/> is derived from the service's tasks.</summary>
public sealed record ClusterService(
    string Id,
    string Name,
    string Image,
    string Mode,
    long? ReplicasDesired,
    int ReplicasRunning,
    string? Stack,
    string? UpdateState,
    string? UpdateMessage,
    Labels Labels,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt) : IVersionedResource
{
    [JsonIgnore] public ResourceKind Kind => ResourceKind.Service;

    /// <summary>Update and rollback policies, mounts, ports, placement and resources from the spec.</summary>
    public ServiceDetails Details { get; init; } = ServiceDetails.Empty;

    /// <summary>The swarm's version index of the object.</summary>
    [JsonIgnore] public ulong ObjectVersion { get; init; }

    /// <summary>Whether Docker is moving the service between specs right now.</summary>
    [JsonIgnore]
    public bool IsUpdating => UpdateState is "updating" or "rollback_started";

    /// <summary>Replicated services converge when running equals desired; global services when no task is pending (tracked by the caller).</summary>
    [JsonIgnore]
    public bool IsConverged => ReplicasDesired is null || ReplicasRunning == ReplicasDesired;
}

/// <summary>A swarm task: one scheduled replica of a service on a node.</summary>
public sealed record ClusterTask(
    string Id,
    string ServiceId,
    string? ServiceName,
    string? NodeId,
    long? Slot,
    string State,
    string DesiredState,
    string? Message,
    string? Error,
    string? Image,
    string? ContainerId,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt) : IVersionedResource
{
    [JsonIgnore] public ResourceKind Kind => ResourceKind.Task;

    /// <summary>The container's exit code once it exited, which explains many failures.</summary>
    public long? ExitCode { get; init; }

    /// <summary>CPU the task reserves on its node, in billionths of a CPU.</summary>
    public long ReservedNanoCpus { get; init; }

    /// <summary>Memory the task reserves on its node.</summary>
    public long ReservedMemoryBytes { get; init; }

    /// <summary>The swarm's version index of the object.</summary>
    [JsonIgnore] public ulong ObjectVersion { get; init; }

    [JsonIgnore] public bool IsRunning => State == "running";
}

/// <summary>A container on an engine ControlPlane talks to; <see cref="NodeId"/> names that engine's node.</summary>
public sealed record ClusterContainer(
    string Id,
    string Name,
    string Image,
    string State,
    string Status,
    string? NodeId,
    string? ServiceId,
    string? TaskId,
    Labels Labels,
    DateTimeOffset CreatedAt) : IClusterResource
{
    [JsonIgnore] public ResourceKind Kind => ResourceKind.Container;
}

/// <summary>A secret's or config's metadata (which of the two: <see cref="FileKind"/>); a secret's value never leaves Docker.</summary>
public sealed record ClusterFileObject(
    [property: JsonIgnore] FileObjectKind FileKind,
    string Id,
    string Name,
    Labels Labels,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt) : IVersionedResource
{
    [JsonIgnore] public ResourceKind Kind => FileObjectKinds.Of(FileKind).Resource;

    /// <summary>The swarm's version index of the object.</summary>
    [JsonIgnore] public ulong ObjectVersion { get; init; }
}

/// <summary>A network visible to the swarm.</summary>
public sealed record ClusterNetwork(
    string Id,
    string Name,
    string Driver,
    string Scope,
    bool Internal,
    bool Attachable,
    bool Ingress,
    Labels Labels,
    DateTimeOffset CreatedAt) : IClusterResource
{
    [JsonIgnore] public ResourceKind Kind => ResourceKind.Network;
}

/// <summary>An image on an engine ControlPlane talks to.</summary>
public sealed record ClusterImage(
    string Id,
    ValueList<string> Tags,
    ValueList<string> Digests,
    long SizeBytes,
    string? NodeId,
    DateTimeOffset CreatedAt) : IClusterResource
{
    [JsonIgnore] public ResourceKind Kind => ResourceKind.Image;
}

/// <summary>
/// One message of an engine's event stream, kept so operators can read what happened recently.
/// The id orders events by time.
/// </summary>
public sealed record ClusterEvent(
    string Id,
    DateTimeOffset Time,
    string Type,
    string Action,
    string ActorId,
    string? ActorName,
    string? Scope,
    Labels Attributes) : IClusterResource
{
    [JsonIgnore] public ResourceKind Kind => ResourceKind.Event;
}
