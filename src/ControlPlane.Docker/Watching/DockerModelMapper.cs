using ControlPlane.Core.Model;
using ControlPlane.Core.Secrets;
using Docker.DotNet.Models;

namespace ControlPlane.Docker.Watching;

/// <summary>Turns Docker.DotNet's response types into ControlPlane's records.</summary>
public static class DockerModelMapper
{
    public const string StackLabel = "com.docker.stack.namespace";

    public static ClusterNode ToNode(NodeListResponse node) => new(
        Id: node.ID,
        Hostname: node.Description?.Hostname ?? node.ID,
        Role: Lower(node.Spec?.Role) ?? "worker",
        Availability: Lower(node.Spec?.Availability) ?? "active",
        State: Lower(node.Status?.State) ?? "unknown",
        ManagerReachability: Lower(node.ManagerStatus?.Reachability),
        IsLeader: node.ManagerStatus?.Leader ?? false,
        EngineVersion: node.Description?.Engine?.EngineVersion ?? "",
        Address: node.Status?.Addr,
        NanoCpus: node.Description?.Resources?.NanoCPUs ?? 0,
        MemoryBytes: node.Description?.Resources?.MemoryBytes ?? 0,
        Labels: Labels.From(node.Spec?.Labels),
        CreatedAt: Utc(node.CreatedAt),
        UpdatedAt: Utc(node.UpdatedAt)) { ObjectVersion = node.Version?.Index ?? 0 };

    public static ClusterService ToService(SwarmService service)
    {
        var spec = service.Spec;
        var global = spec?.Mode?.Global is not null || spec?.Mode?.GlobalJob is not null;
        return new ClusterService(
            Id: service.ID,
            Name: spec?.Name ?? service.ID,
            Image: spec?.TaskTemplate?.ContainerSpec?.Image ?? "",
            Mode: global ? "global" : "replicated",
            ReplicasDesired: global ? null : (long?)(spec?.Mode?.Replicated?.Replicas ?? 0),
            ReplicasRunning: 0,
            Stack: spec?.Labels is { } labels && labels.TryGetValue(StackLabel, out var stack) ? stack : null,
            UpdateState: Lower(service.UpdateStatus?.State),
            UpdateMessage: service.UpdateStatus?.Message,
            Labels: Labels.From(spec?.Labels),
            CreatedAt: Utc(service.CreatedAt),
            UpdatedAt: Utc(service.UpdatedAt))
        {
            ObjectVersion = service.Version?.Index ?? 0,
            Details = ToDetails(service),
        };
    }

    private static ServiceDetails ToDetails(SwarmService service)
    {
        var spec = service.Spec;
        var container = spec?.TaskTemplate?.ContainerSpec;
        var resources = spec?.TaskTemplate?.Resources;
        return new ServiceDetails(
            Command: ValueList<string>.From(container?.Command),
            Args: ValueList<string>.From(container?.Args),
            Update: ToPolicy(spec?.UpdateConfig),
            Rollback: ToPolicy(spec?.RollbackConfig),
            Secrets: ValueList<FileReference>.From(container?.Secrets?.Select(ToReference)),
            Configs: ValueList<FileReference>.From(container?.Configs?.Select(ToReference)),
            Ports: ValueList<ServicePort>.From((spec?.EndpointSpec?.Ports ?? service.Endpoint?.Ports)?.Select(p =>
                new ServicePort(p.Protocol ?? "tcp", p.TargetPort ?? 0, p.PublishedPort ?? 0, p.PublishMode ?? "ingress"))),
            Networks: ValueList<string>.From(spec?.TaskTemplate?.Networks?.Select(n => n.Target ?? "")),
            Constraints: ValueList<string>.From(spec?.TaskTemplate?.Placement?.Constraints),
            ReservedNanoCpus: resources?.Reservations?.NanoCPUs ?? 0,
            ReservedMemoryBytes: resources?.Reservations?.MemoryBytes ?? 0,
            LimitNanoCpus: resources?.Limits?.NanoCPUs ?? 0,
            LimitMemoryBytes: resources?.Limits?.MemoryBytes ?? 0,
            PreviousImage: service.PreviousSpec?.TaskTemplate?.ContainerSpec?.Image,
            UpdateStartedAt: service.UpdateStatus?.StartedAt is { } started ? Utc(started) : null,
            UpdateCompletedAt: service.UpdateStatus?.CompletedAt is { } completed ? Utc(completed) : null);
    }

