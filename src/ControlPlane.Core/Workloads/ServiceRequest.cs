using ControlPlane.Core.Images;

namespace ControlPlane.Core.Workloads;

/// <summary>
/// A service as a caller asks for it (DESIGN §6 "Workloads"), in ControlPlane's own words rather than Docker's spec.
/// For a create, what is left out takes Docker's default; for an edit, what is left out (null) stays as it is and what
/// is given replaces the service's own (a list or map replaces the whole list or map).
/// </summary>
/// <param name="Name">The service's name: letters, digits, '-' and '_', at most 63 characters (a DNS label, as swarmkit wants).</param>
/// <param name="Image">An image reference; pinned to the registry's digest when the registry answers.</param>
/// <param name="Mode">replicated (the default) or global.</param>
/// <param name="Replicas">Tasks of a replicated service (1 when left out on create).</param>
/// <param name="Command">What the container runs instead of the image's CMD (Docker's Args, as <c>docker service create IMAGE CMD…</c> and Compose's <c>command</c>).</param>
/// <param name="Entrypoint">The image's ENTRYPOINT replaced (Docker's Command).</param>
/// <param name="Env">Environment variables by name.</param>
/// <param name="Networks">Networks by name, resolved from ControlPlane's picture; <c>host</c> is the host network (restricted).</param>
/// <param name="Secrets">Secret families by name, resolved to the family's current version.</param>
/// <param name="Configs">Config families by name, resolved to the family's current version.</param>
/// <param name="Constraints">Placement constraints, as <c>node.labels.zone==a</c>.</param>
/// <param name="Labels">The service's labels; <c>com.docker.stack.namespace</c> names its stack.</param>
/// <param name="Update">The update policy; what is left out keeps the service's own (Docker's default on create).</param>
public sealed record ServiceRequest(
    string? Name = null,
    string? Image = null,
    string? Mode = null,
    long? Replicas = null,
    IReadOnlyList<string>? Command = null,
    IReadOnlyList<string>? Entrypoint = null,
    IReadOnlyDictionary<string, string>? Env = null,
    IReadOnlyList<PortRequest>? Ports = null,
    IReadOnlyList<VolumeMountRequest>? Mounts = null,
    IReadOnlyList<string>? Networks = null,
    IReadOnlyList<FileMountRequest>? Secrets = null,
    IReadOnlyList<FileMountRequest>? Configs = null,
    IReadOnlyList<string>? Constraints = null,
    IReadOnlyDictionary<string, string>? Labels = null,
    ResourcesRequest? Resources = null,
    UpdateSettings? Update = null)
{
    /// <summary>The stack a request's labels put the service in (its namespace label), or null.</summary>
    public string? Stack => Labels?.GetValueOrDefault(Security.ClusterVisibility.StackLabel) is { Length: > 0 } stack ? stack.Trim() : null;
}

/// <summary>A published port: the container's port, the port published (null: Docker picks one), tcp|udp|sctp, ingress|host.</summary>
public sealed record PortRequest(long? Target = null, long? Published = null, string? Protocol = null, string? Mode = null);

/// <summary>A mount: volume (a named or anonymous volume), bind (a host path: Admins of the cluster only) or tmpfs.</summary>
public sealed record VolumeMountRequest(string? Type = null, string? Source = null, string? Target = null, bool? ReadOnly = null);

/// <summary>A secret or config family mounted as a file: target (the family's name when left out), owner and mode (octal text).</summary>
public sealed record FileMountRequest(string? Family = null, string? Target = null, string? Uid = null, string? Gid = null, string? Mode = null);

/// <summary>CPU in CPUs (0.5 is half a CPU) and memory in bytes, limited and reserved; 0 or null means none.</summary>
public sealed record ResourcesRequest(double? CpuLimit = null, long? MemoryLimitBytes = null, double? CpuReservation = null, long? MemoryReservationBytes = null);
