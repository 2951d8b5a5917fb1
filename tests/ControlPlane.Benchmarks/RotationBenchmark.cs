using System.Diagnostics;
using System.Globalization;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Secrets;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Docker.Connection;
using ControlPlane.Web.Changes;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Benchmarks;

/// <summary>
/// <c>--mode rotation</c>: rotating a secret used by 2 services × 3 replicas, by hand with the docker CLI
/// (<c>secret create</c>, <c>service update --secret-rm --secret-add</c> per service, <c>secret rm</c>) and
/// through ControlPlane (the real app in-process, its rotation operation), on the same services. Prints both
/// wall times, their ratio, and the fewest running tasks of any service seen while each ran (sampled every 200 ms).
/// </summary>
/// <remarks>
/// The services keep Docker's default update settings (parallelism 1, stop-first), which the CLI run uses as
/// they are; ControlPlane's rotation starts new tasks first where the service allows it, for its own update
/// only (each service gets its policy back afterwards). Options: --replicas N (default 3), --services N (default 2).
/// Everything it creates is named rot-&lt;run&gt;-* and removed at the end.
/// </remarks>
internal static class RotationBenchmark
{
    private static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(200);

    public static async Task<int> RunAsync(string[] args)
    {
        var replicas = 3;
        var serviceCount = 2;
        for (var a = 0; a < args.Length; a++)
        {
            var value = a + 1 < args.Length ? args[a + 1] : null;
            switch (args[a])
            {
                case "--replicas" when int.TryParse(value, CultureInfo.InvariantCulture, out var r) && r > 0:
                    replicas = r;
                    a++;
                    break;
                case "--services" when int.TryParse(value, CultureInfo.InvariantCulture, out var s) && s > 0:
                    serviceCount = s;
                    a++;
                    break;
                default:
                    return Fail($"unknown or invalid argument '{args[a]}'. Usage: --mode rotation --replicas N --services N");
            }
        }
        var (target, dockerHost, problem) = LocalSwarmTarget.Resolve();
        if (target is not { } definition)
        {
            return Fail(problem!);
        }

        var run = Guid.NewGuid().ToString("N")[..6];
        var prefix = $"rot-{run}-";
        var family = $"{prefix}db";
        var database = Path.Combine(Path.GetTempPath(), $"controlplane-rotation-bench-{run}.db");
        var app = BenchmarkHost.Build(database, $"{Guid.NewGuid():N}");
        using var docker = DockerClientFactory.Create(definition.Endpoints[0]);
        var serviceIds = new List<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        var ct = cts.Token;
        try
        {
            await app.StartAsync(ct);
            var store = app.Services.GetRequiredService<ClusterStateStore>();
            var clusterId = store.Clusters[0].Id;
            if (!await WaitUntilAsync(() => store.GetState(clusterId)!.Cluster.Status == ClusterStatus.Synced, TimeSpan.FromSeconds(30), ct))
            {
                return Fail($"the app did not sync with {dockerHost} within 30 s.");
            }

            var v1 = await docker.Secrets.CreateAsync(new SwarmSecretSpec
            {
                Name = SecretFamily.VersionName(family, 1),
                Labels = SecretFamily.Labels(family, 1, "benchmark"),
                Data = Value(),
            }, ct);
            var names = Enumerable.Range(1, serviceCount).Select(i => $"{prefix}svc{i}").ToList();
            foreach (var name in names)
            {
                var created = await docker.Swarm.CreateServiceAsync(new ServiceCreateParameters
                {
                    Service = new ServiceSpec
                    {
                        Name = name,
                        Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = (ulong)replicas } },
                        TaskTemplate = new TaskSpec
                        {
                            ContainerSpec = new ContainerSpec
                            {
                                Image = $"{Registry()}/demo/app:1",
                                Secrets = [new SecretReference { SecretID = v1.ID, SecretName = SecretFamily.VersionName(family, 1), File = new SecretReferenceFileTarget { Name = "db-password", UID = "0", GID = "0", Mode = 0x124 } }],
                            },
                            // Spread over the nodes, as a production service would be.
                            Placement = new Placement { Preferences = [new PlacementPreference { Spread = new SpreadOver { SpreadDescriptor = "node.id" } }] },
                        },
                    },
                }, ct);
                serviceIds.Add(created.ID!);
            }
            if (!await WaitUntilAsync(async () => (await RunningAsync(docker, serviceIds, ct)).Values.All(n => n == replicas), TimeSpan.FromMinutes(3), ct))
            {
                return Fail($"the services did not reach {replicas} running tasks each within 3 minutes.");
            }
            Console.WriteLine($"Run {run}: family {family} used by {serviceCount} services × {replicas} replicas, DOCKER_HOST={dockerHost}");

            // By hand, as the docker CLI does it: new secret, one update per service (waits for convergence), remove the old one.
            var v2Name = SecretFamily.VersionName(family, 2);
            var valueFile = Path.Combine(Path.GetTempPath(), $"{prefix}value");
            await File.WriteAllBytesAsync(valueFile, Value(), ct);
            var (cliTime, cliLowest) = await MeasureAsync(docker, serviceIds, async () =>
            {
                await CliAsync(dockerHost, ct, "secret", "create", "--label", $"{FileObjectList.FamilyLabel}={family}", "--label", $"{FileObjectList.VersionLabel}=2", v2Name, valueFile);
                foreach (var name in names)
                {
                    await CliAsync(dockerHost, ct, "service", "update", "--quiet", "--secret-rm", SecretFamily.VersionName(family, 1), "--secret-add", $"source={v2Name},target=db-password", name);
                }
                await CliAsync(dockerHost, ct, "secret", "rm", SecretFamily.VersionName(family, 1));
            }, ct);
            File.Delete(valueFile);

