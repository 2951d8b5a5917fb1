using System.Diagnostics;
using ControlPlane.Core.State;
using Xunit.Abstractions;

namespace ControlPlane.SwarmSimulator.Tests;

/// <summary>
/// ControlPlane's watcher and store at a size CI can afford (200 nodes, 2,000 services, 10,000 tasks): it syncs,
/// its picture is the simulator's, and a burst of 5,000 changes is all applied. Figures are the benchmark's
/// (<c>--mode scale</c>); this only guards that the size works at all.
/// </summary>
public sealed class ScaleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task At_200_nodes_2000_services_10000_tasks_the_picture_is_the_simulators_and_a_burst_of_5000_changes_is_all_applied()
    {
        var clock = Stopwatch.StartNew();
        await using var simulator = await SwarmSimulator.StartAsync(new SimulatorOptions
        {
            Nodes = 200,
            Managers = 3,
            Services = 2_000,
            Tasks = 10_000,
            Listen = $"unix://{Path.Combine(Path.GetTempPath(), $"cp-sim-{Guid.NewGuid():N}.sock")}",
        });
        output.WriteLine($"simulator populated in {clock.Elapsed.TotalSeconds:F1} s");
        clock.Restart();
        await using var watched = new Watched(simulator.Endpoint);
        var synced = await watched.WaitForSyncAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"synced in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(Picture(simulator), Picture(synced));

        clock.Restart();
        var changed = simulator.Swarm.Burst(5_000);
        Assert.Equal(5_000, changed.Count);
        var expected = Picture(simulator);
        var final = await watched.WaitForAsync(s => Picture(s).Services == expected.Services, "every service at the simulator's version after the burst", TimeSpan.FromSeconds(120));
        output.WriteLine($"burst of 5,000 applied in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(expected, Picture(final));
        Assert.Equal(2_000, final.Services.Count(s => s.Labels.ContainsKey("sim.churn")));
    }

    private sealed record Snapshot(string Nodes, string Services, string Tasks);

    /// <summary>The simulator's objects as ids with versions and states, in one string per kind.</summary>
    private static Snapshot Picture(SwarmSimulator simulator) => simulator.Swarm.Read(v => new Snapshot(
        Join(v.Nodes.Select(n => $"{n.Id}:{n.Hostname}:{n.Role}:{n.Availability}:{n.State}")),
        Join(v.Services.Select(s => $"{s.Id}:{s.Name}@{s.Version}")),
        Join(v.Tasks.Select(t => $"{t.Id}:{t.Service.Id}:{t.NodeId}:{t.State}/{t.DesiredState}"))));

    private static Snapshot Picture(ClusterState state) => new(
        Join(state.Nodes.Select(n => $"{n.Id}:{n.Hostname}:{n.Role}:{n.Availability}:{n.State}")),
        Join(state.Services.Select(s => $"{s.Id}:{s.Name}@{s.ObjectVersion}")),
        Join(state.Tasks.Select(t => $"{t.Id}:{t.ServiceId}:{t.NodeId}:{t.State}/{t.DesiredState}")));

    private static string Join(IEnumerable<string> items) => string.Join('\n', items.Order(StringComparer.Ordinal));
}
