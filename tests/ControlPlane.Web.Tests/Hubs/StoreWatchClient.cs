using ControlPlane.Core.Channels;
using ControlPlane.Core.State;
using ControlPlane.Web.Components;

namespace ControlPlane.Web.Tests.Hubs;

/// <summary>A store subscription read the way a live page reads it: snapshot, then coalesced batches.</summary>
internal sealed class StoreWatchClient : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;

    public StoreWatchClient(ClusterStateStore store, string clusterId)
    {
        var subscription = store.Subscribe(clusterId);
        States.Add(subscription.Snapshot);
        _reading = Task.Run(async () =>
        {
            using (subscription)
            {
                try
                {
                    await foreach (var batches in subscription.Batches.GetBatchesAsync(LiveClusterComponent.MinRenderInterval, TimeProvider.System, _stop.Token))
                    {
                        States.Add(batches[^1].State);
                    }
                    States.Complete();
                }
                catch (OperationCanceledException)
                {
                    States.Complete();
                }
            }
        });
    }

    /// <summary>The snapshot, then the newest state after each group of batches.</summary>
    public Observations<ClusterState> States { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reading;
        _stop.Dispose();
    }
}
