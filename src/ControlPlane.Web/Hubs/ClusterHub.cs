using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Web.Authentication;
using ControlPlane.Web.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace ControlPlane.Web.Hubs;

/// <summary>
/// The public live feed at <c>/hubs/cluster</c> for non-browser clients (DESIGN §6): the same
/// snapshot-then-changes pages get, answered from the store, so a client never causes an Engine API call.
/// </summary>
public sealed class ClusterHub(ClusterStateStore store, AccessControl access, TimeProvider time) : Hub
{
    /// <summary>At most ten messages a second per stream, as pages render at most ten times a second.</summary>
    public static readonly TimeSpan MinMessageInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Streams <see cref="ClusterWatchMessage"/>s for <paramref name="clusterId"/>: the whole snapshot first,
    /// then merged change batches until the client cancels the stream or disconnects.
    /// </summary>
    public async Task<IAsyncEnumerable<ClusterWatchMessage>> Watch(string clusterId, CancellationToken cancellationToken)
    {
        // Checked before the stream starts so the client's invocation fails with this message at once.
        var grants = await access.GrantsOfAsync(Context.User!, cancellationToken);
        var visibility = ClusterVisibility.For(grants, clusterId);
        if (!visibility.SeesAnything)
        {
            await access.AuditRefusalAsync(Context.User!.Actor(), Permissions.Clusters.Read, clusterId,
                Context.GetHttpContext()?.ClientAddress(), "hub Watch without a grant on this cluster");
            throw new HubException($"You have no grant on cluster '{clusterId}' or any of its stacks.");
        }
        if (store.GetState(clusterId) is null)
        {
            var known = string.Join(", ", ClusterVisibility.VisibleClusters(grants, store.Clusters).Select(c => $"'{c.Id}'"));
            throw new HubException($"Unknown cluster '{clusterId}'. Known clusters: {(known.Length > 0 ? known : "none")}.");
        }
        return ClusterWatchStream.ReadAsync(store, clusterId, visibility, MinMessageInterval, time, cancellationToken);
    }
}
