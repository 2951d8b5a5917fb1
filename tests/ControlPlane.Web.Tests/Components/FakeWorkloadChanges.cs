using System.Text.Json.Nodes;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Workloads;

namespace ControlPlane.Web.Tests.Components;

/// <summary>Records the workload changes a page asks for instead of making them (the Docker side is tested against the swarm); services' specs are kept in memory, as the engine would hold them.</summary>
public sealed class FakeWorkloadChanges : IWorkloadChanges
{
    public const string WorkerToken = "SWMTKN-1-worker-secret";
    public const string ManagerToken = "SWMTKN-1-manager-secret";

    public List<string> Calls { get; } = [];

    /// <summary>Specs by service id; a service not here reads as a minimal replicated spec of its id.</summary>
    public Dictionary<string, JsonObject> Specs { get; } = [];

    public Task<JsonObject> ReadServiceSpecAsync(string clusterId, string serviceId, CancellationToken cancellationToken) =>
        Task.FromResult((JsonObject)SpecOf(serviceId).DeepClone());

    private JsonObject SpecOf(string serviceId) => Specs.TryGetValue(serviceId, out var spec) ? spec : new JsonObject
    {
        ["Name"] = serviceId.StartsWith("id-", StringComparison.Ordinal) ? serviceId[3..] : serviceId,
        ["Labels"] = new JsonObject(),
        ["TaskTemplate"] = new JsonObject { ["ContainerSpec"] = new JsonObject { ["Image"] = "registry/demo/app:1" } },
        ["Mode"] = new JsonObject { ["Replicated"] = new JsonObject { ["Replicas"] = 1 } },
    };

    public Task<ClusterService> CreateServiceAsync(string clusterId, JsonObject spec, CancellationToken cancellationToken)
    {
        var name = (string)spec["Name"]!;
        Calls.Add($"create {name} {spec["TaskTemplate"]!["ContainerSpec"]!["Image"]}");
        Specs[$"id-{name}"] = spec;
        return Task.FromResult(TestResources.Service(name));
    }

    public Task<SpecChange> UpdateServiceSpecAsync(string clusterId, string serviceId, Func<JsonObject, JsonObject> edit, CancellationToken cancellationToken)
    {
        var before = SpecOf(serviceId);
        var after = edit((JsonObject)before.DeepClone());
        Specs[serviceId] = after;
        Calls.Add($"update {serviceId}");
        return Task.FromResult(new SpecChange(before.ToJsonString(), after.ToJsonString()));
    }

    public Task<SpecChange> RemoveServiceAsync(string clusterId, string serviceId, CancellationToken cancellationToken)
    {
        Calls.Add($"remove {serviceId}");
        return Task.FromResult(new SpecChange(SpecOf(serviceId).ToJsonString(), "{}"));
    }

    public Task<SpecChange> SetNodeRoleAsync(string clusterId, string nodeId, string role, CancellationToken cancellationToken)
    {
        Calls.Add($"role {nodeId} {role}");
        return Task.FromResult(new SpecChange("{\"Role\":\"x\"}", $"{{\"Role\":\"{role}\"}}"));
    }

    public Task<SpecChange> SetNodeLabelsAsync(string clusterId, string nodeId, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        Calls.Add($"labels {nodeId} {string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"))}");
        return Task.FromResult(new SpecChange("{}", "{}"));
    }

    public Task RemoveNodeAsync(string clusterId, string nodeId, CancellationToken cancellationToken)
    {
        Calls.Add($"remove node {nodeId}");
        return Task.CompletedTask;
    }

    public Task<JoinTokens> ReadJoinTokensAsync(string clusterId, CancellationToken cancellationToken)
    {
        Calls.Add("read tokens");
        return Task.FromResult(new JoinTokens(WorkerToken, ManagerToken, ["10.0.0.1:2377"]));
    }

    public Task RotateJoinTokenAsync(string clusterId, string role, CancellationToken cancellationToken)
    {
        Calls.Add($"rotate {role}");
        return Task.CompletedTask;
    }
}