            // ControlPlane sees version 2 in use by every service before it rotates to 3.
            if (!await WaitUntilAsync(() => FileFamilies.Find(store.GetState(clusterId)!, FileObjectKind.Secret, family) is { Versions: [{ Version: 2 } newest] } && newest.UsedBy.Count == serviceCount,
                TimeSpan.FromSeconds(60), ct))
            {
                return Fail("ControlPlane did not see the CLI's rotation within 60 s.");
            }
            var changes = app.Services.GetRequiredService<FileFamilyCommands>();
            var runner = app.Services.GetRequiredService<OperationRunner>();
            var operations = app.Services.GetRequiredService<IOperationStore>();
            var caller = new ChangeCaller("benchmark", [new Grant(0, "benchmark", Role.Admin, AccessScope.Everywhere)], null);
            Operation? finished = null;
            var (cpTime, cpLowest) = await MeasureAsync(docker, serviceIds, async () =>
            {
                var start = await changes.RotateAsync(caller, clusterId, FileObjectKind.Secret, family, new ValueSource(Convert.ToBase64String(Value()), null), 0, ct);
                if (!start.Started)
                {
                    throw new InvalidOperationException($"ControlPlane refused the rotation: {start.Message}");
                }
                await runner.WhenFinishedAsync(start.OperationId!);
                finished = await operations.FindAsync(start.OperationId!, ct);
            }, ct);
            if (finished?.State != OperationStates.Succeeded)
            {
                return Fail($"ControlPlane's rotation ended {finished?.State}: {finished?.Error}");
            }

            Console.WriteLine();
            Console.WriteLine($"{"rotation",-28}{"wall s",9}{"min running (of " + replicas + ")",22}");
            Console.WriteLine($"{"docker CLI (stop-first)",-28}{cliTime.TotalSeconds,9:F1}{cliLowest,22}");
            Console.WriteLine($"{"ControlPlane (operation)",-28}{cpTime.TotalSeconds,9:F1}{cpLowest,22}");
            Console.WriteLine($"ControlPlane / CLI wall time: {cpTime.TotalSeconds / cliTime.TotalSeconds:F2}");
            Console.WriteLine($"Fewest running tasks of any service while rotating: CLI {cliLowest}, ControlPlane {cpLowest} (of {replicas}).");
            return 0;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"Benchmark failed: {ClusterConnection.Describe(ex)}");
            Console.Error.WriteLine(ex);
            return 1;
        }
        finally
        {
            using var cleanup = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            foreach (var id in serviceIds)
            {
                await Quietly(() => docker.Swarm.RemoveServiceAsync(id, cleanup.Token));
            }
            // A secret stays "in use" until the removed services' tasks are gone.
            await WaitUntilAsync(async () =>
            {
                var left = (await docker.Secrets.ListAsync(cleanup.Token)).Where(s => s.Spec?.Name?.StartsWith(prefix, StringComparison.Ordinal) == true).ToList();
                foreach (var secret in left)
                {
                    await Quietly(() => docker.Secrets.DeleteAsync(secret.ID!, cleanup.Token));
                }
                return left.Count == 0;
            }, TimeSpan.FromSeconds(60), cleanup.Token);
            await BenchmarkHost.StopAsync(app, database, cleanup.Token);
        }
    }

    /// <summary>Runs <paramref name="rotate"/>, sampling running tasks per service every 200 ms; answers its wall time and the lowest count seen.</summary>
    private static async Task<(TimeSpan Wall, int Lowest)> MeasureAsync(DockerClient docker, IReadOnlyList<string> serviceIds, Func<Task> rotate, CancellationToken ct)
    {
        var lowest = int.MaxValue;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sampling = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(SampleInterval);
            try
            {
                do
                {
                    var running = await RunningAsync(docker, serviceIds, CancellationToken.None);
                    lowest = Math.Min(lowest, running.Values.Min());
                }
                while (await timer.WaitForNextTickAsync(stop.Token));
            }
            catch (OperationCanceledException)
            {
                // The rotation ended.
            }
        }, CancellationToken.None);
        var clock = Stopwatch.StartNew();
        await rotate();
        clock.Stop();
        await stop.CancelAsync();
        await sampling;
        return (clock.Elapsed, lowest);
    }

    private static async Task<Dictionary<string, int>> RunningAsync(DockerClient docker, IReadOnlyList<string> serviceIds, CancellationToken ct)
    {
        var tasks = await docker.Tasks.ListAsync(new TasksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = serviceIds.ToDictionary(id => id, _ => true) },
        }, ct);
        return serviceIds.ToDictionary(id => id, id => tasks.Count(t => t.ServiceID == id && t.Status?.State == TaskState.Running));
    }

    private static async Task CliAsync(string dockerHost, CancellationToken ct, params string[] args)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-H");
        start.ArgumentList.Add(dockerHost);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the docker CLI.");
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}");
        }
    }

    private static byte[] Value() => SecretGenerator.Generate(32, "alphanumeric");

    private static string Registry() =>
        Environment.GetEnvironmentVariable("CONTROLPLANE_REGISTRY") is { Length: > 0 } configured ? configured : "10.99.0.1:5000";

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout, CancellationToken ct) =>
        await WaitUntilAsync(() => Task.FromResult(condition()), timeout, ct);

    private static async Task<bool> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            try
            {
                if (await condition())
                {
                    return true;
                }
            }
            catch (DockerApiException)
            {
                // Asked again at the next tick.
            }
            await Task.Delay(200, ct);
        }
        return false;
    }

    private static async Task Quietly(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception ex) when (ex is DockerApiException or OperationCanceledException)
        {
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"ControlPlane.Benchmarks --mode rotation: {message}");
        return 2;
    }
}