    internal static FileReference ToReference(SecretReference s) =>
        new(s.SecretID ?? "", s.SecretName ?? "", s.File?.Name ?? "", s.File?.UID ?? "0", s.File?.GID ?? "0", s.File?.Mode ?? 0);

    internal static FileReference ToReference(SwarmConfigReference c) =>
        new(c.ConfigID ?? "", c.ConfigName ?? "", c.File?.Name ?? "", c.File?.UID ?? "0", c.File?.GID ?? "0", c.File?.Mode ?? 0);

    private static UpdatePolicy ToPolicy(SwarmUpdateConfig? config) => config is null
        ? UpdatePolicy.Default
        : new UpdatePolicy(
            Parallelism: (long)config.Parallelism,
            Delay: config.Delay ?? TimeSpan.Zero,
            FailureAction: string.IsNullOrEmpty(config.FailureAction) ? "pause" : config.FailureAction,
            Monitor: config.Monitor is { } monitor && monitor > TimeSpan.Zero ? monitor : UpdatePolicy.Default.Monitor,
            MaxFailureRatio: config.MaxFailureRatio,
            Order: string.IsNullOrEmpty(config.Order) ? "stop-first" : config.Order);

    public static ClusterTask ToTask(TaskResponse task, IReadOnlyDictionary<string, string> serviceNames) => new(
        Id: task.ID,
        ServiceId: task.ServiceID ?? "",
        ServiceName: task.ServiceID is not null && serviceNames.TryGetValue(task.ServiceID, out var name) ? name : null,
        NodeId: string.IsNullOrEmpty(task.NodeID) ? null : task.NodeID,
        Slot: task.Slot is { } slot && slot > 0 ? Convert.ToInt64(slot) : null,
        State: Lower(task.Status?.State) ?? "unknown",
        DesiredState: Lower(task.DesiredState) ?? "unknown",
        Message: task.Status?.Message,
        Error: string.IsNullOrEmpty(task.Status?.Err) ? null : task.Status.Err,
        Image: task.Spec?.ContainerSpec?.Image,
        ContainerId: string.IsNullOrEmpty(task.Status?.ContainerStatus?.ContainerID) ? null : task.Status.ContainerStatus.ContainerID,
        CreatedAt: Utc(task.CreatedAt),
        UpdatedAt: Utc(task.UpdatedAt))
    {
        ObjectVersion = task.Version?.Index ?? 0,
        ExitCode = task.Status?.ContainerStatus?.ExitCode is { } code && task.Status.State is not null && code != 0 ? code : null,
        ReservedNanoCpus = task.Spec?.Resources?.Reservations?.NanoCPUs ?? 0,
        ReservedMemoryBytes = task.Spec?.Resources?.Reservations?.MemoryBytes ?? 0,
    };

    public static ClusterContainer ToContainer(ContainerListResponse container, string? nodeId) => new(
        Id: container.ID,
        Name: container.Names?.FirstOrDefault()?.TrimStart('/') ?? container.ID,
        Image: container.Image,
        State: container.State ?? "unknown",
        Status: container.Status ?? "",
        NodeId: nodeId,
        ServiceId: Label(container.Labels, "com.docker.swarm.service.id"),
        TaskId: Label(container.Labels, "com.docker.swarm.task.id"),
        Labels: Labels.From(container.Labels),
        CreatedAt: Utc(container.Created));

