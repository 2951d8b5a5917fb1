using System.Text.Json.Nodes;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Workloads;

namespace ControlPlane.Web.Tests.Components;

/// <summary>Records the workload changes a page asks for instead of making them (the Docker side is tested against the swarm).</summary>
public sealed class FakeWorkloadChanges : IWorkloadChanges
{
    public List<string> Calls { get; } = [];

    public Task<JsonObject> ReadServiceSpecAsync(string clusterId, string serviceId, CancellationToken cancellationToken) =>
        Task.FromResult(new JsonObject { ["Name"] = serviceId, ["TaskTemplate"] = new JsonObject { ["ContainerSpec"] = new JsonObject() } });

    public Task<ClusterService> CreateServiceAsync(string clusterId, JsonObject spec, CancellationToken cancellationToken)
    {
        var name = (string)spec["Name"]!;
        Calls.Add($"create {name}");
        return Task.FromResult(new ClusterService($"id-{name}", name, "", "replicated", 1, 0, null, null, null, Labels.Empty, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch));
    }

    public async Task<SpecChange> UpdateServiceSpecAsync(string clusterId, string serviceId, Func<JsonObject, JsonObject> edit, CancellationToken cancellationToken)
    {
        var before = await ReadServiceSpecAsync(clusterId, serviceId, cancellationToken);
        var after = edit((JsonObject)before.DeepClone());
        Calls.Add($"update {serviceId}");
        return new SpecChange(before.ToJsonString(), after.ToJsonString());
    }

    public Task<SpecChange> RemoveServiceAsync(string clusterId, string serviceId, CancellationToken cancellationToken) => Record($"remove {serviceId}");

    public Task<SpecChange> SetNodeRoleAsync(string clusterId, string nodeId, string role, CancellationToken cancellationToken) => Record($"role {nodeId} {role}");

    public Task<SpecChange> SetNodeLabelsAsync(string clusterId, string nodeId, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken) =>
        Record($"labels {nodeId} {string.Join(",", labels.Select(l => $"{l.Key}={l.Value}"))}");

    public Task RemoveNodeAsync(string clusterId, string nodeId, CancellationToken cancellationToken) => Record($"remove node {nodeId}");

    public Task<JoinTokens> ReadJoinTokensAsync(string clusterId, CancellationToken cancellationToken) =>
        Task.FromResult(new JoinTokens("SWMTKN-1-worker", "SWMTKN-1-manager", ["10.0.0.1:2377"]));

    public Task RotateJoinTokenAsync(string clusterId, string role, CancellationToken cancellationToken) => Record($"rotate {role}");

    private Task<SpecChange> Record(string call)
    {
        Calls.Add(call);
        return Task.FromResult(new SpecChange("{}", "{}"));
    }
}
