using System.Threading.Channels;
using ControlPlane.Core.Operations;
using Microsoft.AspNetCore.SignalR;

namespace ControlPlane.Web.Hubs;

/// <summary>
/// Sends every change of an operation this replica runs to the hub connections following it
/// (<see cref="ClusterHub.FollowOperation"/>), wherever they are connected: with the Redis backplane configured, a group
/// message reaches the connections of every replica. Changes are queued and sent in order by one loop, so the runner
/// never waits on a network.
/// </summary>
public sealed class OperationBroadcast(OperationRunner runner, IHubContext<ClusterHub> hub, ILogger<OperationBroadcast> logger) : BackgroundService
{
    private readonly Channel<Operation> _changes = Channel.CreateUnbounded<Operation>(new UnboundedChannelOptions { SingleReader = true });

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        runner.Changed += Enqueue;
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        runner.Changed -= Enqueue;
        _changes.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    private void Enqueue(Operation operation) => _changes.Writer.TryWrite(operation);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var operation in _changes.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await hub.Clients.Group(ClusterHub.OperationGroup(operation.Id)).SendAsync(ClusterHub.OperationChanged, operation, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Redis away: followers miss this change and see the next one (or read the operation by id).
                    logger.LogWarning(ex, "Could not send the progress of operation {Operation} to its followers", operation.Id);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
