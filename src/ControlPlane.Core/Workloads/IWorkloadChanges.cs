using System.Text.Json.Nodes;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;

namespace ControlPlane.Core.Workloads;

/// <summary>
/// The join tokens of a swarm and where its managers listen, for <c>docker swarm join --token … &lt;address&gt;</c>.
/// Whoever holds a token can add a node: never logged, never audited, never in a message (<see cref="ToString"/> hides them).
/// </summary>
public sealed record JoinTokens(string Worker, string Manager, IReadOnlyList<string> ManagerAddresses)
{
    public override string ToString() => $"JoinTokens {{ Worker = (hidden), Manager = (hidden), ManagerAddresses = {string.Join(", ", ManagerAddresses)} }}";
}

/// <summary>
/// The workload changes ControlPlane makes to a swarm (DESIGN §6 "Workloads"): services created, edited, restarted and
/// removed from the Engine API's own <c>ServiceSpec</c> JSON (so no field is lost on the way), node roles, labels and
/// removal, and the swarm's join tokens. Implemented against the Engine API; rules live in the commands that call it.
/// </summary>
public interface IWorkloadChanges
{
    /// <summary>The service's spec as the engine holds it (<c>Spec</c> of <c>GET /services/{id}</c>); refuses NotFound when it is gone.</summary>
    Task<JsonObject> ReadServiceSpecAsync(string clusterId, string serviceId, CancellationToken cancellationToken);

    /// <summary>Creates a service from its spec; a name in use is a Conflict, a spec Docker refuses is Invalid with Docker's reason.</summary>
    Task<ClusterService> CreateServiceAsync(string clusterId, JsonObject spec, CancellationToken cancellationToken);

    /// <summary>
    /// Read-modify-write of a service's spec at the version read: <paramref name="edit"/> gets the current spec and
    /// answers the new one (or throws to refuse); on "update out of sequence" the spec is read and edited again.
    /// </summary>
    Task<SpecChange> UpdateServiceSpecAsync(string clusterId, string serviceId, Func<JsonObject, JsonObject> edit, CancellationToken cancellationToken);

    /// <summary>Removes a service (whatever its version); answers its last spec and an empty one.</summary>
    Task<SpecChange> RemoveServiceAsync(string clusterId, string serviceId, CancellationToken cancellationToken);

    /// <summary>Sets a node's role (manager or worker), keeping its availability and labels.</summary>
    Task<SpecChange> SetNodeRoleAsync(string clusterId, string nodeId, string role, CancellationToken cancellationToken);

    /// <summary>Replaces a node's labels, keeping its role and availability.</summary>
    Task<SpecChange> SetNodeLabelsAsync(string clusterId, string nodeId, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken);

    /// <summary>Removes a node from the swarm (not forced: Docker refuses a node that is not down).</summary>
    Task RemoveNodeAsync(string clusterId, string nodeId, CancellationToken cancellationToken);

    Task<JoinTokens> ReadJoinTokensAsync(string clusterId, CancellationToken cancellationToken);

    /// <summary>Rotates one role's join token (worker or manager); the old one stops working.</summary>
    Task RotateJoinTokenAsync(string clusterId, string role, CancellationToken cancellationToken);
}
