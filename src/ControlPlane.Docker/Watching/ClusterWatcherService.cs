using ControlPlane.Core.State;
using ControlPlane.Docker.Connection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Docker.Watching;

/// <summary>Runs exactly one watcher per configured cluster for the life of the process.</summary>
public sealed class ClusterWatcherService(
    ClusterRegistry registry,
    ClusterStateStore store,
    WatcherTimings timings,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var watchers = registry.Connections
            .Select(connection => new ClusterWatcher(connection, store, timings, time, loggers.CreateLogger<ClusterWatcher>()))
            .Select(watcher => Task.Run(() => watcher.RunAsync(stoppingToken), stoppingToken));
        return Task.WhenAll(watchers);
    }
}
