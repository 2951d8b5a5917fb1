using ControlPlane.Core.Security;
using ControlPlane.Core.State;

namespace ControlPlane.Core.Changes;

/// <summary>
/// The application commands on nodes that pages and the API offer, run through the <see cref="ChangeGate"/>
/// against the node the store knows. Not to be confused with <see cref="ISwarmChanges"/>, the engine port.
/// </summary>
public sealed class NodeCommands(ClusterStateStore store, ChangeGate gate, ISwarmChanges swarm)
{
    public Task<ChangeResult> SetAvailabilityAsync(ChangeCaller caller, string clusterId, string idOrHostname, string? availability, CancellationToken ct = default)
    {
        var node = store.GetState(clusterId)?.FindNode(idOrHostname);
        var intent = new ChangeIntent(Permissions.Nodes.Update, AccessTarget.InCluster(clusterId), "nodes.availability", node?.Hostname ?? idOrHostname);
        return gate.RunAsync(caller, intent, token =>
            node is null ? throw new ChangeRejectedException(ChangeFailure.NotFound, $"Cluster '{clusterId}' has no node '{idOrHostname}'.")
            : swarm.SetNodeAvailabilityAsync(clusterId, node.Id, availability?.Trim().ToLowerInvariant() ?? "", token), ct);
    }
}