    public static ClusterContainer ToContainer(ContainerInspectResponse container, string? nodeId) => new(
        Id: container.ID,
        Name: container.Name?.TrimStart('/') ?? container.ID,
        Image: container.Config?.Image ?? container.Image,
        State: container.State?.Status ?? "unknown",
        Status: DescribeState(container.State),
        NodeId: nodeId,
        ServiceId: Label(container.Config?.Labels, "com.docker.swarm.service.id"),
        TaskId: Label(container.Config?.Labels, "com.docker.swarm.task.id"),
        Labels: Labels.From(container.Config?.Labels),
        CreatedAt: Utc(container.Created));

    public static ClusterFileObject ToSecret(Secret secret) =>
        ToFileObject(FileObjectKind.Secret, secret.ID, secret.Spec?.Name, secret.Spec?.Labels, secret.CreatedAt, secret.UpdatedAt, secret.Version);

    public static ClusterFileObject ToConfig(SwarmConfig config) =>
        ToFileObject(FileObjectKind.Config, config.ID, config.Spec?.Name, config.Spec?.Labels, config.CreatedAt, config.UpdatedAt, config.Version);

    /// <summary>Secrets and configs map alike; Docker.DotNet only gives them types of their own.</summary>
    private static ClusterFileObject ToFileObject(FileObjectKind kind, string id, string? name, IDictionary<string, string>? labels, DateTime? created, DateTime? updated, global::Docker.DotNet.Models.Version? version) => new(
        FileKind: kind,
        Id: id,
        Name: name ?? id,
        Labels: Labels.From(labels),
        CreatedAt: Utc(created),
        UpdatedAt: Utc(updated)) { ObjectVersion = version?.Index ?? 0 };

    public static ClusterNetwork ToNetwork(NetworkResponse network) => new(
        Id: network.ID,
        Name: network.Name,
        Driver: network.Driver ?? "",
        Scope: network.Scope ?? "",
        Internal: network.Internal,
        Attachable: network.Attachable,
        Ingress: network.Ingress,
        Labels: Labels.From(network.Labels),
        CreatedAt: Utc(network.Created));

    public static ClusterImage ToImage(ImagesListResponse image, string? nodeId) => new(
        Id: image.ID,
        Tags: ValueList<string>.From(image.RepoTags?.Where(t => t != "<none>:<none>")),
        Digests: ValueList<string>.From(image.RepoDigests?.Where(d => d != "<none>@<none>")),
        SizeBytes: image.Size,
        NodeId: nodeId,
        CreatedAt: Utc(image.Created));

    /// <summary>An event of the engine's stream; the id sorts by time and stays unique for events in the same nanosecond.</summary>
    public static ClusterEvent ToEvent(Message message)
    {
        var nanos = message.TimeNano ?? (message.Time ?? 0) * 1_000_000_000;
        var actorId = message.Actor?.ID ?? "";
        var attributes = message.Actor?.Attributes;
        return new ClusterEvent(
            Id: $"{nanos:D20}-{message.Type}-{message.Action}-{actorId}",
            Time: DateTimeOffset.UnixEpoch.AddTicks(nanos / 100),
            Type: message.Type ?? "",
            Action: message.Action ?? "",
            ActorId: actorId,
            ActorName: attributes is not null && attributes.TryGetValue("name", out var name) ? name : null,
            Scope: message.Scope,
            Attributes: Labels.From(attributes));
    }

    private static string DescribeState(global::Docker.DotNet.Models.State? state) => state switch
    {
        null => "",
        { Running: true } => "Up",
        { ExitCode: var code } when state.Status == "exited" => $"Exited ({code})",
        _ => state.Status ?? "",
    };

    private static string? Label(IDictionary<string, string>? labels, string key) =>
        labels is not null && labels.TryGetValue(key, out var value) ? value : null;

    private static string? Lower(object? value) => value?.ToString()?.ToLowerInvariant();

    private static DateTimeOffset Utc(DateTime value) =>
        value == default ? default : new DateTimeOffset(DateTime.SpecifyKind(value.ToUniversalTime(), DateTimeKind.Utc));

    private static DateTimeOffset Utc(DateTime? value) => value is { } v ? Utc(v) : default;
}
