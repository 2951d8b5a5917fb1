using System.Text.Json.Nodes;
using ControlPlane.Core.Secrets;

namespace ControlPlane.Core.Stacks;

/// <summary>A service as the engine holds it: id, name, the version a write must name, and its <c>ServiceSpec</c> JSON as is.</summary>
public sealed record EngineService(string Id, string Name, long Version, JsonObject Spec);

/// <summary>A network, secret or config as the engine holds it: what the stack deploy needs to find and judge it.</summary>
public sealed record EngineObject(string Id, string Name, IReadOnlyDictionary<string, string> Labels)
{
    /// <summary>A network's scope ("swarm", "local"); null for secrets and configs.</summary>
    public string? Scope { get; init; }
}

/// <summary>What carries a stack's name in its namespace label on the engine.</summary>
public sealed record EngineStack(
    IReadOnlyList<EngineService> Services,
    IReadOnlyList<EngineObject> Networks,
    IReadOnlyList<EngineObject> Secrets,
    IReadOnlyList<EngineObject> Configs)
{
    public bool IsEmpty => Services.Count == 0 && Networks.Count == 0 && Secrets.Count == 0 && Configs.Count == 0;
}

/// <summary>An image pinned to its registry digest, and the platforms the registry lists for it (for placement, as the docker CLI sets them).</summary>
public sealed record PinnedImage(string Image, JsonArray? Platforms);

/// <summary>
/// The engine calls a stack deploy and remove make (implemented against the Engine API with raw JSON, so that no
/// field of a plan's spec is lost on the way). Failures the caller can act on are <see cref="Changes.ChangeRejectedException"/>s;
/// an update whose version moved is one with <see cref="Changes.ChangeFailure.Conflict"/>.
/// </summary>
public interface IStackChanges
{
    /// <summary>The services, networks, secrets and configs labelled <c>com.docker.stack.namespace=&lt;stack&gt;</c>.</summary>
    Task<EngineStack> ReadStackAsync(string clusterId, string stack, CancellationToken cancellationToken);

    /// <summary>Every secret, config or network of the cluster, to find external references by name (and families by label).</summary>
    Task<IReadOnlyList<EngineObject>> ListAsync(string clusterId, ReferenceKind kind, CancellationToken cancellationToken);

    /// <summary>
    /// The image's digest from its registry, through the engine's <c>GET /distribution/{name}/json</c> as the docker
    /// CLI asks for it; null when the registry cannot be reached (the CLI then deploys the tag and warns).
    /// </summary>
    Task<PinnedImage?> ResolveImageAsync(string clusterId, string image, CancellationToken cancellationToken);

    Task<EngineService?> InspectServiceAsync(string clusterId, string serviceId, CancellationToken cancellationToken);

    /// <summary>Creates a service from its spec; answers its id.</summary>
    Task<string> CreateServiceAsync(string clusterId, JsonObject spec, CancellationToken cancellationToken);

    /// <summary>Replaces a service's spec at <paramref name="version"/>; a version that moved is a conflict.</summary>
    Task UpdateServiceAsync(string clusterId, string serviceId, long version, JsonObject spec, CancellationToken cancellationToken);

    /// <summary>Removes a service; one already gone is not an error.</summary>
    Task RemoveServiceAsync(string clusterId, string serviceId, CancellationToken cancellationToken);

    /// <summary>Creates a network from the body of <c>POST /networks/create</c>; answers its id.</summary>
    Task<string> CreateNetworkAsync(string clusterId, JsonObject create, CancellationToken cancellationToken);

    /// <summary>Removes a network; one already gone is not an error, one still in use is a conflict.</summary>
    Task RemoveNetworkAsync(string clusterId, string networkId, CancellationToken cancellationToken);

    /// <summary>Removes a secret or config; one already gone is not an error, one still in use is a conflict.</summary>
    Task RemoveFileObjectAsync(string clusterId, FileObjectKind kind, string id, CancellationToken cancellationToken);
}
