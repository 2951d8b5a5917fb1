using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using ControlPlane.Docker.Connection;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Benchmarks;

/// <summary>
/// <c>--mode rollout</c>: the same rollout (3 replicas spread one per node, parallelism 1, delay 1 s, Docker's default
/// 5 s monitor) done through ControlPlane's API and with <c>docker service update --image</c> (which waits for convergence
/// by default) on the same service, alternating demo/app:1 and :2. Prints both wall times, their ratio (goal ≤ 1.1)
/// and, for ControlPlane, the time from the last task's "running" timestamp (Docker's task status) to the operation's
/// finish, and from Docker's UpdateStatus.CompletedAt to it.
/// </summary>
/// <remarks>Options: --rounds N (each round is one ControlPlane and one CLI rollout; default 2). Needs the docker CLI on PATH.</remarks>
internal static class RolloutBenchmark
{
    private const double Goal = 1.1;

    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = 2;
        for (var a = 0; a < args.Length; a++)
        {
            if (args[a] == "--rounds" && a + 1 < args.Length && int.TryParse(args[a + 1], CultureInfo.InvariantCulture, out var r) && r > 0)
            {
                rounds = r;
                a++;
            }
            else
            {
                Console.Error.WriteLine($"unknown or invalid argument '{args[a]}'. Usage: --mode rollout --rounds N");
                return 2;
            }
        }
        var (target, dockerHost, problem) = LocalSwarmTarget.Resolve();
        if (target is not { } definition)
        {
            Console.Error.WriteLine(problem);
            return 2;
        }
        var registry = Environment.GetEnvironmentVariable("CONTROLPLANE_REGISTRY") is { Length: > 0 } configured ? configured : "10.99.0.1:5000";
        string Image(int version) => $"{registry}/demo/app:{version}";

