using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using ControlPlane.Docker.Configuration;
using ControlPlane.Docker.Connection;
using ControlPlane.Docker.Watching;
using Microsoft.Extensions.Logging.Abstractions;

namespace ControlPlane.Docker.Tests;

/// <summary>A real watcher on real engines feeding a real store, as the app runs it, for one test.</summary>
public sealed class WatchedCluster : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    private WatchedCluster(ClusterDefinition definition, WatcherTimings timings)
    {
        Connection = new ClusterConnection(definition, Requests, NullLogger<ClusterConnection>.Instance);
        var watcher = new ClusterWatcher(Connection, Store, timings, TimeProvider.System, NullLogger<ClusterWatcher>.Instance);
        Id = definition.Id;
        _run = Task.Run(() => watcher.RunAsync(_stop.Token));
    }

    public string Id { get; }

    public ClusterStateStore Store { get; } = new();

    public EngineRequestCounter Requests { get; } = new();

    public ClusterConnection Connection { get; }

    public ClusterState State => Store.GetState(Id)!;

    /// <summary>Watches the given endpoints as the configured cluster <c>test</c>.</summary>
    public static WatchedCluster Start(WatcherTimings? timings = null, params string[] endpoints)
    {
        var options = new ClustersOptions
        {
            Clusters = [new ClusterOptions { Name = "test", Endpoints = endpoints.Length > 0 ? [.. endpoints] : [LocalSwarm.ManagerEndpoint] }],
        };
        return Start(options, timings);
    }

    /// <summary>Watches the single cluster of the given configuration (e.g. with TLS settings).</summary>
    public static WatchedCluster Start(ClustersOptions options, WatcherTimings? timings = null)
    {
        var definition = ClusterEndpointResolver.Resolve(options, null, out var errors).Single();
        Assert.Empty(errors);
        return new WatchedCluster(definition, timings ?? new WatcherTimings());
    }

    /// <summary>Waits until the store's state satisfies the condition; fails with the description otherwise.</summary>
    public async Task<ClusterState> WaitForAsync(Func<ClusterState, bool> condition, string description, TimeSpan? timeout = null)
    {
        using var subscription = Store.Subscribe(Id);
        var state = subscription.Snapshot;
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            while (!condition(state))
            {
                state = (await subscription.Batches.ReadAsync(deadline.Token)).State;
            }
            return state;
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Timed out waiting for: {description}. Cluster status {state.Cluster.Status} ({state.Cluster.Error}).");
        }
    }

    public Task<ClusterState> WaitForSyncAsync() =>
        WaitForAsync(s => s.Cluster.Status == ClusterStatus.Synced, "the cluster to be synced");

    /// <summary>Stops the watcher (the store keeps its last picture), so a test can count requests nothing else causes.</summary>
    public async Task StopWatchingAsync()
    {
        await _stop.CancelAsync();
        await _run;
    }

    public async ValueTask DisposeAsync()
    {
        await StopWatchingAsync();
        Connection.Dispose();
        _stop.Dispose();
    }
}
