using ControlPlane.Core.Model;
using ControlPlane.Docker.Watching;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ControlPlane.Docker.Tests;

/// <summary>
/// Tasks have no events, and the watcher no longer lists every task every 15 s (DESIGN §11): a task that
/// dies on a worker must still be seen, from the task counts the service listing carries.
/// </summary>
public class TaskCountReconcileTests
{
    [Fact]
    public async Task A_container_killed_on_a_worker_is_seen_from_the_service_counts_without_a_full_task_listing()
    {
        // No full task listing after the first sync; the service is hot only briefly after its own events.
        var timings = new WatcherTimings { SlowReconcile = TimeSpan.FromSeconds(3), FullResync = TimeSpan.FromHours(1), HotAfterEvent = TimeSpan.FromSeconds(1) };
        await using var cluster = WatchedCluster.Start(timings);
        await cluster.WaitForSyncAsync();
        using var docker = LocalSwarm.ManagerClient();
        var name = $"tcount-{Guid.NewGuid():N}"[..15];
        var spec = Specs.Replicated(name, 1);
        // On a worker: the watcher reads only the manager's engine, so the container's events never reach it.
        spec.TaskTemplate!.Placement = new Placement { Constraints = ["node.role==worker"] };
        var id = (await docker.Swarm.CreateServiceAsync(new ServiceCreateParameters { Service = spec })).ID!;
        try
        {
            var running = await cluster.WaitForAsync(s => s.FindService(name) is { ReplicasRunning: 1 } && s.TasksOf(id).Any(t => t.IsRunning && t.ContainerId is not null),
                $"{name} running on a worker");
            var task = running.TasksOf(id).Single(t => t.IsRunning);
            // Let the creation's events cool down, so only the counts can put the service back on the fast path.
            await Task.Delay(TimeSpan.FromSeconds(3));

            using var worker = await EngineOfAsync(task.NodeId!);
            await worker.Containers.KillContainerAsync(task.ContainerId!, new ContainerKillParameters());

            var replaced = await cluster.WaitForAsync(
                s => s.Get<ClusterTask>(ResourceKind.Task, task.Id) is { IsRunning: false }
                    && s.TasksOf(id).Any(t => t.Id != task.Id && t.IsRunning && t.DesiredState == "running"),
                "the killed task seen as ended and its replacement running", TimeSpan.FromSeconds(60));
            Assert.Equal(1, replaced.FindService(name)!.ReplicasRunning);
        }
        finally
        {
            await docker.Swarm.RemoveServiceAsync(id);
        }
    }

    /// <summary>The engine of the node with this swarm id, among the local swarm's node sockets.</summary>
    private static async Task<DockerClient> EngineOfAsync(string nodeId)
    {
        foreach (var endpoint in LocalSwarm.NodeEndpoints)
        {
            var client = new DockerClientBuilder().WithEndpoint(new Uri(endpoint)).Build();
            if ((await client.System.GetSystemInfoAsync()).Swarm?.NodeID == nodeId)
            {
                return client;
            }
            client.Dispose();
        }
        throw new InvalidOperationException($"No local swarm engine runs node {nodeId}.");
    }
}