        var run = Guid.NewGuid().ToString("N")[..6];
        var name = $"bench-ro-{run}";
        var database = Path.Combine(Path.GetTempPath(), $"controlplane-bench-{run}.db");
        var adminPassword = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var app = BenchmarkHost.Build(database, adminPassword);
        using var docker = DockerClientFactory.Create(definition.Endpoints[0]);
        string? serviceId = null;
        try
        {
            await app.StartAsync();
            var store = app.Services.GetRequiredService<ClusterStateStore>();
            var clusterId = store.Clusters[0].Id;
            using var http = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer() }) { BaseAddress = new Uri(app.Urls.First()) };
            (await http.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = adminPassword })).EnsureSuccessStatusCode();

            serviceId = (await docker.Swarm.CreateServiceAsync(new ServiceCreateParameters
            {
                Service = new ServiceSpec
                {
                    Name = name,
                    Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = 3 } },
                    TaskTemplate = new TaskSpec
                    {
                        ContainerSpec = new ContainerSpec { Image = Image(1) },
                        Placement = new Placement { MaxReplicas = 1 },
                    },
                    UpdateConfig = new SwarmUpdateConfig { Parallelism = 1, Delay = TimeSpan.FromSeconds(1), FailureAction = "pause" },
                },
            })).ID!;
            await WaitAsync(async () => (await RunningAsync(docker, serviceId)).Count == 3, TimeSpan.FromMinutes(2));
            await WaitAsync(() => Task.FromResult(store.GetState(clusterId)?.FindService(name)?.ReplicasRunning == 3), TimeSpan.FromMinutes(1));

            var controlPlane = new List<double>();
            var cli = new List<double>();
            var fromLastRunning = new List<double>();
            var fromCompleted = new List<double>();
            var version = 1;
            Console.WriteLine($"rollout benchmark on {dockerHost}: service {name}, 3 replicas one per node, parallelism 1, delay 1 s, monitor 5 s (Docker's default), {rounds} rounds");
            for (var round = 1; round <= rounds; round++)
            {
                version = 3 - version;
                var clock = Stopwatch.StartNew();
                using var started = await http.PostAsJsonAsync($"/api/clusters/{clusterId}/services/{name}/rollout",
                    new { image = Image(version), update = new { parallelism = 1, delaySeconds = 1 } });
                var operationId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("operationId").GetString();
                JsonElement operation;
                while (true)
                {
                    operation = await http.GetFromJsonAsync<JsonElement>($"/api/operations/{operationId}");
                    if (operation.GetProperty("state").GetString() is not ("running" or "pending"))
                    {
                        break;
                    }
                    await Task.Delay(20);
                }
                clock.Stop();
                if (operation.GetProperty("state").GetString() != "succeeded")
                {
                    Console.Error.WriteLine($"the ControlPlane rollout did not succeed: {operation}");
                    return 1;
                }
                var finished = operation.GetProperty("finishedAt").GetDateTimeOffset();
                var lastRunning = (await RunningAsync(docker, serviceId)).Max(t => t.Status!.Timestamp) ?? DateTime.UtcNow;
                var completed = (await docker.Swarm.InspectServiceAsync(serviceId)).UpdateStatus?.CompletedAt;
                controlPlane.Add(clock.Elapsed.TotalSeconds);
                fromLastRunning.Add((finished - new DateTimeOffset(DateTime.SpecifyKind(lastRunning.ToUniversalTime(), DateTimeKind.Utc))).TotalMilliseconds);
                if (completed is { } c)
                {
                    fromCompleted.Add((finished - new DateTimeOffset(DateTime.SpecifyKind(c.ToUniversalTime(), DateTimeKind.Utc))).TotalMilliseconds);
                }

                version = 3 - version;
                clock.Restart();
                var cliRun = Process.Start(new ProcessStartInfo("docker", ["service", "update", "--quiet", "--image", Image(version), "--update-parallelism", "1", "--update-delay", "1s", name])
                {
                    Environment = { ["DOCKER_HOST"] = dockerHost },
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                })!;
                var errors = cliRun.StandardError.ReadToEndAsync();
                await cliRun.StandardOutput.ReadToEndAsync();
                await cliRun.WaitForExitAsync();
                clock.Stop();
                if (cliRun.ExitCode != 0)
                {
                    Console.Error.WriteLine($"docker service update failed ({cliRun.ExitCode}): {await errors}");
                    return 1;
                }
                cli.Add(clock.Elapsed.TotalSeconds);
                Console.WriteLine(FormattableString.Invariant(
                    $"round {round}: ControlPlane {controlPlane[^1]:0.00} s (to :{3 - version}), docker CLI {cli[^1]:0.00} s (to :{version}); last task running → ControlPlane success {fromLastRunning[^1]:0} ms"));
                // The CLI returns when it has seen convergence; let the watcher see it too before the next round.
                await WaitAsync(() => Task.FromResult(store.GetState(clusterId)?.FindService(name) is { IsUpdating: false, ReplicasRunning: 3 }), TimeSpan.FromMinutes(1));
            }

            var ratio = Median(controlPlane) / Median(cli);
            Console.WriteLine(FormattableString.Invariant($"ControlPlane rollout wall time: median {Median(controlPlane):0.00} s ({string.Join(", ", controlPlane.Select(x => x.ToString("0.00", CultureInfo.InvariantCulture)))})"));
            Console.WriteLine(FormattableString.Invariant($"docker service update wall time: median {Median(cli):0.00} s ({string.Join(", ", cli.Select(x => x.ToString("0.00", CultureInfo.InvariantCulture)))})"));
            Console.WriteLine(FormattableString.Invariant($"ratio ControlPlane / CLI: {ratio:0.000} (goal ≤ {Goal})"));
            Console.WriteLine(FormattableString.Invariant($"last task running → ControlPlane reports success: median {Median(fromLastRunning):0} ms, of which 5000 ms is Docker's monitor period (the CLI waits it out too): {Median(fromLastRunning) - 5000:0} ms beyond it"));
            if (fromCompleted.Count > 0)
            {
                Console.WriteLine(FormattableString.Invariant($"Docker's UpdateStatus completed → ControlPlane reports success: median {Median(fromCompleted):0} ms"));
            }
            return ratio <= Goal ? 0 : 1;
        }
        finally
        {
            if (serviceId is not null)
            {
                await docker.Swarm.RemoveServiceAsync(serviceId);
            }
            await BenchmarkHost.StopAsync(app, database);
        }
    }

    private static async Task<List<TaskResponse>> RunningAsync(DockerClient docker, string serviceId)
    {
        var tasks = await docker.Tasks.ListAsync(new TasksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = new Dictionary<string, bool> { [serviceId] = true } },
        });
        return tasks.Where(t => t.ServiceID == serviceId && t.DesiredState == TaskState.Running && t.Status?.State == TaskState.Running).ToList();
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the swarm did not reach the expected state in time");
            }
            await Task.Delay(200);
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
