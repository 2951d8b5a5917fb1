using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Secrets;
using ControlPlane.Docker.Connection;
using ControlPlane.Docker.Watching;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ControlPlane.Docker.Changes;

/// <summary>
/// Secret and config versions and the services that mount them, through the Engine API. Values are handed to
/// the engine and never kept, logged or put into a message: Docker's own refusals name fields, not values.
/// </summary>
public sealed class DockerFileObjectChanges(ClusterRegistry registry, TimeProvider time) : IFileObjectChanges
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private static readonly JsonSerializerOptions OmitNulls = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    public async Task<FileObjectVersion> CreateAsync(string clusterId, FileObjectKind kind, string name, IReadOnlyDictionary<string, string> labels, byte[] data, CancellationToken cancellationToken)
    {
        var (connection, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        try
        {
            var id = await connection.CallAsync(engine.Client, c => EngineFileKind.Of(kind).CreateAsync(c, name, new Dictionary<string, string>(labels), data, cancellationToken));
            return new FileObjectVersion(id, name, Labels.From(labels), time.GetUtcNow());
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.Conflict)
        {
            throw new ChangeRejectedException(ChangeFailure.Conflict, $"A {Noun(kind)} named '{name}' already exists.");
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.BadRequest)
        {
            throw new ChangeRejectedException(ChangeFailure.Invalid, $"Docker refused the {Noun(kind)}: {EngineChanges.Reason(ex)}");
        }
    }

    public async Task RemoveAsync(string clusterId, FileObjectKind kind, string id, CancellationToken cancellationToken)
    {
        var (connection, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        // Asked first so the refusal names the services; Docker refuses too, should one attach it meanwhile.
        var users = await UsersAsync(connection, engine, kind, id, cancellationToken);
        if (users.Count > 0)
        {
            throw InUse(kind, id, users);
        }
        try
        {
            await connection.CallAsync(engine.Client, c => EngineFileKind.Of(kind).RemoveAsync(c, id, cancellationToken));
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            throw new ChangeRejectedException(ChangeFailure.NotFound, $"The {Noun(kind)} '{id}' does not exist.");
        }
        catch (DockerApiException ex) when (ex.ResponseBody?.Contains("in use", StringComparison.OrdinalIgnoreCase) == true)
        {
            throw InUse(kind, id, await UsersAsync(connection, engine, kind, id, cancellationToken));
        }
    }

    public async Task<SpecChange> UpdateLabelsAsync(string clusterId, FileObjectKind kind, string id, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        var (connection, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        return await EngineChanges.RetryOutOfSequenceAsync(async () =>
        {
            var found = await EngineChanges.NotFoundAsRejection(() => connection.CallAsync(engine.Client, c => EngineFileKind.Of(kind).InspectAsync(c, id, cancellationToken)), $"The {Noun(kind)} '{id}' does not exist.");
            var (name, version, before) = (found.Name, found.Version, found.Labels);
            var spec = found.Relabelled(labels);
            using var http = EngineHttp.Create(engine.Endpoint);
            var path = $"v{engine.ApiVersion}/{kind.Facts().Plural}/{id}/update?version={version}";
            using var response = await http.PostAsJsonAsync(path, spec, OmitNulls, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                throw new DockerApiException(response.StatusCode, body);
            }
            return new SpecChange(JsonSerializer.Serialize(new { Name = name, Labels = before }), JsonSerializer.Serialize(new { Name = name, Labels = labels }));
        });
    }

    public async Task<byte[]> ReadConfigDataAsync(string clusterId, string id, CancellationToken cancellationToken)
    {
        var (connection, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        var config = await EngineChanges.NotFoundAsRejection(() => connection.CallAsync(engine.Client, c => c.Configs.InspectConfigAsync(EngineReference.Check(id, "id or name"), cancellationToken)), $"The config '{id}' does not exist.");
        return config.Spec?.Data ?? [];
    }

    public async Task<ServiceUpdate> UpdateReferencesAsync(string clusterId, string serviceId, FileObjectKind kind, Func<IReadOnlyList<FileReference>, IReadOnlyList<FileReference>> edit, bool rotation, CancellationToken cancellationToken)
    {
        var (connection, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        return await EngineChanges.RetryOutOfSequenceAsync(async () =>
        {
            var (service, spec) = await EngineChanges.InspectServiceAsync(connection, engine, serviceId, cancellationToken);
            var container = spec.TaskTemplate?.ContainerSpec ?? throw new ChangeRejectedException(ChangeFailure.Invalid, $"{spec.Name} runs no container, so it mounts no files.");
            var current = References(container, kind);
            var wanted = edit(current);
            var before = JsonSerializer.Serialize(spec);
            if (current.SequenceEqual(wanted))
            {
                return new ServiceUpdate(service.ID!, spec.Name!, new SpecChange(before, before), false, time.GetUtcNow());
            }
            EngineFileKind.Of(kind).SetReferences(container, wanted);
            // Start-first for this update only: the rotation gives the service its own policy back once it is done.
            string? replacedPolicy = null;
            if (rotation && AllowsStartFirst(spec) && spec.UpdateConfig?.Order != "start-first")
            {
                replacedPolicy = JsonSerializer.Serialize(spec.UpdateConfig);
                // Docker.DotNet's parallelism defaults to 0, which Docker reads as "all tasks at once".
                spec.UpdateConfig ??= new SwarmUpdateConfig { Parallelism = 1, FailureAction = "pause" };
                spec.UpdateConfig.Order = "start-first";
            }
            var started = time.GetUtcNow();
            await EngineChanges.UpdateServiceAsync(connection, engine, service, spec, cancellationToken);
            return new ServiceUpdate(service.ID!, spec.Name!, await EngineChanges.SpecChangeAsync(connection, engine, service.ID!, before, cancellationToken), true, started)
            {
                ReplacedUpdatePolicy = replacedPolicy,
            };
        });
    }

    public async Task RestoreUpdatePolicyAsync(string clusterId, string serviceId, string policy, CancellationToken cancellationToken)
    {
        var (connection, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        await EngineChanges.RetryOutOfSequenceAsync(async () =>
        {
            var (service, spec) = await EngineChanges.InspectServiceAsync(connection, engine, serviceId, cancellationToken);
            spec.UpdateConfig = JsonSerializer.Deserialize<SwarmUpdateConfig?>(policy);
            await EngineChanges.UpdateServiceAsync(connection, engine, service, spec, cancellationToken);
            return true;
        });
    }

    /// <summary>
    /// Whether a new task can start beside the old one it replaces. Not when the service publishes ports in
    /// host mode (the new task could not bind the port the old one holds on that node), not when placement caps
    /// replicas per node (the extra task has nowhere to go and the update would stall), and not for global
    /// services (one task per node by definition: a second one on the node is what start-first needs). Those
    /// keep their own order, and with parallelism 1 at most one replica is down at a time.
    /// </summary>
    public static bool AllowsStartFirst(ServiceSpec spec) =>
        spec.Mode?.Global is null && spec.Mode?.GlobalJob is null
        && spec.TaskTemplate?.Placement?.MaxReplicas is null or 0
        && !(spec.EndpointSpec?.Ports ?? []).Any(p => string.Equals(p.PublishMode, "host", StringComparison.OrdinalIgnoreCase));

    public async Task<Convergence> WaitForConvergenceAsync(string clusterId, string serviceId, DateTimeOffset since, TimeSpan timeout, Func<ConvergenceProgress, Task>? progress, CancellationToken cancellationToken)
    {
        var (connection, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        var deadline = time.GetUtcNow() + timeout;
        // The engine and we may disagree on the clock by a little; a failure from before our update is not ours.
        var from = since - TimeSpan.FromSeconds(2);
        ConvergenceProgress? last = null;
        while (true)
        {
            var service = await EngineChanges.NotFoundAsRejection(() => connection.CallAsync(engine.Client, c => c.Swarm.InspectServiceAsync(EngineReference.Check(serviceId, "service id or name"), cancellationToken)), $"Service '{serviceId}' does not exist.");
            var tasks = await EngineChanges.TasksOfAsync(connection, engine, service.ID!, cancellationToken);
            var verdict = Judge(service, tasks, from);
            if (last is null || last != verdict.Progress)
            {
                last = verdict.Progress;
                if (progress is not null)
                {
                    await progress(verdict.Progress);
                }
            }
            if (verdict.Result is { } result)
            {
                return result;
            }
            if (time.GetUtcNow() > deadline)
            {
                return Convergence.Failed($"{service.Spec!.Name} did not converge within {timeout.TotalSeconds:0} s ({verdict.Progress.Running} of {verdict.Progress.Desired} tasks running the new spec).",
                    verdict.Progress.Running, verdict.Progress.Desired);
            }
            await Task.Delay(PollInterval, time, cancellationToken);
        }
    }

    private sealed record Verdict(ConvergenceProgress Progress, Convergence? Result);

    private static Verdict Judge(SwarmService service, IReadOnlyList<TaskResponse> tasks, DateTimeOffset from)
    {
        var spec = service.Spec!;
        var container = spec.TaskTemplate?.ContainerSpec;
        var wanted = Mounts(container);
        var updateState = service.UpdateStatus?.State?.ToLowerInvariant();
        var ours = service.UpdateStatus?.StartedAt is not { } started || Utc(started) >= from;
        var desiredRunning = tasks.Where(t => Is(t.DesiredState, "running")).ToList();
        var current = tasks.Where(t => Mounts(t.Spec?.ContainerSpec) == wanted).ToList();
        var desired = spec.Mode?.Replicated is { } replicated
            ? (int)(replicated.Replicas ?? 0)
            : desiredRunning.Select(t => t.NodeID).Distinct().Count();
        var running = current.Count(t => Is(t.Status?.State, "running") && Is(t.DesiredState, "running"));
        var progress = new ConvergenceProgress(running, desired, updateState);

        var failedTask = current.FirstOrDefault(t => (Is(t.Status?.State, "failed") || Is(t.Status?.State, "rejected")) && Utc(t.CreatedAt) >= from);
        if (failedTask is not null)
        {
            var why = string.IsNullOrEmpty(failedTask.Status?.Err) ? failedTask.Status?.Message : failedTask.Status.Err;
            return new Verdict(progress, Convergence.Failed($"a new task of {spec.Name} {Lower(failedTask.Status?.State)}: {why}", running, desired));
        }
        if (ours && updateState is "paused" or "rollback_started" or "rollback_paused" or "rollback_completed")
        {
            var what = updateState == "paused" ? "paused the update" : "rolled the update back";
            return new Verdict(progress, Convergence.Failed($"Docker {what} of {spec.Name}: {service.UpdateStatus?.Message}", running, desired));
        }
        var stale = desiredRunning.Any(t => Mounts(t.Spec?.ContainerSpec) != wanted);
        var settled = updateState is null or "completed" || !ours;
        return new Verdict(progress, !stale && running >= desired && settled ? Convergence.Done(running, desired) : null);
    }

    /// <summary>The secrets and configs a container spec mounts, as one comparable string of ids and targets.</summary>
    private static string Mounts(ContainerSpec? container) => container is null ? "" : string.Join('|',
        FileObjectKinds.All.SelectMany(k => References(container, k.Kind).Select(r => $"{k.Noun}:{r.Id}:{r.Target}").Order(StringComparer.Ordinal)));

    private static List<FileReference> References(ContainerSpec container, FileObjectKind kind) => EngineFileKind.Of(kind).ReferencesOf(container);

    private static async Task<IReadOnlyList<string>> UsersAsync(ClusterConnection connection, ConnectedEngine engine, FileObjectKind kind, string id, CancellationToken ct)
    {
        var services = await connection.CallAsync(engine.Client, c => c.Swarm.ListServicesAsync(cancellationToken: ct));
        return services.Where(s => s.Spec?.TaskTemplate?.ContainerSpec is { } container && References(container, kind).Any(r => r.Id == id))
            .Select(s => s.Spec!.Name!).Order(StringComparer.Ordinal).ToList();
    }

    private static ChangeRejectedException InUse(FileObjectKind kind, string id, IReadOnlyList<string> users) =>
        new(ChangeFailure.Conflict, $"The {Noun(kind)} '{id}' is in use by {(users.Count == 0 ? "a service" : string.Join(", ", users))}; detach it first.");

    private static string Noun(FileObjectKind kind) => kind.Facts().Noun;

    private static bool Is(object? state, string name) => string.Equals(state?.ToString(), name, StringComparison.OrdinalIgnoreCase);

    private static string? Lower(object? value) => value?.ToString()?.ToLowerInvariant();

    private static DateTimeOffset Utc(DateTime? value) =>
        value is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v.ToUniversalTime(), DateTimeKind.Utc)) : DateTimeOffset.MinValue;
}
