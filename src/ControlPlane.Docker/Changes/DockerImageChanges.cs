using System.Net;
using System.Text.Json;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Images;
using ControlPlane.Core.Model;
using ControlPlane.Docker.Connection;
using ControlPlane.Docker.Watching;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ControlPlane.Docker.Changes;

/// <summary>
/// Image changes through the manager's Engine API: version-checked service updates (retried on "update out of
/// sequence"), Docker's own rollback, the registry asked through <c>GET /distribution/{name}/json</c>, and pulls on
/// nodes ControlPlane cannot reach through one-task swarm jobs.
/// </summary>
public sealed class DockerImageChanges(ClusterRegistry registry) : IImageChanges
{
    /// <summary>The label every pull job carries, so a job left behind by a crash can be found and removed.</summary>
    public const string PullJobLabel = "controlplane.distribution";

    public async Task<ImageCheck> CheckImageAsync(string clusterId, string image, CancellationToken cancellationToken)
    {
        if (ImageReferenceSyntax.Validate(image) is { } malformed)
        {
            throw new ChangeRejectedException(ChangeFailure.Invalid, malformed);
        }
        var reference = image.Trim();
        var (connection, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        try
        {
            var answer = await connection.CallAsync(engine.Client, c => c.Distribution.InspectAsync(reference, cancellationToken));
            return new ImageCheck(reference, answer.Descriptor?.Digest, null);
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            throw new ChangeRejectedException(ChangeFailure.Invalid, $"The registry has no {ImageReferenceSyntax.WithoutDigest(reference)}{(ImageReferenceSyntax.DigestOf(reference) is { } d ? $"@{d}" : "")} ({EngineChanges.Reason(ex)}).");
        }
        catch (DockerApiException ex) when (ex.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
            || EngineChanges.Reason(ex).Contains("unauthorized", StringComparison.OrdinalIgnoreCase) || EngineChanges.Reason(ex).Contains("denied", StringComparison.OrdinalIgnoreCase))
        {
            // The registry answered but wants credentials ControlPlane does not hold: the nodes may hold them
            // (docker login on each node), so the change goes ahead and says it could not check.
            return new ImageCheck(reference, null, $"The registry would not tell whether it has {reference} without credentials ({EngineChanges.Reason(ex)}); nodes pull with their own.");
        }
        catch (DockerApiException ex)
        {
            // No answer at all (no route, DNS, TLS): the nodes would not reach it either, so nothing is changed.
            throw new ChangeRejectedException(ChangeFailure.Invalid, $"The registry of {reference} cannot be reached from the manager, so the image cannot be checked and nodes could not pull it: {EngineChanges.Reason(ex)}");
        }
    }

    public async Task<SpecChange> SetImageAsync(string clusterId, string serviceId, string image, UpdatePolicy update, CancellationToken cancellationToken)
    {
        var (connection, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        return await EngineChanges.RetryOutOfSequenceAsync(async () =>
        {
            var (service, spec) = await EngineChanges.InspectServiceAsync(connection, engine, serviceId, cancellationToken);
            var before = JsonSerializer.Serialize(spec);
            spec.TaskTemplate ??= new TaskSpec();
            spec.TaskTemplate.ContainerSpec ??= new ContainerSpec();
            spec.TaskTemplate.ContainerSpec.Image = image;
            spec.UpdateConfig = new SwarmUpdateConfig
            {
                Parallelism = (ulong)update.Parallelism,
                Delay = update.Delay,
                FailureAction = update.FailureAction,
                Monitor = update.Monitor,
                MaxFailureRatio = (float)update.MaxFailureRatio,
                Order = update.Order,
            };
            await EngineChanges.UpdateServiceAsync(connection, engine, service, spec, cancellationToken);
            return await EngineChanges.SpecChangeAsync(connection, engine, service.ID!, before, cancellationToken);
        });
    }

    public async Task<SpecChange> RollbackAsync(string clusterId, string serviceId, CancellationToken cancellationToken)
    {
        var (connection, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        return await EngineChanges.RetryOutOfSequenceAsync(async () =>
        {
            var (service, spec) = await EngineChanges.InspectServiceAsync(connection, engine, serviceId, cancellationToken);
            if (service.PreviousSpec is null)
            {
                throw new ChangeRejectedException(ChangeFailure.Invalid, $"{spec.Name} has no previous spec to roll back to.");
            }
            var before = JsonSerializer.Serialize(spec);
            try
            {
                // Docker takes the spec from its own PreviousSpec when asked for rollback=previous; the body must still be a spec.
                await EngineChanges.UpdateServiceAsync(connection, engine, service, spec, cancellationToken, rollback: "previous");
            }
            catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.BadRequest)
            {
                throw new ChangeRejectedException(ChangeFailure.Invalid, $"Docker refused the rollback: {EngineChanges.Reason(ex)}");
            }
            return await EngineChanges.SpecChangeAsync(connection, engine, service.ID!, before, cancellationToken);
        });
    }

    public async Task<SpecChange> ResumeAsync(string clusterId, string serviceId, CancellationToken cancellationToken)
    {
        var (connection, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        return await EngineChanges.RetryOutOfSequenceAsync(async () =>
        {
            var (service, spec) = await EngineChanges.InspectServiceAsync(connection, engine, serviceId, cancellationToken);
            var state = service.UpdateStatus?.State?.ToLowerInvariant();
            if (state is not ("paused" or "rollback_paused"))
            {
                throw new ChangeRejectedException(ChangeFailure.Invalid, $"{spec.Name} has no paused update to resume (its update state is {state ?? "none"}).");
            }
            var before = JsonSerializer.Serialize(spec);
            // Swarmkit clears a service's update status whenever its spec is written, and the updater then carries on
            // with every task not yet on the spec. Writing the same spec back is therefore "resume". (It also makes the
            // current spec the previous one, so a later rollback returns here, not to the spec before the paused update.)
            await EngineChanges.UpdateServiceAsync(connection, engine, service, spec, cancellationToken);
            return await EngineChanges.SpecChangeAsync(connection, engine, service.ID!, before, cancellationToken);
        });
    }

    public async Task<RolloutStatus> ReadRolloutAsync(string clusterId, string serviceId, CancellationToken cancellationToken)
    {
        var (connection, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        var service = await EngineChanges.NotFoundAsRejection(() => connection.CallAsync(engine.Client, c => c.Swarm.InspectServiceAsync(EngineReference.Check(serviceId, "service id or name"), cancellationToken)),
            $"Service '{serviceId}' no longer exists.");
        var tasks = await EngineChanges.TasksOfAsync(connection, engine, service.ID, cancellationToken);
        var names = new Dictionary<string, string> { [service.ID] = service.Spec?.Name ?? service.ID };
        return new RolloutStatus(DockerModelMapper.ToService(service), tasks.Select(t => DockerModelMapper.ToTask(t, names)).ToList());
    }

    public async Task<string> StartPullAsync(string clusterId, string image, string nodeId, string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        var (connection, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        var created = await connection.CallAsync(engine.Client, c => c.Swarm.CreateServiceAsync(new ServiceCreateParameters
        {
            Service = new ServiceSpec
            {
                Name = name,
                Labels = new Dictionary<string, string>(labels),
                Mode = new ServiceMode { ReplicatedJob = new ReplicatedJob { MaxConcurrent = 1, TotalCompletions = 1 } },
                TaskTemplate = new TaskSpec
                {
                    // Running the image is what makes the node's engine pull it. "true" exits 0 at once; an image
                    // without it still counts as pulled (the container fails to start only after the pull).
                    ContainerSpec = new ContainerSpec { Image = image, Command = ["true"], Labels = new Dictionary<string, string>(labels) },
                    Placement = new Placement { Constraints = [$"node.id=={nodeId}"] },
                    RestartPolicy = new SwarmRestartPolicy { Condition = "none" },
                },
            },
        }, cancellationToken));
        return created.ID ?? throw new ChangeRejectedException(ChangeFailure.Failed, "The engine created the pull job but returned no id.");
    }

    public async Task<PullTaskStatus?> ReadPullAsync(string clusterId, string jobId, CancellationToken cancellationToken)
    {
        var (connection, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        var tasks = await EngineChanges.TasksOfAsync(connection, engine, jobId, cancellationToken);
        var task = tasks.OrderByDescending(t => t.CreatedAt).FirstOrDefault();
        return task is null ? null : new PullTaskStatus(
            task.Status?.State.ToString()?.ToLowerInvariant() ?? "new",
            string.IsNullOrEmpty(task.Status?.Err) ? null : task.Status.Err,
            task.Status?.ContainerStatus?.ExitCode);
    }

    public async Task RemovePullAsync(string clusterId, string jobId, CancellationToken cancellationToken)
    {
        var (connection, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        try
        {
            await connection.CallAsync(engine.Client, c => c.Swarm.RemoveServiceAsync(jobId, cancellationToken));
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }
}
