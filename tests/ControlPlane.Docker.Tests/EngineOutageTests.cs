using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using ControlPlane.Docker.Watching;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ControlPlane.Docker.Tests;

/// <summary>Engines that stop and come back, on the real swarm.</summary>
public class EngineOutageTests
{
    [Fact]
    public async Task A_stopped_worker_becomes_down_once_the_swarm_says_so_and_ready_after_restart()
    {
        await using var cluster = WatchedCluster.Start();
        await cluster.WaitForAsync(s => s.Nodes.Count(n => n.State == "ready") == LocalSwarm.NodeEndpoints.Count, "every node ready");

        await LocalSwarm.StopNodeAsync(3);
        try
        {
            var down = await cluster.WaitForAsync(s => Node(s, "cp-node3")?.State == "down", "cp-node3 down", TimeSpan.FromSeconds(90));
            Assert.Equal("ready", Node(down, "cp-node1")!.State);
        }
        finally
        {
            await LocalSwarm.StartNodeAsync(3);
        }

        await cluster.WaitForAsync(s => Node(s, "cp-node3")?.State == "ready", "cp-node3 ready again", TimeSpan.FromSeconds(90));
    }

    [Fact]
    public async Task After_the_managers_engine_restarts_the_store_equals_a_fresh_listing()
    {
        // A long first backoff leaves a window in which the cluster changes while nobody listens.
        await using var cluster = WatchedCluster.Start(new WatcherTimings { MinBackoff = TimeSpan.FromSeconds(3), MaxBackoff = TimeSpan.FromSeconds(6) });
        await cluster.WaitForSyncAsync();
        using var docker = LocalSwarm.ManagerClient();
        var prefix = $"brk-{Guid.NewGuid():N}"[..10];
        var doomed = (await docker.Swarm.CreateServiceAsync(new ServiceCreateParameters { Service = Specs.Replicated($"{prefix}-old", 1) })).ID!;
        string? born = null;
        try
        {
            await cluster.WaitForAsync(s => s.FindService($"{prefix}-old") is { ReplicasRunning: 1 }, "the first service running");

            await LocalSwarm.StopNodeAsync(1);
            await cluster.WaitForAsync(s => s.Cluster.Status != ClusterStatus.Synced, "the broken stream to be noticed");
            await LocalSwarm.StartNodeAsync(1);
            await docker.Swarm.RemoveServiceAsync(doomed);
            born = (await docker.Swarm.CreateServiceAsync(new ServiceCreateParameters { Service = Specs.Replicated($"{prefix}-new", 2) })).ID!;

            var state = await cluster.WaitForAsync(
                s => s.Cluster.Status == ClusterStatus.Synced && s.FindService($"{prefix}-new") is { ReplicasRunning: 2 } && s.FindService($"{prefix}-old") is null,
                "the store to catch up after the restart", TimeSpan.FromSeconds(120));
            Assert.NotNull(state.Cluster.LastSyncedAt);

            // Compare with what the engine lists now; tasks keep moving, so retry until a listing and the store agree.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            string? difference;
            while ((difference = await DifferenceAsync(docker, cluster.State)) is not null)
            {
                Assert.True(DateTime.UtcNow < deadline, $"the store never matched a fresh listing: {difference}");
                await cluster.WaitForAsync(s => s.Version > state.Version, "any further change", TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
                state = cluster.State;
            }
        }
        finally
        {
            await RemoveIfPresentAsync(docker, doomed);
            if (born is not null)
            {
                await RemoveIfPresentAsync(docker, born);
            }
        }
    }

    private static async Task<string?> DifferenceAsync(DockerClient docker, ClusterState state)
    {
        var nodes = (await docker.Swarm.ListNodesAsync()).Select(DockerModelMapper.ToNode).ToList();
        var services = (await docker.Swarm.ListServicesAsync(new ServiceListParameters())).ToList();
        var names = services.ToDictionary(s => s.ID!, s => s.Spec!.Name!);
        var tasks = (await docker.Tasks.ListAsync(new TasksListParameters())).Select(t => DockerModelMapper.ToTask(t, names)).ToList();
        var secrets = (await docker.Secrets.ListAsync()).Select(DockerModelMapper.ToSecret).ToList();
        var networks = (await docker.Networks.ListNetworksAsync(new NetworksListParameters())).Select(DockerModelMapper.ToNetwork).ToList();

        return Compare("nodes", nodes.Select(n => (n.Id, (object)n)), state.Nodes.Select(n => (n.Id, (object)n)))
            ?? Compare("services", services.Select(s => (s.ID!, (object)s.Spec!.Name!)), state.Services.Select(s => (s.Id, (object)s.Name)))
            ?? Compare("tasks", tasks.Select(t => (t.Id, (object)t)), state.Tasks.Select(t => (t.Id, (object)t)))
            ?? Compare("secrets", secrets.Select(s => (s.Id, (object)s)), state.Secrets.Select(s => (s.Id, (object)s)))
            ?? Compare("networks", networks.Select(n => (n.Id, (object)n)), state.Networks.Select(n => (n.Id, (object)n)));
    }

    private static string? Compare(string what, IEnumerable<(string Id, object Value)> listed, IEnumerable<(string Id, object Value)> stored)
    {
        var expected = listed.ToDictionary(x => x.Id, x => x.Value);
        var actual = stored.ToDictionary(x => x.Id, x => x.Value);
        var missing = expected.Keys.Except(actual.Keys).ToList();
        var stale = actual.Keys.Except(expected.Keys).ToList();
        var different = expected.Keys.Intersect(actual.Keys).Where(id => !Equals(expected[id], actual[id])).ToList();
        return missing.Count + stale.Count + different.Count == 0
            ? null
            : $"{what}: missing [{string.Join(", ", missing)}], stale [{string.Join(", ", stale)}], different [{string.Join(", ", different)}]";
    }

    private static ClusterNode? Node(ClusterState state, string hostname) => state.Nodes.FirstOrDefault(n => n.Hostname == hostname);

    private static async Task RemoveIfPresentAsync(DockerClient docker, string serviceId)
    {
        try
        {
            await docker.Swarm.RemoveServiceAsync(serviceId);
        }
        catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
        }
    }
}
