using ControlPlane.Core.State;
using Microsoft.AspNetCore.SignalR;

namespace ControlPlane.Web.Hubs;

/// <summary>
/// The public live feed at <c>/hubs/cluster</c> for non-browser clients (DESIGN §6): the same
/// snapshot-then-changes pages get, answered from the store, so a client never causes an Engine API call.
/// </summary>
public sealed class ClusterHub(ClusterStateStore store, TimeProvider time) : Hub
{
    /// <summary>At most ten messages a second per stream, as pages render at most ten times a second.</summary>
    public static readonly TimeSpan MinMessageInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Streams <see cref="ClusterWatchMessage"/>s for <paramref name="clusterId"/>: the whole snapshot first,
    /// then merged change batches until the client cancels the stream or disconnects.
    /// </summary>
    public IAsyncEnumerable<ClusterWatchMessage> Watch(string clusterId, CancellationToken cancellationToken)
    {
        // Checked here rather than in the stream so the client's invocation fails with this message at once.
        if (store.GetState(clusterId) is null)
        {
            var known = string.Join(", ", store.Clusters.Select(c => $"'{c.Id}'"));
            throw new HubException($"Unknown cluster '{clusterId}'. Known clusters: {(known.Length > 0 ? known : "none")}.");
        }
        return ClusterWatchStream.ReadAsync(store, clusterId, MinMessageInterval, time, cancellationToken);
    }
}
