using System.Text.Json.Nodes;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Secrets;
using ControlPlane.Core.Stacks;

namespace ControlPlane.Web.Tests.Components;

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
