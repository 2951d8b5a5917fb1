// Docker.DotNet's models are nullable throughout; a null where the engine must answer fails the test as it dereferences.
#nullable disable warnings

using System.Net.Sockets;
using System.Text.Json;
using ControlPlane.Core.Model;
using ControlPlane.Docker.Changes;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ControlPlane.SwarmSimulator.Tests;

/// <summary>The simulator's swarm behaviour, through the Engine API as clients see it.</summary>
public sealed class SimulatorTests
{
    private static SimulatorOptions Small(int services = 0, int tasks = 0) => new()
    {
        Nodes = 4,
        Services = services,
        Tasks = tasks,
        TimeScale = 0.05,
        Listen = $"unix://{Path.Combine(Path.GetTempPath(), $"cp-sim-{Guid.NewGuid():N}.sock")}",
    };

    private static DockerClient Client(SwarmSimulator simulator) => new DockerClientBuilder().WithEndpoint(new Uri(simulator.Endpoint)).Build();

    private static ServiceSpec Spec(string name, int replicas, string image, string order, int parallelism, string failureAction = "pause") => new()
    {
        Name = name,
        TaskTemplate = new TaskSpec { ContainerSpec = new ContainerSpec { Image = image } },
        Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = (ulong)replicas } },
        UpdateConfig = new SwarmUpdateConfig { Parallelism = (ulong)parallelism, Delay = TimeSpan.FromSeconds(1), Monitor = TimeSpan.FromSeconds(1), FailureAction = failureAction, Order = order },
    };

    private static async Task WaitAsync(Func<bool> condition, string description, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for: {description}");
            }
            await Task.Delay(10);
        }
    }

    private static (int OldRunning, int NewRunning) Running(SwarmSimulator simulator, string serviceId, string newImage) => simulator.Swarm.Read(v =>
    {
        var tasks = v.TasksOf(serviceId).Where(t => t.Running).ToList();
        return (tasks.Count(t => t.Image != newImage), tasks.Count(t => t.Image == newImage));
    });

    [Theory]
    [InlineData("stop-first", 2)]
    [InlineData("start-first", 2)]
    [InlineData("stop-first", 1)]
    public async Task A_rolling_update_replaces_tasks_in_batches_of_the_parallelism_in_the_given_order(string order, int parallelism)
    {
        // At a quarter of real time the pause between batches lasts 250 ms, long enough for the sampler to see every batch.
        await using var simulator = await SwarmSimulator.StartAsync(Small() with { TimeScale = 0.25 });
        using var client = Client(simulator);
        const int replicas = 5;
        var id = (await client.Swarm.CreateServiceAsync(new ServiceCreateParameters { Service = Spec("web", replicas, "app:1", order, parallelism) })).ID!;
        await WaitAsync(() => Running(simulator, id, "app:2") == (replicas, 0), "5 replicas running");

        var service = await client.Swarm.InspectServiceAsync(id);
        service.Spec.TaskTemplate.ContainerSpec.Image = "app:2";
        await client.Swarm.UpdateServiceAsync(id, new ServiceUpdateParameters { Service = service.Spec, Version = (long)service.Version.Index!.Value });

        // Sample the running tasks until the update completes: never more (start-first) or fewer (stop-first) than a batch away.
        // The sampler is a thread of its own: a continuation on the thread pool, starved at a test run's start, missed a whole batch.
        var samples = new List<(int Old, int New)>();
        var sampler = new Thread(() =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            do
            {
                samples.Add(Running(simulator, id, "app:2"));
                Thread.Sleep(2);
            }
            while (!(samples[^1] == (0, replicas) && simulator.Swarm.Read(v => v.Services.Single().UpdateStatus?.State) == "completed") && DateTime.UtcNow < deadline);
        });
        sampler.Start();
        await Task.Run(sampler.Join);
        Assert.True(samples[^1] == (0, replicas), $"the update did not complete: {samples[^1]}");
        foreach (var (old, @new) in samples)
        {
            if (order == "stop-first")
            {
                Assert.InRange(old + @new, replicas - parallelism, replicas);
            }
            else
            {
                Assert.InRange(old + @new, replicas, replicas + parallelism);
            }
        }
        // Batches: the count of new tasks moves by at most the parallelism between batches (it passes through each multiple).
        var newCounts = samples.Select(s => s.New).Distinct().Order().ToList();
        Assert.Equal(Enumerable.Range(0, (replicas + parallelism - 1) / parallelism).Select(b => b * parallelism).Append(replicas).Distinct(),
            newCounts.Where(n => n % parallelism == 0 || n == replicas));
        var inspected = await client.Swarm.InspectServiceAsync(id);
        Assert.Equal("completed", inspected.UpdateStatus.State);
        Assert.Equal("app:1", inspected.PreviousSpec.TaskTemplate.ContainerSpec.Image);
    }

    [Fact]
    public async Task An_update_at_a_stale_version_is_refused_as_out_of_sequence_and_changes_nothing()
    {
        await using var simulator = await SwarmSimulator.StartAsync(Small());
        using var client = Client(simulator);
        var id = (await client.Swarm.CreateServiceAsync(new ServiceCreateParameters { Service = Spec("api", 1, "app:1", "stop-first", 1) })).ID!;
        var stale = await client.Swarm.InspectServiceAsync(id);
        stale.Spec.Mode.Replicated.Replicas = 2;
        await client.Swarm.UpdateServiceAsync(id, new ServiceUpdateParameters { Service = stale.Spec, Version = (long)stale.Version.Index!.Value });

        stale.Spec.Mode.Replicated.Replicas = 7;
        var refused = await Assert.ThrowsAsync<DockerApiException>(() =>
            client.Swarm.UpdateServiceAsync(id, new ServiceUpdateParameters { Service = stale.Spec, Version = (long)stale.Version.Index!.Value }));
        Assert.True(EngineChanges.IsOutOfSequence(refused), refused.ResponseBody);
        Assert.Equal(2UL, (await client.Swarm.InspectServiceAsync(id)).Spec.Mode.Replicated.Replicas);

        // Nodes are version-checked the same way.
        var node = (await client.Swarm.ListNodesAsync()).Last();
        await client.Swarm.UpdateNodeAsync(node.ID, node.Version.Index!.Value, new NodeUpdateParameters { Role = "worker", Availability = "pause" });
        var nodeRefused = await Assert.ThrowsAsync<DockerApiException>(() =>
            client.Swarm.UpdateNodeAsync(node.ID, node.Version.Index!.Value, new NodeUpdateParameters { Role = "worker", Availability = "drain" }));
        Assert.True(EngineChanges.IsOutOfSequence(nodeRefused));
        Assert.Equal("pause", (await client.Swarm.InspectNodeAsync(node.ID)).Spec.Availability);
    }

    [Theory]
    [InlineData("rollback", "rollback_completed", "app:1")]
    [InlineData("pause", "paused", "app:broken")]
    public async Task An_update_to_a_failing_image_follows_the_failure_action(string failureAction, string finalState, string finalImage)
    {
        await using var simulator = await SwarmSimulator.StartAsync(Small());
        using var client = Client(simulator);
        var id = (await client.Swarm.CreateServiceAsync(new ServiceCreateParameters { Service = Spec("fails", 3, "app:1", "start-first", 1, failureAction) })).ID!;
        await WaitAsync(() => Running(simulator, id, "-").OldRunning == 3, "3 replicas running");
        var service = await client.Swarm.InspectServiceAsync(id);
        service.Spec.TaskTemplate.ContainerSpec.Image = "app:broken";
        await client.Swarm.UpdateServiceAsync(id, new ServiceUpdateParameters { Service = service.Spec, Version = (long)service.Version.Index!.Value });

        await WaitAsync(() => simulator.Swarm.Read(v => v.Services.Single().UpdateStatus?.State) == finalState, $"the update {finalState}");
        var after = await client.Swarm.InspectServiceAsync(id);
        Assert.Equal(finalImage, after.Spec.TaskTemplate.ContainerSpec.Image);
        Assert.Equal(failureAction == "pause" ? "update paused due to failure or early termination of task" : "rollback completed",
            after.UpdateStatus.Message.Split(" task ")[0] + (failureAction == "pause" ? " task" : ""));
        var tasks = await client.Tasks.ListAsync(new TasksListParameters { Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = new Dictionary<string, bool> { ["fails"] = true } } });
        Assert.Contains(tasks, t => t.Status.State == TaskState.Failed && t.Status.Err == "task: non-zero exit (1)");
        // The service never dropped below its replicas: the failing task started first and the old ones stayed.
        Assert.Equal(3, tasks.Count(t => t.Status.State == TaskState.Running && t.Spec.ContainerSpec.Image == "app:1"));
    }

    [Fact]
    public async Task Events_replay_from_since_to_until_with_filters_and_stream_live_ones()
    {
        await using var simulator = await SwarmSimulator.StartAsync(Small());
        using var client = Client(simulator);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeMilliseconds() / 1000.0;
        var api = (await client.Swarm.CreateServiceAsync(new ServiceCreateParameters { Service = Spec("api", 1, "app:1", "stop-first", 1) })).ID!;
        await client.Secrets.CreateAsync(new SwarmSecretSpec { Name = "token", Data = "x"u8.ToArray() });
        await client.Swarm.CreateServiceAsync(new ServiceCreateParameters { Service = Spec("web", 1, "app:1", "stop-first", 1) });
        var until = DateTimeOffset.UtcNow.AddSeconds(1).ToUnixTimeMilliseconds() / 1000.0;

        using var http = Http(simulator);
        var services = await EventsAsync(http, $"since={before}&until={until}&filters=" + Uri.EscapeDataString("{\"type\":{\"service\":true}}"));
        Assert.Equal(["service create api", "service create web"], services.Select(e => $"{e.Type} {e.Action} {e.Actor.Attributes["name"]}"));
        var byService = await EventsAsync(http, $"since={before}&until={until}&filters=" + Uri.EscapeDataString($"{{\"service\":{{\"{api[..6]}\":true}}}}"));
        Assert.Equal(["service create api"], byService.Select(e => $"{e.Type} {e.Action} {e.Actor.Attributes["name"]}"));
        var secrets = await EventsAsync(http, $"since={before}&until={until}&filters=" + Uri.EscapeDataString("{\"type\":[\"secret\"],\"event\":[\"create\"]}"));
        Assert.Equal("token", Assert.Single(secrets).Actor.Attributes["name"]);
        Assert.Empty(await EventsAsync(http, $"since={until + 2}&until={until + 2.5}"));

        // Live: a stream from now sees the next change; the manager's restart forgets every past event and ends it.
        using var stream = await http.GetAsync($"/v1.41/events?since={until}&filters=" + Uri.EscapeDataString("{\"type\":[\"node\"]}"), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        var node = (await client.Swarm.ListNodesAsync()).Last();
        simulator.Swarm.SetNodeDown(node.ID, true);
        var line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var live = JsonSerializer.Deserialize<Message>(line!)!;
        Assert.Equal(("node", "update", "down"), (live.Type, live.Action, live.Actor.Attributes["state.new"]));
        simulator.Swarm.Restart();
        // The stream ends (cut off, as when dockerd goes away), well before the 10 s this waits.
        var ended = await Record.ExceptionAsync(async () =>
        {
            while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)) is not null)
            {
            }
        });
        Assert.IsNotType<TimeoutException>(ended);
        Assert.Empty(await EventsAsync(http, $"since={before}&until={until}"));
    }

    [Fact]
    public async Task Draining_or_losing_a_node_moves_its_tasks_and_listings_filter_as_dockerd_does()
    {
        await using var simulator = await SwarmSimulator.StartAsync(Small(services: 4, tasks: 16));
        using var client = Client(simulator);
        var nodes = await client.Swarm.ListNodesAsync();
        Assert.Equal(4, nodes.Count);
        Assert.All(nodes.Concat([]).Select(n => n.ID), id => Assert.Matches("^[a-z0-9]{25}$", id));
        var drained = nodes[1];
        await client.Swarm.UpdateNodeAsync(drained.ID, drained.Version.Index!.Value, new NodeUpdateParameters { Role = drained.Spec.Role, Availability = "drain" });
        var down = nodes[2];
        simulator.Swarm.SetNodeDown(down.ID, true);
        await WaitAsync(() => simulator.Swarm.Read(v => v.Tasks.Count(t => t.Running && t.Live) == 16 && !v.Tasks.Any(t => t.Live && (t.NodeId == drained.ID || t.NodeId == down.ID))),
            "16 running tasks, none on the drained or the down node");

        var onDrained = await client.Tasks.ListAsync(new TasksListParameters { Filters = new Dictionary<string, IDictionary<string, bool>> { ["node"] = new Dictionary<string, bool> { [drained.Description.Hostname] = true } } });
        Assert.NotEmpty(onDrained);
        Assert.All(onDrained, t => Assert.Equal(TaskState.Shutdown, t.DesiredState));
        var running = await client.Tasks.ListAsync(new TasksListParameters { Filters = new Dictionary<string, IDictionary<string, bool>> { ["desired-state"] = new Dictionary<string, bool> { ["running"] = true } } });
        Assert.Equal(16, running.Count);
        Assert.All(running, t => Assert.Matches("^[a-f0-9]{64}$", t.Status.ContainerStatus.ContainerID));
        var missing = await Assert.ThrowsAsync<DockerApiException>(() => client.Tasks.ListAsync(new TasksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = new Dictionary<string, bool> { ["no-such-service"] = true } },
        }));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);

        // Back up: the tasks the orchestrator replaced meanwhile are reported shut down.
        simulator.Swarm.SetNodeDown(down.ID, false);
        await WaitAsync(() => simulator.Swarm.Read(v => v.Tasks.Where(t => t.NodeId == down.ID).All(t => t.State == "shutdown")), "the returned node's old tasks shut down");
    }

    [Fact]
    public async Task ControlPlanes_watcher_syncs_with_the_simulator_follows_its_churn_and_recovers_from_a_broken_stream()
    {
        await using var simulator = await SwarmSimulator.StartAsync(Small(services: 20, tasks: 100) with { Churn = 50 });
        await using var watched = new Watched(simulator.Endpoint, new ControlPlane.Docker.Watching.WatcherTimings { FastReconcile = TimeSpan.FromMilliseconds(200) });
        var synced = await watched.WaitForSyncAsync();
        Assert.Equal(4, synced.Nodes.Count());
        Assert.Equal(20, synced.Services.Count());
        Assert.True(synced.Tasks.Count(t => t.DesiredState == "running") >= 90);
        await Task.Delay(1000);

        simulator.Swarm.BreakEventStreams();
        await watched.WaitForAsync(s => s.Cluster.Status != ClusterStatus.Synced, "the broken stream noticed", TimeSpan.FromSeconds(10));
        await watched.WaitForSyncAsync(TimeSpan.FromSeconds(10));

        // Churn off: the picture settles on the simulator's, service by service and version by version.
        simulator.Swarm.ChurnOverride = 0;
        await Task.Delay(300);
        var expected = simulator.Swarm.Read(v => v.Services.Select(s => $"{s.Id}@{s.Version}").Order().ToList());
        await watched.WaitForAsync(s => s.Services.Select(x => $"{x.Id}@{x.ObjectVersion}").Order().SequenceEqual(expected), "the services as the simulator has them");
        // One reconnection, the broken stream's; none for anything else the simulator sent.
        Assert.Single(watched.Log.Lines);
    }

    [Fact]
    public async Task Faults_slow_answers_and_take_nodes_down_on_request()
    {
        await using var simulator = await SwarmSimulator.StartAsync(Small());
        using var http = Http(simulator);
        (await http.PostAsync("/_simulator/slow?ms=300", null)).EnsureSuccessStatusCode();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("OK", await http.GetStringAsync("/_ping"));
        Assert.True(watch.ElapsedMilliseconds >= 300, $"answered in {watch.ElapsedMilliseconds} ms");
        (await http.PostAsync("/_simulator/slow?ms=0", null)).EnsureSuccessStatusCode();

        var node = simulator.Swarm.Read(v => v.Nodes.Last().Hostname);
        (await http.PostAsync($"/_simulator/nodes/{node}/down", null)).EnsureSuccessStatusCode();
        using var client = Client(simulator);
        Assert.Equal("down", (await client.Swarm.InspectNodeAsync(node)).Status.State.ToString().ToLowerInvariant());
        var unknown = await Assert.ThrowsAsync<DockerApiException>(() => client.Swarm.InspectNodeAsync("no-such-node"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("node no-such-node not found", unknown.ResponseBody);
    }

    private static HttpClient Http(SwarmSimulator simulator)
    {
        var path = new Uri(simulator.Endpoint).LocalPath;
        return new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        }) { BaseAddress = new Uri("http://engine/") };
    }

    private static async Task<List<Message>> EventsAsync(HttpClient http, string query)
    {
        var body = await http.GetStringAsync($"/v1.41/events?{query}").WaitAsync(TimeSpan.FromSeconds(10));
        return body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<Message>(l)!).ToList();
    }
}
