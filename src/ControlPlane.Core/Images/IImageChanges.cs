using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;

namespace ControlPlane.Core.Images;

/// <summary>What the registry said about an image before anything was changed.</summary>
/// <param name="Reference">The reference as the user gave it (trimmed).</param>
/// <param name="Digest">The manifest digest the registry answered, or null when it could not be asked.</param>
/// <param name="Warning">Why the registry could not be asked, when it could not (authentication required, say).</param>
public sealed record ImageCheck(string Reference, string? Digest, string? Warning)
{
    /// <summary>
    /// The reference pinned to the digest the registry answered (<c>repo:tag@sha256:…</c>), as <c>docker service update</c>
    /// pins it, so every node runs the same manifest even if the tag moves during the rollout.
    /// </summary>
    public string Pinned => Digest is null || Reference.Contains('@', StringComparison.Ordinal) ? Reference : $"{Reference}@{Digest}";
}

/// <summary>A service and its tasks as the manager sees them right now, read while a rollout runs.</summary>
public sealed record RolloutStatus(ClusterService Service, IReadOnlyList<ClusterTask> Tasks);

/// <summary>The task of a pull job (see <see cref="IImageChanges.StartPullAsync"/>): its state and error, null before the swarm made one.</summary>
public sealed record PullTaskStatus(string State, string? Error, long? ExitCode);

/// <summary>
/// Image changes ControlPlane makes to a swarm (DESIGN §4 "Images"): roll a service to a new image, roll it back,
/// resume a paused update, follow it, and pull an image onto a node through a short-lived swarm job.
/// </summary>
public interface IImageChanges
{
    /// <summary>
    /// Asks the registry, through the manager's engine, for the manifest of <paramref name="image"/>. Refuses
    /// (<see cref="ChangeFailure.Invalid"/>) a malformed reference or an image the registry does not have.
    /// </summary>
    Task<ImageCheck> CheckImageAsync(string clusterId, string image, CancellationToken cancellationToken);

    /// <summary>Sets the service's image and update settings (version-checked, retried when the spec moved meanwhile).</summary>
    Task<SpecChange> SetImageAsync(string clusterId, string serviceId, string image, UpdatePolicy update, CancellationToken cancellationToken);

    /// <summary>Asks Docker to put the service back on its previous spec (<c>rollback=previous</c>).</summary>
    Task<SpecChange> RollbackAsync(string clusterId, string serviceId, CancellationToken cancellationToken);

    /// <summary>
    /// Resumes an update Docker paused: the same spec is submitted again, which clears the paused update status
    /// so the updater carries on with the tasks not yet on the spec.
    /// </summary>
    Task<SpecChange> ResumeAsync(string clusterId, string serviceId, CancellationToken cancellationToken);

    /// <summary>The service and its tasks, read from the manager (not from the watcher's snapshot: a rollout wants it now).</summary>
    Task<RolloutStatus> ReadRolloutAsync(string clusterId, string serviceId, CancellationToken cancellationToken);

    /// <summary>
    /// Makes <paramref name="nodeId"/>'s engine pull <paramref name="image"/>: creates a one-task swarm job pinned to the
    /// node that runs a command that exits at once. Answers the job's service id.
    /// </summary>
    Task<string> StartPullAsync(string clusterId, string image, string nodeId, string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken);

    /// <summary>The pull job's task, or null while the swarm has not scheduled it.</summary>
    Task<PullTaskStatus?> ReadPullAsync(string clusterId, string jobId, CancellationToken cancellationToken);

    /// <summary>Removes a pull job (gone already is fine).</summary>
    Task RemovePullAsync(string clusterId, string jobId, CancellationToken cancellationToken);
}
