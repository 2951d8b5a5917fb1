using System.Net;
using System.Text.Json;
using ControlPlane.Core.Changes;
using ControlPlane.Docker.Connection;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ControlPlane.Docker.Changes;

/// <summary>What every change through the Engine API shares: reaching a manager, "not found" as a clear refusal, and the retry on "update out of sequence".</summary>
public static class EngineChanges
{
    /// <summary>How often an update is retried after "update out of sequence" (someone else changed the spec meanwhile).</summary>
    public const int MaxAttempts = 5;

    /// <summary>A connected manager of the cluster, or a refusal saying why there is none.</summary>
    public static async Task<(ClusterConnection Connection, ConnectedEngine Engine)> ConnectForChangeAsync(this ClusterRegistry registry, string clusterId, CancellationToken ct)
    {
        var connection = registry.Find(clusterId) ?? throw new ChangeRejectedException(ChangeFailure.NotFound, $"No cluster has the id '{clusterId}'.");
        try
        {
            return (connection, await connection.ConnectAsync(ct));
        }
        catch (ClusterUnreachableException ex)
        {
            throw new ChangeRejectedException(ChangeFailure.Unreachable, ex.Message);
        }
    }

    public static async Task<T> NotFoundAsRejection<T>(Func<Task<T>> call, string message)
    {
        try
        {
            return await call();
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            throw new ChangeRejectedException(ChangeFailure.NotFound, message);
        }
    }

    /// <summary>The service and its spec, "not found" as a refusal; the read half of every service read-modify-write.</summary>
    public static async Task<(SwarmService Service, ServiceSpec Spec)> InspectServiceAsync(ClusterConnection connection, ConnectedEngine engine, string serviceId, CancellationToken ct)
    {
        var service = await NotFoundAsRejection(() => connection.CallAsync(engine.Client, c => c.Swarm.InspectServiceAsync(EngineReference.Check(serviceId, "service id or name"), ct)), $"Service '{serviceId}' does not exist.");
        return (service, service.Spec ?? throw new ChangeRejectedException(ChangeFailure.Failed, "The engine returned a service without a spec."));
    }

    /// <summary>Writes the spec back at the version it was read at, so a change made meanwhile makes Docker answer "update out of sequence".</summary>
    public static Task UpdateServiceAsync(ClusterConnection connection, ConnectedEngine engine, SwarmService service, ServiceSpec spec, CancellationToken ct, string? rollback = null) =>
        connection.CallAsync(engine.Client, c => c.Swarm.UpdateServiceAsync(service.ID!, new ServiceUpdateParameters
        {
            Service = spec,
            Version = (long)service.Version!.Index!.Value,
            Rollback = rollback,
        }, ct));

    /// <summary>The change from <paramref name="before"/> to the spec as the engine now holds it (with its defaults filled in).</summary>
    public static async Task<SpecChange> SpecChangeAsync(ClusterConnection connection, ConnectedEngine engine, string serviceId, string before, CancellationToken ct)
    {
        var after = await connection.CallAsync(engine.Client, c => c.Swarm.InspectServiceAsync(EngineReference.Check(serviceId, "service id or name"), ct));
        return new SpecChange(before, JsonSerializer.Serialize(after.Spec));
    }

    /// <summary>The tasks of one service. Docker's filter matches ids by prefix too, so only this service's are kept.</summary>
    public static async Task<IReadOnlyList<TaskResponse>> TasksOfAsync(ClusterConnection connection, ConnectedEngine engine, string serviceId, CancellationToken ct)
    {
        var tasks = await connection.CallAsync(engine.Client, c => c.Tasks.ListAsync(new TasksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = new Dictionary<string, bool> { [serviceId] = true } },
        }, ct));
        return tasks.Where(t => t.ServiceID == serviceId).ToList();
    }

    /// <summary>Docker's message without its JSON wrapping.</summary>
    public static string Reason(DockerApiException ex)
    {
        var body = ex.ResponseBody?.Trim() ?? "";
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("message", out var message) ? message.GetString() ?? body : body;
        }
        catch (JsonException)
        {
            return body.Length > 0 ? body : ex.Message;
        }
    }

    /// <summary>
    /// Runs a read-modify-write of a swarm object again when Docker answers "update out of sequence" (its
    /// version moved between our read and our write), up to <see cref="MaxAttempts"/> times.
    /// </summary>
    public static async Task<T> RetryOutOfSequenceAsync<T>(Func<Task<T>> readModifyWrite)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await readModifyWrite();
            }
            catch (DockerApiException ex) when (IsOutOfSequence(ex) && attempt < MaxAttempts)
            {
            }
        }
    }

    public static bool IsOutOfSequence(DockerApiException ex) =>
        ex.ResponseBody?.Contains("update out of sequence", StringComparison.OrdinalIgnoreCase) == true;
}
