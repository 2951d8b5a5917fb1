using ControlPlane.Core.Changes;
using ControlPlane.Core.Images;
using ControlPlane.Core.Model;

namespace ControlPlane.Core.Tests.Images;

/// <summary>
/// The image engine port as a swarm that converges at once: setting an image (or rolling back) leaves the service
/// "completed" with every task running it; pulls complete. Records every call that would change the swarm. An image
/// tagged <c>:missing</c> is one the registry does not have.
/// </summary>
internal sealed class FakeImageEngine : IImageChanges
{
    public const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private readonly Dictionary<string, RolloutStatus> _swarm = [];

    public List<string> Calls { get; } = [];

    /// <summary>Registry questions asked: they change nothing, so they are kept apart from <see cref="Calls"/>.</summary>
    public List<string> Checks { get; } = [];

    /// <summary>Makes the fake swarm know <paramref name="service"/>, with one running task per wanted replica.</summary>
    public void Know(ClusterService service)
    {
        var tasks = Enumerable.Range(1, (int)(service.ReplicasDesired ?? 1))
            .Select(slot => new ClusterTask($"{service.Id}.{slot}", service.Id, null, "n1", slot, "running", "running", null, null, service.Image, null,
                DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch))
            .ToList();
        _swarm[service.Id] = new RolloutStatus(service, tasks);
    }

    public Task<ImageCheck> CheckImageAsync(string clusterId, string image, CancellationToken cancellationToken)
    {
        lock (Calls)
        {
            Checks.Add(image);
        }
        return image.EndsWith(":missing", StringComparison.Ordinal)
            ? throw new ChangeRejectedException(ChangeFailure.Invalid, $"The registry has no {image}.")
            : Task.FromResult(new ImageCheck(image.Trim(), Digest, null));
    }

    public Task<SpecChange> SetImageAsync(string clusterId, string serviceId, string image, UpdatePolicy update, CancellationToken cancellationToken)
    {
        lock (Calls)
        {
            Calls.Add($"image {serviceId} {image} parallelism={update.Parallelism} order={update.Order}");
            Move(serviceId, image, "completed");
        }
        return Task.FromResult(new SpecChange("{}", "{}"));
    }

    public Task<SpecChange> RollbackAsync(string clusterId, string serviceId, CancellationToken cancellationToken)
    {
        lock (Calls)
        {
            Calls.Add($"rollback {serviceId}");
            var current = _swarm[serviceId].Service;
            Move(serviceId, current.Details.PreviousImage ?? current.Image, "rollback_completed");
        }
        return Task.FromResult(new SpecChange("{}", "{}"));
    }

    public Task<SpecChange> ResumeAsync(string clusterId, string serviceId, CancellationToken cancellationToken)
    {
        lock (Calls)
        {
            Calls.Add($"resume {serviceId}");
            Move(serviceId, _swarm[serviceId].Service.Image, "completed");
        }
        return Task.FromResult(new SpecChange("{}", "{}"));
    }

    public Task<RolloutStatus> ReadRolloutAsync(string clusterId, string serviceId, CancellationToken cancellationToken)
    {
        lock (Calls)
        {
            return Task.FromResult(_swarm[serviceId]);
        }
    }

    public Task<string> StartPullAsync(string clusterId, string image, string nodeId, string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        lock (Calls)
        {
            Calls.Add($"pull {image} on {nodeId}");
        }
        return Task.FromResult($"job-{nodeId}");
    }

    /// <summary>What every pull job's task reports; null: the swarm has not scheduled it.</summary>
    public PullTaskStatus? PullTask { get; set; } = new("complete", null, 0);

    public Task<PullTaskStatus?> ReadPullAsync(string clusterId, string jobId, CancellationToken cancellationToken) => Task.FromResult(PullTask);

    public Task RemovePullAsync(string clusterId, string jobId, CancellationToken cancellationToken)
    {
        lock (Calls)
        {
            Calls.Add($"remove {jobId}");
        }
        return Task.CompletedTask;
    }

    private void Move(string serviceId, string image, string updateState)
    {
        var current = _swarm[serviceId];
        var service = current.Service with { Image = image, UpdateState = updateState };
        _swarm[serviceId] = new RolloutStatus(service, current.Tasks.Select(t => t with { Image = image, State = "running" }).ToList());
    }
}
