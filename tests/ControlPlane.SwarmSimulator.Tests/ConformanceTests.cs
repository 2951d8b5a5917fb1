using System.Text;
using System.Text.Json;
using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using ControlPlane.Docker.Changes;
using ControlPlane.Docker.Connection;
using Docker.DotNet;
using Docker.DotNet.Models;
using Xunit.Abstractions;

namespace ControlPlane.SwarmSimulator.Tests;

/// <summary>
/// Runs alone: the scenario drains a node of the shared local swarm (briefly), which moves other tests' tasks.
/// tests/run.sh runs one test project at a time, so this only keeps it apart from this project's other tests.
/// </summary>
[CollectionDefinition(nameof(SwarmTopologyCollection), DisableParallelization = true)]
public sealed class SwarmTopologyCollection;

/// <summary>
/// Keeps the simulator honest: one scenario (create a service of 3 replicas, scale it, update its image, create and
/// mount a secret, drain a node, remove everything) runs through ControlPlane's own watcher and Engine calls once
/// against the real local swarm (dockerd 20.10) and once against the simulator, each behind a recording proxy.
/// Every answer ControlPlane received is compared by JSON shape, route by route: nothing the real engine sends is
/// missing from the simulator's, nothing is added. ControlPlane's picture after each step must be the same in both.
/// </summary>
[Collection(nameof(SwarmTopologyCollection))]
public sealed class ConformanceTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task The_simulator_answers_like_dockerd_20_10_and_ControlPlane_sees_the_same_picture()
    {
        var manager = Require("DOCKER_HOST");
        var registry = Require("CONTROLPLANE_REGISTRY");
        var prefix = $"hsimconf{Random.Shared.Next(100000, 999999)}";

        var real = await RunAsync(manager, registry, prefix + "r");

        await using var simulator = await SwarmSimulator.StartAsync(new SimulatorOptions
        {
            Nodes = 3,
            Managers = 1,
            HostnamePrefix = "cp-node",
            TimeScale = 0.25,
            Listen = $"unix://{Path.Combine(Path.GetTempPath(), $"cp-sim-{Guid.NewGuid():N}.sock")}",
        });
        var simulated = await RunAsync(simulator.Endpoint, registry, prefix + "s");

        // ControlPlane's picture after each step, the same in both.
        Assert.Equal(real.Pictures.Count, simulated.Pictures.Count);
        for (var i = 0; i < real.Pictures.Count; i++)
        {
            Assert.Equal(real.Pictures[i].Replace(prefix + "r", "P", StringComparison.Ordinal), simulated.Pictures[i].Replace(prefix + "s", "P", StringComparison.Ordinal));
        }

        // Every route ControlPlane called on the real engine, answered in the same shapes by the simulator.
        var realShapes = ShapesByRoute(real.Exchanges, prefix + "r", real.OwnIds);
        var simulatedShapes = ShapesByRoute(simulated.Exchanges, prefix + "s", simulated.OwnIds);
        var problems = new List<string>();
        foreach (var (route, shape) in realShapes.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            if (!simulatedShapes.TryGetValue(route, out var simulatedShape))
            {
                problems.Add($"{route}: called on the real engine, never answered (with a body) by the simulator");
                continue;
            }
            problems.AddRange(Shapes.Differences(route, shape, simulatedShape));
        }
        foreach (var route in simulatedShapes.Keys.Except(realShapes.Keys))
        {
            problems.Add($"{route}: answered by the simulator only");
        }
        output.WriteLine($"routes compared: {string.Join(", ", realShapes.Keys.Order(StringComparer.Ordinal))}");
        output.WriteLine($"answers: {real.Exchanges.Count} real, {simulated.Exchanges.Count} simulated");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        // The comparison covered what the scenario is about, not just pings.
        Assert.Contains("GET /tasks", realShapes.Keys);
        Assert.Contains("GET /services/{id}", realShapes.Keys);
        Assert.Contains("GET /events", realShapes.Keys);
        Assert.Contains("POST /services/create", realShapes.Keys);
        Assert.Contains("POST /secrets/create", realShapes.Keys);
    }

    private sealed record Run(IReadOnlyList<Exchange> Exchanges, IReadOnlyList<string> Pictures, IReadOnlySet<string> OwnIds);

    private async Task<Run> RunAsync(string engine, string registry, string prefix)
    {
        await using var proxy = await RecordingProxy.StartAsync(engine);
        var pictures = new List<string>();
        var ownIds = new HashSet<string>(StringComparer.Ordinal);
        var started = DateTime.UtcNow;
        // Relists every 2 s, so both runs show the full listings with the scenario's objects in them.
        await using (var watched = new Watched(proxy.Endpoint, new ControlPlane.Docker.Watching.WatcherTimings { FastReconcile = TimeSpan.FromMilliseconds(500), SlowReconcile = TimeSpan.FromSeconds(2) }))
        {
            await watched.WaitForSyncAsync(TimeSpan.FromSeconds(60));
            var connection = watched.Connection;
            var connected = await connection.ConnectAsync(CancellationToken.None);
            var client = connected.Client;
            var service = $"{prefix}-svc";
            var secret = $"{prefix}-sec";
            var drained = "cp-node3";
            string? serviceId = null;
            string? secretId = null;
            try
            {
                // 1. a service of 3 replicas
                var create = await connection.CallAsync(client, c => c.Swarm.CreateServiceAsync(new ServiceCreateParameters
                {
                    Service = new ServiceSpec
                    {
                        Name = service,
                        Labels = new Dictionary<string, string> { ["test"] = prefix },
                        TaskTemplate = new TaskSpec { ContainerSpec = new ContainerSpec { Image = $"{registry}/demo/app:1" } },
                        Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = 3 } },
                        UpdateConfig = new SwarmUpdateConfig { Parallelism = 2, Delay = TimeSpan.Zero, Monitor = TimeSpan.FromSeconds(1), FailureAction = "pause", Order = "start-first" },
                    },
                }));
                serviceId = create.ID!;
                ownIds.Add(serviceId);
                pictures.Add(await PictureAsync(watched, serviceId, 3, "1", "the service's 3 replicas running", secret));

                // 2. scale to 5, read-modify-write on the spec version as ControlPlane's changes do
                await ChangeAsync(connection, connected, serviceId, spec => spec.Mode!.Replicated!.Replicas = 5);
                pictures.Add(await PictureAsync(watched, serviceId, 5, "1", "5 replicas running", secret));

                // 3. a rolling update to another image
                var changed = DateTimeOffset.UtcNow.AddSeconds(-1);
                await ChangeAsync(connection, connected, serviceId, spec => spec.TaskTemplate!.ContainerSpec!.Image = $"{registry}/demo/app:2");
                pictures.Add(await PictureAsync(watched, serviceId, 5, "2", "5 replicas of image 2 running", secret, changed));

                // 4. a secret, mounted
                secretId = (await connection.CallAsync(client, c => c.Secrets.CreateAsync(new SwarmSecretSpec
                {
                    Name = secret,
                    Labels = new Dictionary<string, string> { ["test"] = prefix },
                    Data = Encoding.UTF8.GetBytes("conformance"),
                }))).ID;
                ownIds.Add(secretId!);
                await watched.WaitForAsync(s => s.Secrets.Any(x => x.Id == secretId), "the secret in the store");
                changed = DateTimeOffset.UtcNow.AddSeconds(-1);
                await ChangeAsync(connection, connected, serviceId, spec => spec.TaskTemplate!.ContainerSpec!.Secrets =
                [
                    new SecretReference { SecretID = secretId, SecretName = secret, File = new SecretReferenceFileTarget { Name = "conformance", UID = "0", GID = "0", Mode = 0x124 } },
                ]);
                pictures.Add(await PictureAsync(watched, serviceId, 5, "2", "5 replicas with the secret running", secret, changed, mounted: true));

                // 5. drain a worker (briefly: the swarm is shared), then make it active again
                await SetAvailabilityAsync(connection, connected, drained, "drain");
                try
                {
                    await watched.WaitForAsync(s => s.Nodes.Any(n => n.Hostname == drained && n.Availability == "drain")
                        && !s.TasksOf(serviceId).Any(t => t.State == "running" && s.Nodes.Any(n => n.Id == t.NodeId && n.Hostname == drained))
                        && s.TasksOf(serviceId).Count(t => t.State == "running" && t.DesiredState == "running") == 5, "the drained node emptied", Converge);
                    var seen = DateTimeOffset.UtcNow;
                    pictures.Add(Picture(await watched.WaitForAsync(s => s.Cluster.LastSyncedAt > seen, "a full relist", Converge), serviceId, secret));
                }
                finally
                {
                    await SetAvailabilityAsync(connection, connected, drained, "active");
                }
                await watched.WaitForAsync(s => s.Nodes.Any(n => n.Hostname == drained && n.Availability == "active"), "the node active again");

                // 6. remove everything
                await connection.CallAsync(client, c => c.Swarm.RemoveServiceAsync(serviceId));
                await watched.WaitForAsync(s => !s.Services.Any(x => x.Id == serviceId), "the service gone from the store", Converge);
                serviceId = null;
                await RemoveSecretAsync(connection, client, secretId);
                await watched.WaitForAsync(s => !s.Secrets.Any(x => x.Id == secretId), "the secret gone from the store", Converge);
                secretId = null;
                pictures.Add(Picture(watched.State, null, secret));
                output.WriteLine($"{engine}: the watcher logged: {string.Join(" | ", watched.Log.Lines)}");
            }
            finally
            {
                if (serviceId is not null)
                {
                    await client.Swarm.RemoveServiceAsync(serviceId);
                }
                if (secretId is not null)
                {
                    await RemoveSecretAsync(connection, client, secretId);
                }
            }
        }
        if (Environment.GetEnvironmentVariable("CONFORMANCE_DUMP") is { Length: > 0 } dump)
        {
            // For a person looking into a difference: every answer, in order, as received.
            var directory = Directory.CreateDirectory(Path.Combine(dump, prefix));
            var n = 0;
            foreach (var exchange in proxy.Exchanges)
            {
                await File.WriteAllBytesAsync(Path.Combine(directory.FullName, $"{n++:D4}-{exchange.Method}-{Shapes.Route(exchange).Split(' ')[1].Replace('/', '_')}-{exchange.Status}.json"), [.. Encoding.UTF8.GetBytes(exchange.Path + exchange.Query + "\n"), .. exchange.Body]);
            }
        }
        output.WriteLine($"{engine}: scenario in {(DateTime.UtcNow - started).TotalSeconds:F1} s, {proxy.Exchanges.Count} answers recorded");
        return new Run([.. proxy.Exchanges], pictures, ownIds);
    }

    private static async Task RemoveSecretAsync(ClusterConnection connection, DockerClient client, string secretId)
    {
        // The engine refuses while the removed service's tasks still hold the secret; that passes in a moment.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await connection.CallAsync(client, c => c.Secrets.DeleteAsync(secretId));
                return;
            }
            catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.BadRequest && attempt < 60)
            {
                await Task.Delay(500);
            }
        }
    }

    private static Task ChangeAsync(ClusterConnection connection, ConnectedEngine engine, string serviceId, Action<ServiceSpec> change) =>
        EngineChanges.RetryOutOfSequenceAsync(async () =>
        {
            var (service, spec) = await EngineChanges.InspectServiceAsync(connection, engine, serviceId, CancellationToken.None);
            change(spec);
            await EngineChanges.UpdateServiceAsync(connection, engine, service, spec, CancellationToken.None);
            return true;
        });

    private static Task SetAvailabilityAsync(ClusterConnection connection, ConnectedEngine engine, string hostname, string availability) =>
        EngineChanges.RetryOutOfSequenceAsync(async () =>
        {
            var node = await connection.CallAsync(engine.Client, c => c.Swarm.InspectNodeAsync(hostname));
            await connection.CallAsync(engine.Client, c => c.Swarm.UpdateNodeAsync(node.ID!, node.Version!.Index!.Value,
                new NodeUpdateParameters { Name = node.Spec!.Name, Labels = node.Spec.Labels, Role = node.Spec.Role, Availability = availability }));
            return true;
        });

    private static async Task<string> PictureAsync(Watched watched, string serviceId, int replicas, string tag, string description, string secret, DateTimeOffset? updatedAfter = null, bool mounted = false)
    {
        ClusterState state;
        try
        {
        state = await watched.WaitForAsync(s => s.Services.FirstOrDefault(x => x.Id == serviceId) is { } service
            && service.ReplicasDesired == replicas
            && service.Image.EndsWith($":{tag}", StringComparison.Ordinal)
            && service.UpdateState is null or "completed"
            // A rolling update that has started and completed since the change, not the one before it.
            && (updatedAfter is null || service.Details.UpdateStartedAt >= updatedAfter && service.UpdateState == "completed")
            && (!mounted || service.Details.Secrets.Any(x => x.Name == secret))
            && s.TasksOf(serviceId).Count(t => t.State == "running" && t.DesiredState == "running") == replicas
            && s.TasksOf(serviceId).Where(t => t.DesiredState == "running").All(t => t.Image?.EndsWith($":{tag}", StringComparison.Ordinal) == true && t.State == "running"),
            description, Converge);
            // And a full relist seen since: both runs then record every listing with the step's objects in it.
            var seen = DateTimeOffset.UtcNow;
            state = await watched.WaitForAsync(s => s.Cluster.LastSyncedAt > seen, "a full relist", Converge);
        }
        catch (TimeoutException ex)
        {
            var now = watched.State;
            var service = now.Services.FirstOrDefault(x => x.Id == serviceId);
            throw new TimeoutException($"{ex.Message}\n{Picture(now, serviceId, secret)}service image {service?.Image} update {service?.UpdateState} started {service?.Details.UpdateStartedAt}; tasks: " +
                string.Join("; ", now.TasksOf(serviceId).Select(t => $"{t.Slot} {t.State}/{t.DesiredState} {t.Image} {t.Error}")), ex);
        }
        return Picture(state, serviceId, secret);
    }

    /// <summary>ControlPlane's picture of the scenario's objects, without what differs by nature (ids, times, placement).</summary>
    private static string Picture(ClusterState state, string? serviceId, string secret)
    {
        var text = new StringBuilder();
        foreach (var node in state.Nodes.OrderBy(n => n.Hostname, StringComparer.Ordinal))
        {
            text.AppendLine($"node {node.Hostname} {node.Role} {node.Availability} {node.State} leader={node.IsLeader}");
        }
        if (serviceId is not null && state.Services.FirstOrDefault(s => s.Id == serviceId) is { } service)
        {
            text.AppendLine($"service {service.Name} {service.Mode} {service.ReplicasDesired} image={service.Image} update={service.UpdateState} " +
                $"labels={string.Join(',', service.Labels.Select(l => $"{l.Key}={l.Value}"))} secrets={string.Join(',', service.Details.Secrets.Select(s => $"{s.Name}:{s.Target}:{s.Mode}"))} " +
                $"policy={service.Details.Update.Parallelism}/{service.Details.Update.Order}/{service.Details.Update.FailureAction}");
            var live = state.TasksOf(serviceId).Where(t => t.DesiredState == "running").ToList();
            text.AppendLine($"live tasks {live.Count}: {string.Join(',', live.GroupBy(t => $"{t.State}/{t.Image}").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}x{g.Count()}"))}");
            text.AppendLine($"slots {string.Join(',', live.Select(t => t.Slot).Order())}");
        }
        text.AppendLine($"secret present={state.Secrets.Any(s => s.Name == secret)}");
        return text.ToString();
    }

    /// <summary>
    /// The shape of every successful answer, per route, keeping of each listing only the scenario's own objects (the
    /// shared swarm holds others' services, whose specs have other fields) and the objects every engine has.
    /// </summary>
    private static Dictionary<string, Dictionary<string, HashSet<string>>> ShapesByRoute(IReadOnlyList<Exchange> exchanges, string prefix, IReadOnlySet<string> ownIds)
    {
        var shapes = new Dictionary<string, Dictionary<string, HashSet<string>>>(StringComparer.Ordinal);
        foreach (var exchange in exchanges.Where(e => e.Status is >= 200 and < 300))
        {
            var route = Shapes.Route(exchange);
            var general = route.Contains("/nodes", StringComparison.Ordinal) || route.Contains("/networks", StringComparison.Ordinal)
                || route is "GET /info" or "GET /version" or "GET /_ping" or "GET /images/json" or "GET /swarm" || route.StartsWith("GET /distribution", StringComparison.Ordinal);
            foreach (var value in Shapes.Values(exchange.Body))
            {
                var items = value.ValueKind == JsonValueKind.Array && route != "GET /images/json" ? value.EnumerateArray().ToList() : [value];
                foreach (var item in items)
                {
                    var raw = item.GetRawText();
                    var own = general || raw.Contains(prefix, StringComparison.Ordinal) || ownIds.Any(id => raw.Contains(id, StringComparison.Ordinal))
                        || route == "GET /events" && item.TryGetProperty("Type", out var type) && type.GetString() == "node";
                    if (!own)
                    {
                        continue;
                    }
                    var shape = shapes.TryGetValue(route, out var s) ? s : shapes[route] = new(StringComparer.Ordinal);
                    Shapes.Add(shape, value.ValueKind == JsonValueKind.Array && route != "GET /images/json" ? "$[]" : "$", item);
                }
            }
        }
        return shapes;
    }

    private static string Require(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{variable} is not set: run under tests/run.sh, or export what deploy/local-swarm.sh env prints.");
}
