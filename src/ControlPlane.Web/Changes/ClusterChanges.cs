using System.Security.Claims;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Web.Authentication;
using ControlPlane.Web.Authorization;

namespace ControlPlane.Web.Changes;

/// <summary>
/// The changes pages and the API offer, each resolved against the store (to find its target and stack)
/// and run through the <see cref="ChangeGate"/>, so both entry points check, audit and lock alike.
/// </summary>
public sealed class ClusterChanges(ClusterStateStore store, AccessControl access, ChangeGate executor, ISwarmChanges swarm)
{
    public async Task<ChangeResult> ScaleAsync(ClaimsPrincipal user, string? clientAddress, string clusterId, string idOrName, long? replicas, CancellationToken ct = default)
    {
        var service = store.GetState(clusterId)?.FindService(idOrName);
        var intent = new ChangeIntent(Permissions.Services.Update, AccessTarget.InCluster(clusterId, service?.Stack), "services.scale", service?.Name ?? idOrName);
        return await executor.RunAsync(await access.CallerAsync(user, clientAddress, ct), intent, token =>
            service is null ? throw ChangeRejections.NoService(clusterId, idOrName)
            : replicas is null ? throw new ChangeRejectedException(ChangeFailure.Invalid, "replicas is required: the number of tasks to run, 0 or more.")
            : swarm.ScaleServiceAsync(clusterId, service.Id, replicas.Value, token), ct);
    }

    public async Task<ChangeResult> SetNodeAvailabilityAsync(ClaimsPrincipal user, string? clientAddress, string clusterId, string idOrHostname, string? availability, CancellationToken ct = default)
    {
        var node = store.GetState(clusterId)?.FindNode(idOrHostname);
        var intent = new ChangeIntent(Permissions.Nodes.Update, AccessTarget.InCluster(clusterId), "nodes.availability", node?.Hostname ?? idOrHostname);
        return await executor.RunAsync(await access.CallerAsync(user, clientAddress, ct), intent, token =>
            node is null ? throw new ChangeRejectedException(ChangeFailure.NotFound, $"Cluster '{clusterId}' has no node '{idOrHostname}'.")
            : swarm.SetNodeAvailabilityAsync(clusterId, node.Id, availability?.Trim().ToLowerInvariant() ?? "", token), ct);
    }
}
