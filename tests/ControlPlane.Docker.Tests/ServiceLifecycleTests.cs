using ControlPlane.Core.Model;
using Docker.DotNet.Models;

namespace ControlPlane.Docker.Tests;

public class ServiceLifecycleTests
{
    [Fact]
    public async Task A_service_created_through_the_engine_api_appears_scales_to_three_and_goes_away_with_its_tasks()
    {
        await using var cluster = WatchedCluster.Start();
        await cluster.WaitForSyncAsync();
        using var docker = LocalSwarm.ManagerClient();
        var name = $"life-{Guid.NewGuid():N}"[..13];

        var created = await docker.Swarm.CreateServiceAsync(new ServiceCreateParameters { Service = Specs.Replicated(name, 1) });
        var id = created.ID!;
        try
        {
            var appeared = await cluster.WaitForAsync(s => s.FindService(name) is { ReplicasRunning: 1 }, $"{name} with one running replica");
            var service = appeared.FindService(name)!;
            Assert.Equal(id, service.Id);
            Assert.Equal("replicated", service.Mode);
            Assert.Equal(LocalSwarm.Image("1"), service.Image);

            var current = await docker.Swarm.InspectServiceAsync(id);
            current.Spec!.Mode!.Replicated!.Replicas = 3;
            await docker.Swarm.UpdateServiceAsync(id, new ServiceUpdateParameters { Service = current.Spec, Version = (long)current.Version!.Index!.Value });

            var scaled = await cluster.WaitForAsync(
                s => s.TasksOf(id).Count(t => t.IsRunning && t.DesiredState == "running") == 3,
                $"{name} with three running tasks");
            var running = scaled.TasksOf(id).Where(t => t.IsRunning).ToList();
            Assert.Equal([1L, 2L, 3L], running.Select(t => t.Slot!.Value).Order());
            Assert.All(running, t => Assert.Equal(name, t.ServiceName));
            Assert.All(running, t => Assert.NotNull(scaled.Get<ClusterNode>(ResourceKind.Node, t.NodeId!)));
            var final = await cluster.WaitForAsync(s => s.FindService(name) is { ReplicasRunning: 3, ReplicasDesired: 3 }, "the service to count three replicas");
            Assert.True(final.FindService(name)!.IsConverged);
        }
        finally
        {
            await docker.Swarm.RemoveServiceAsync(id);
        }

        var removed = await cluster.WaitForAsync(s => s.FindService(name) is null && !s.TasksOf(id).Any(), $"{name} and its tasks to be gone");
        Assert.DoesNotContain(removed.Tasks, t => t.ServiceId == id);
    }

    [Fact]
    public async Task A_secret_and_a_network_created_and_removed_are_followed_by_events()
    {
        await using var cluster = WatchedCluster.Start();
        await cluster.WaitForSyncAsync();
        using var docker = LocalSwarm.ManagerClient();
        var name = $"evt-{Guid.NewGuid():N}"[..12];

        var secret = await docker.Secrets.CreateAsync(new SwarmSecretSpec { Name = name, Data = "secret"u8.ToArray() });
        var network = await docker.Networks.CreateNetworkAsync(new NetworksCreateParameters { Name = name, Driver = "overlay", Attachable = true });
        try
        {
            // On a swarm's first overlay network the engine may answer the inspect before allocation fills in the
            // driver, and sends no event after; the store has it right from the next relist (15 s at most).
            var seen = await cluster.WaitForAsync(s => s.Secrets.Any(x => x.Name == name) && s.Networks.Any(n => n.Name == name && n.Driver.Length > 0),
                "the secret and the network with its driver");
            Assert.Equal(secret.ID, seen.Secrets.Single(x => x.Name == name).Id);
            Assert.Equal("overlay", seen.Networks.Single(n => n.Name == name).Driver);
        }
        finally
        {
            await docker.Secrets.DeleteAsync(secret.ID);
            await docker.Networks.DeleteNetworkAsync(network.ID);
        }

        await cluster.WaitForAsync(s => s.Secrets.All(x => x.Name != name) && s.Networks.All(n => n.Name != name), "the secret and the network to be gone");
    }
}
