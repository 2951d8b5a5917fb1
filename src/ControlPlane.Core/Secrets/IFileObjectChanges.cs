using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;

namespace ControlPlane.Core.Secrets;

/// <summary>Secrets and configs are handled alike; this says which of the two an object is.</summary>
public enum FileObjectKind
{
    Secret,
    Config,
}

/// <summary>A secret or config version as the engine answers it: metadata only, never a value.</summary>
public sealed record FileObjectVersion(string Id, string Name, Labels Labels, DateTimeOffset CreatedAt);

/// <summary>A service update ControlPlane made: the spec before and after, and whether anything changed at all.</summary>
public sealed record ServiceUpdate(string ServiceId, string ServiceName, SpecChange Spec, bool Changed, DateTimeOffset StartedAt)
{
    /// <summary>
    /// The service's own update policy when a rotation replaced it to start new tasks first (opaque to all
    /// but the engine side, which takes it back in <see cref="IFileObjectChanges.RestoreUpdatePolicyAsync"/>); null otherwise.
    /// </summary>
    public string? ReplacedUpdatePolicy { get; init; }
}

/// <summary>How waiting for a service to converge ended; <see cref="Failure"/> says why when it did not.</summary>
public sealed record Convergence(bool Converged, string? Failure, int Running, int Desired)
{
    public static Convergence Done(int running, int desired) => new(true, null, running, desired);

    public static Convergence Failed(string why, int running, int desired) => new(false, why, running, desired);
}

/// <summary>Where a service stands while converging: its running tasks on the new spec out of those it wants.</summary>
public sealed record ConvergenceProgress(int Running, int Desired, string? UpdateState);

/// <summary>
/// The engine side of secret and config families (DESIGN §4, secrets and configs): creating and removing
/// versions, relabelling them, moving a service's references, and waiting for a service to converge.
/// Values go to the engine and nowhere else.
/// </summary>
public interface IFileObjectChanges
{
    /// <summary>Creates a version; a name that exists already is a Conflict, one Docker refuses is Invalid.</summary>
    Task<FileObjectVersion> CreateAsync(string clusterId, FileObjectKind kind, string name, IReadOnlyDictionary<string, string> labels, byte[] data, CancellationToken cancellationToken);

    /// <summary>Removes a version. One a service still uses is a Conflict naming the services.</summary>
    Task RemoveAsync(string clusterId, FileObjectKind kind, string id, CancellationToken cancellationToken);

    /// <summary>Replaces a version's labels (the only part of a secret or config Docker lets change).</summary>
    Task<SpecChange> UpdateLabelsAsync(string clusterId, FileObjectKind kind, string id, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken);

    /// <summary>A config's data (configs are not secret; secrets have no such call).</summary>
    Task<byte[]> ReadConfigDataAsync(string clusterId, string id, CancellationToken cancellationToken);

    /// <summary>
    /// Read-modify-write of a service's secret or config references: <paramref name="edit"/> gets the current
    /// references and answers the wanted ones. With <paramref name="rotation"/> the update starts new tasks
    /// before stopping old ones where the service allows it. Retried when the spec moved meanwhile.
    /// </summary>
    Task<ServiceUpdate> UpdateReferencesAsync(string clusterId, string serviceId, FileObjectKind kind, Func<IReadOnlyList<FileReference>, IReadOnlyList<FileReference>> edit, bool rotation, CancellationToken cancellationToken);

    /// <summary>
    /// Gives a service back the update policy a rotation replaced (<see cref="ServiceUpdate.ReplacedUpdatePolicy"/>).
    /// Only the policy changes, so Docker replaces no task.
    /// </summary>
    Task RestoreUpdatePolicyAsync(string clusterId, string serviceId, string policy, CancellationToken cancellationToken);

    /// <summary>
    /// Waits until the service runs its current spec everywhere (every wanted task running and mounting the
    /// spec's secrets and configs), or fails: Docker paused or rolled back the update, a new task failed or was
    /// rejected, or <paramref name="timeout"/> passed.
    /// </summary>
    Task<Convergence> WaitForConvergenceAsync(string clusterId, string serviceId, DateTimeOffset since, TimeSpan timeout, Func<ConvergenceProgress, Task>? progress, CancellationToken cancellationToken);
}
