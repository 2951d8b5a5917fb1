using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Workloads;

namespace ControlPlane.Core.Tests.Workloads;

/// <summary>The workload engine port in memory: specs by service id, every call that would change the swarm recorded.</summary>
internal sealed class FakeWorkloadChanges : IWorkloadChanges
{
    public const string WorkerToken = "SWMTKN-1-fake-worker-token";
    public const string ManagerToken = "SWMTKN-1-fake-manager-token";

    public ConcurrentQueue<string> Calls { get; } = new();

    public ConcurrentDictionary<string, JsonObject> Specs { get; } = new();

    /// <summary>The spec that was created last.</summary>
    public JsonObject? Created { get; private set; }

    /// <summary>Run before an update reads the spec: someone else's change landing between our read and our write.</summary>
    public Action<JsonObject>? Meanwhile { get; set; }

    public Task<JsonObject> ReadServiceSpecAsync(string clusterId, string serviceId, CancellationToken cancellationToken) =>
        Specs.TryGetValue(serviceId, out var spec)
            ? Task.FromResult((JsonObject)spec.DeepClone())
            : throw new ChangeRejectedException(ChangeFailure.NotFound, $"Service '{serviceId}' does not exist.");

    public Task<ClusterService> CreateServiceAsync(string clusterId, JsonObject spec, CancellationToken cancellationToken)
    {
        var name = (string)spec["Name"]!;
        Calls.Enqueue($"create {name}");
        Created = spec;
        Specs[$"id-{name}"] = spec;
        return Task.FromResult(new ClusterService($"id-{name}", name, (string)spec["TaskTemplate"]!["ContainerSpec"]!["Image"]!, "replicated", 1, 0, null, null, null, Labels.Empty,
            DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch));
    }

    public async Task<SpecChange> UpdateServiceSpecAsync(string clusterId, string serviceId, Func<JsonObject, JsonObject> edit, CancellationToken cancellationToken)
    {
        var current = await ReadServiceSpecAsync(clusterId, serviceId, cancellationToken);
        if (Meanwhile is { } meanwhile)
        {
            Meanwhile = null;
            meanwhile(current);
            Specs[serviceId] = (JsonObject)current.DeepClone();
        }
        var updated = edit((JsonObject)current.DeepClone());
        Specs[serviceId] = updated;
        Calls.Enqueue($"update {serviceId}");
        return new SpecChange(current.ToJsonString(), updated.ToJsonString());
    }

    public Task<SpecChange> RemoveServiceAsync(string clusterId, string serviceId, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"remove {serviceId}");
        return Task.FromResult(new SpecChange("{}", "{}"));
    }

    public Task<SpecChange> SetNodeRoleAsync(string clusterId, string nodeId, string role, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"role {nodeId} {role}");
        return Task.FromResult(new SpecChange("{\"Role\":\"x\"}", $"{{\"Role\":\"{role}\"}}"));
    }

    public Task<SpecChange> SetNodeLabelsAsync(string clusterId, string nodeId, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"labels {nodeId} {string.Join(",", labels.Select(l => $"{l.Key}={l.Value}"))}");
        return Task.FromResult(new SpecChange("{\"Labels\":{}}", System.Text.Json.JsonSerializer.Serialize(new { Labels = labels })));
    }

    public Task RemoveNodeAsync(string clusterId, string nodeId, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"remove node {nodeId}");
        return Task.CompletedTask;
    }

    public Task<JoinTokens> ReadJoinTokensAsync(string clusterId, CancellationToken cancellationToken) =>
        Task.FromResult(new JoinTokens(WorkerToken, ManagerToken, ["10.0.0.1:2377"]));

    public Task RotateJoinTokenAsync(string clusterId, string role, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"rotate {role}");
        return Task.CompletedTask;
    }
}
