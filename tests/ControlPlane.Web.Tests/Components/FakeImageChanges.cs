using ControlPlane.Core.Changes;
using ControlPlane.Core.Images;
using ControlPlane.Core.Model;

namespace ControlPlane.Web.Tests.Components;

/// <summary>
/// Records the image changes a page asks for instead of making them, and answers as a swarm that converges at once:
/// after an image is set, the service reports "completed" with every task on it. Tag "nope" is an image the
/// "registry" lacks. (The Docker side has its own tests against the real swarm.)
/// </summary>
public sealed class FakeImageChanges : IImageChanges
{
    public const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    public List<string> Calls { get; } = [];

    /// <summary>The services the fake swarm knows, by id, with the tasks it reports for them.</summary>
    public Dictionary<string, RolloutStatus> Swarm { get; } = [];

    public Task<ImageCheck> CheckImageAsync(string clusterId, string image, CancellationToken cancellationToken)
    {
        if (ImageReferenceSyntax.Validate(image) is { } malformed)
        {
            throw new ChangeRejectedException(ChangeFailure.Invalid, malformed);
        }
        if (image.EndsWith(":nope", StringComparison.Ordinal))
        {
            throw new ChangeRejectedException(ChangeFailure.Invalid, $"The registry has no {image}.");
        }
        return Task.FromResult(new ImageCheck(image.Trim(), Digest, null));
    }

    public Task<SpecChange> SetImageAsync(string clusterId, string serviceId, string image, UpdatePolicy update, CancellationToken cancellationToken)
    {
        lock (Calls)
        {
            Calls.Add($"image {serviceId} {image} parallelism={update.Parallelism} delay={update.Delay.TotalSeconds} failure={update.FailureAction} monitor={update.Monitor.TotalSeconds} order={update.Order}");
            var current = Swarm[serviceId];
            var service = current.Service with { Image = image, UpdateState = "completed", UpdateMessage = "update completed" };
            Swarm[serviceId] = new RolloutStatus(service, current.Tasks.Select(t => t with { Image = image, State = "running" }).ToList());
        }
        return Task.FromResult(new SpecChange("{}", "{}"));
    }

    public Task<SpecChange> RollbackAsync(string clusterId, string serviceId, CancellationToken cancellationToken)
    {
        lock (Calls)
        {
            Calls.Add($"rollback {serviceId}");
            var current = Swarm[serviceId];
            var previous = current.Service.Details.PreviousImage ?? current.Service.Image;
            var service = current.Service with { Image = previous, UpdateState = "rollback_completed", UpdateMessage = "rollback completed" };
            Swarm[serviceId] = new RolloutStatus(service, current.Tasks.Select(t => t with { Image = previous, State = "running" }).ToList());
        }
        return Task.FromResult(new SpecChange("{}", "{}"));
    }

    public Task<SpecChange> ResumeAsync(string clusterId, string serviceId, CancellationToken cancellationToken)
    {
        lock (Calls)
        {
            Calls.Add($"resume {serviceId}");
        }
        return Task.FromResult(new SpecChange("{}", "{}"));
    }

    public Task<RolloutStatus> ReadRolloutAsync(string clusterId, string serviceId, CancellationToken cancellationToken)
    {
        lock (Calls)
        {
            return Task.FromResult(Swarm[serviceId]);
        }
    }

    public Task<string> StartPullAsync(string clusterId, string image, string nodeId, string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        lock (Calls)
        {
            Calls.Add($"pull {image} on {nodeId}");
        }
        return Task.FromResult($"job-{nodeId}-{image}");
    }

    public Task<PullTaskStatus?> ReadPullAsync(string clusterId, string jobId, CancellationToken cancellationToken) =>
        Task.FromResult<PullTaskStatus?>(jobId.EndsWith(":nope", StringComparison.Ordinal)
            ? new PullTaskStatus("rejected", "No such image: " + jobId, null)
            : new PullTaskStatus("complete", null, 0));

    public Task RemovePullAsync(string clusterId, string jobId, CancellationToken cancellationToken)
    {
        lock (Calls)
        {
            Calls.Add($"remove {jobId}");
        }
        return Task.CompletedTask;
    }
}
