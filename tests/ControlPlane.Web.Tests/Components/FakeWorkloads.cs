using System.Text.Json.Nodes;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Secrets;
using ControlPlane.Core.Stacks;
using ControlPlane.Core.Workloads;

namespace ControlPlane.Web.Tests.Components;

/// <summary>Records the workload changes pages cause; services' specs are kept in memory, as the engine would hold them.</summary>
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

/// <summary>A stack engine in memory: stacks by name, every image pinned, every write recorded.</summary>
public sealed class FakeStackChanges : IStackChanges
{
    public const string Digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    public List<string> Calls { get; } = [];

    public Dictionary<string, EngineStack> Stacks { get; } = [];

    public Task<EngineStack> ReadStackAsync(string clusterId, string stack, CancellationToken cancellationToken) =>
        Task.FromResult(Stacks.GetValueOrDefault(stack) ?? new EngineStack([], [], [], []));

    public Task<IReadOnlyList<EngineObject>> ListAsync(string clusterId, ReferenceKind kind, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<EngineObject>>([]);

    public Task<PinnedImage?> ResolveImageAsync(string clusterId, string image, CancellationToken cancellationToken) =>
        Task.FromResult<PinnedImage?>(new PinnedImage($"{image}@{Digest}", null));

    public Task<EngineService?> InspectServiceAsync(string clusterId, string serviceId, CancellationToken cancellationToken) =>
        Task.FromResult(Stacks.Values.SelectMany(s => s.Services).FirstOrDefault(s => s.Id == serviceId));

    public Task<string> CreateServiceAsync(string clusterId, JsonObject spec, CancellationToken cancellationToken)
    {
        Calls.Add($"create service {spec["Name"]}");
        return Task.FromResult($"id-{spec["Name"]}");
    }

    public Task UpdateServiceAsync(string clusterId, string serviceId, long version, JsonObject spec, CancellationToken cancellationToken)
    {
        Calls.Add($"update service {spec["Name"]}");
        return Task.CompletedTask;
    }

    public Task RemoveServiceAsync(string clusterId, string serviceId, CancellationToken cancellationToken)
    {
        Calls.Add($"remove service {serviceId}");
        return Task.CompletedTask;
    }

    public Task<string> CreateNetworkAsync(string clusterId, JsonObject create, CancellationToken cancellationToken)
    {
        Calls.Add($"create network {create["Name"]}");
        return Task.FromResult($"net-{create["Name"]}");
    }

    public Task RemoveNetworkAsync(string clusterId, string networkId, CancellationToken cancellationToken)
    {
        Calls.Add($"remove network {networkId}");
        return Task.CompletedTask;
    }

    public Task RemoveFileObjectAsync(string clusterId, FileObjectKind kind, string id, CancellationToken cancellationToken)
    {
        Calls.Add($"remove {kind} {id}");
        return Task.CompletedTask;
    }
}
