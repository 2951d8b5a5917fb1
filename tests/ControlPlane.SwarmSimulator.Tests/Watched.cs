using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using ControlPlane.Docker.Configuration;
using ControlPlane.Docker.Connection;
using ControlPlane.Docker.Watching;
using Microsoft.Extensions.Logging.Abstractions;

namespace ControlPlane.SwarmSimulator.Tests;

/// <summary>ControlPlane's own watcher and store on one endpoint, as the app runs them.</summary>
public sealed class Watched : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    public Watched(string endpoint, WatcherTimings? timings = null)
    {
        var definition = ClusterEndpointResolver.Resolve(
            new ClustersOptions { Clusters = [new ClusterOptions { Name = "test", Endpoints = [endpoint] }] }, null, out var errors).Single();
        Assert.Empty(errors);
        Connection = new ClusterConnection(definition, Requests, NullLogger<ClusterConnection>.Instance);
        var watcher = new ClusterWatcher(Connection, Store, timings ?? new WatcherTimings { FastReconcile = TimeSpan.FromMilliseconds(500) }, TimeProvider.System, Log);
        Id = definition.Id;
        _run = Task.Run(() => watcher.RunAsync(_stop.Token));
    }

    public string Id { get; }

    /// <summary>What the watcher logged (reconnections and their reasons), for a failing test to show.</summary>
    public RecordingLogger Log { get; } = new();

    public ClusterStateStore Store { get; } = new();

    public EngineRequestCounter Requests { get; } = new();

    public ClusterConnection Connection { get; }

    public ClusterState State => Store.GetState(Id)!;

    public async Task<ClusterState> WaitForAsync(Func<ClusterState, bool> condition, string description, TimeSpan? timeout = null)
    {
        using var subscription = Store.Subscribe(Id);
        var state = subscription.Snapshot;
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(90));
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

    public Task<ClusterState> WaitForSyncAsync(TimeSpan? timeout = null) =>
        WaitForAsync(s => s.Cluster.Status == ClusterStatus.Synced, "the cluster to be synced", timeout);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        Connection.Dispose();
        _stop.Dispose();
    }
}

public sealed class RecordingLogger : Microsoft.Extensions.Logging.ILogger<ClusterWatcher>
{
    public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Warning;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            Lines.Enqueue(formatter(state, exception));
        }
    }
}
