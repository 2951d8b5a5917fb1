using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ControlPlane.Core.State;

namespace ControlPlane.Benchmarks;

/// <summary>
/// <c>--mode stack-deploy</c>: the same 10-service stack (one replica each of demo/app:1) deployed through ControlPlane's
/// API and with Debian's <c>/usr/bin/docker stack deploy</c> (20.10, the engines' release), alternately, each timed from
/// the request to every service running its task. The stack is removed and gone before the next deploy. Prints the
/// wall times, their medians and the ratio (goal ≤ 1.1).
/// </summary>
/// <remarks>Options: --rounds N (each round is one ControlPlane and one CLI deploy; default 3).</remarks>
internal static class StackDeployBenchmark
{
    private const double Goal = 1.1;
    private const int Services = 10;
    private const string Cli = "/usr/bin/docker";

    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = 3;
        for (var a = 0; a < args.Length; a++)
        {
            if (args[a] == "--rounds" && a + 1 < args.Length && int.TryParse(args[a + 1], CultureInfo.InvariantCulture, out var r) && r > 0)
            {
                rounds = r;
                a++;
            }
            else
            {
                Console.Error.WriteLine($"unknown or invalid argument '{args[a]}'. Usage: --mode stack-deploy --rounds N");
                return 2;
            }
        }
        var (target, dockerHost, problem) = LocalSwarmTarget.Resolve();
        if (target is null || !dockerHost.StartsWith("unix://", StringComparison.Ordinal))
        {
            Console.Error.WriteLine(problem ?? "this benchmark reads the engine through DOCKER_HOST's unix socket");
            return 2;
        }
        var registry = Environment.GetEnvironmentVariable("CONTROLPLANE_REGISTRY") is { Length: > 0 } configured ? configured : "10.99.0.1:5000";
        var compose = "version: \"3.9\"\nservices:\n" + string.Concat(Enumerable.Range(1, Services).Select(i => $"  s{i:00}:\n    image: {registry}/demo/app:1\n    deploy:\n      replicas: 1\n"));
        var run = Guid.NewGuid().ToString("N")[..5];
        var file = Path.Combine(Path.GetTempPath(), $"controlplane-bench-stack-{run}.yml");
        await File.WriteAllTextAsync(file, compose);
        var database = Path.Combine(Path.GetTempPath(), $"controlplane-bench-{run}.db");
        var adminPassword = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var app = BenchmarkHost.Build(database, adminPassword);
        using var engine = Engine(dockerHost);
        var stacks = new List<string>();
        try
        {
            await app.StartAsync();
            var clusterId = app.Services.GetRequiredService<ClusterStateStore>().Clusters[0].Id;
            using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = new Uri(app.Urls.First()) };
            using (var login = await http.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = adminPassword }))
            {
                login.EnsureSuccessStatusCode();
                // A Production host marks its cookie Secure, which a cookie container keeps off plain HTTP: sent by hand.
                http.DefaultRequestHeaders.Add("Cookie", string.Join("; ", login.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0])));
            }
            await WaitAsync(() => Task.FromResult(app.Services.GetRequiredService<ClusterStateStore>().GetState(clusterId)?.Nodes.Any() == true), TimeSpan.FromMinutes(1));

            var controlPlane = new List<double>();
            var cli = new List<double>();
            Console.WriteLine($"stack-deploy benchmark on {dockerHost}: {Services} services × 1 replica of demo/app:1, {rounds} rounds, ControlPlane vs {Cli} stack deploy");
            for (var round = 1; round <= rounds; round++)
            {
                var cp = $"hsbcp{run}{round}";
                stacks.Add(cp);
                var clock = Stopwatch.StartNew();
                using (var started = await http.PostAsJsonAsync($"/api/clusters/{clusterId}/stacks", new { name = cp, compose }))
                {
                    if (!started.IsSuccessStatusCode)
                    {
                        Console.Error.WriteLine($"the ControlPlane deploy was refused: {(int)started.StatusCode} {await started.Content.ReadAsStringAsync()}");
                        return 1;
                    }
                }
                await WaitRunningAsync(engine, cp);
                controlPlane.Add(clock.Elapsed.TotalSeconds);
                await RemoveAsync(engine, cp, () => http.DeleteAsync($"/api/clusters/{clusterId}/stacks/{cp}"));

                var viaCli = $"hsbcli{run}{round}";
                stacks.Add(viaCli);
                clock.Restart();
                await DockerAsync(dockerHost, "stack", "deploy", "-c", file, viaCli);
                await WaitRunningAsync(engine, viaCli);
                cli.Add(clock.Elapsed.TotalSeconds);
                await RemoveAsync(engine, viaCli, () => DockerAsync(dockerHost, "stack", "rm", viaCli));
                Console.WriteLine(FormattableString.Invariant($"round {round}: ControlPlane {controlPlane[^1]:0.00} s, docker stack deploy {cli[^1]:0.00} s"));
            }

            var ratio = Median(controlPlane) / Median(cli);
            Console.WriteLine(FormattableString.Invariant($"ControlPlane stack deploy, request → all {Services} services running: median {Median(controlPlane):0.00} s ({string.Join(", ", controlPlane.Select(x => x.ToString("0.00", CultureInfo.InvariantCulture)))})"));
            Console.WriteLine(FormattableString.Invariant($"docker stack deploy, start → all {Services} services running: median {Median(cli):0.00} s ({string.Join(", ", cli.Select(x => x.ToString("0.00", CultureInfo.InvariantCulture)))})"));
            Console.WriteLine(FormattableString.Invariant($"ratio ControlPlane / CLI: {ratio:0.000} (goal ≤ {Goal})"));
            return ratio <= Goal ? 0 : 1;
        }
        finally
        {
            foreach (var stack in stacks)
            {
                await RemoveAsync(engine, stack, () => DockerAsync(dockerHost, "stack", "rm", stack), quiet: true);
            }
            File.Delete(file);
            await BenchmarkHost.StopAsync(app, database);
        }
    }

    private static HttpClient Engine(string dockerHost)
    {
        var socket = new Uri(dockerHost).LocalPath;
        return new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), ct);
                return new NetworkStream(s, ownsSocket: true);
            },
        }) { BaseAddress = new Uri("http://engine/v1.41/") };
    }

    private static string Filter(string stack) => Uri.EscapeDataString($$"""{"label":["com.docker.stack.namespace={{stack}}"]}""");

    private static async Task<JsonArray> ListAsync(HttpClient engine, string path) => JsonNode.Parse(await engine.GetStringAsync(path)) as JsonArray ?? [];

    /// <summary>Until each of the stack's services has its one task running (the engine's own count, polled every 100 ms).</summary>
    private static Task WaitRunningAsync(HttpClient engine, string stack) => WaitAsync(async () =>
    {
        var services = await ListAsync(engine, $"services?status=true&filters={Filter(stack)}");
        return services.Count == Services && services.All(s => (long?)s!["ServiceStatus"]?["RunningTasks"] == 1);
    }, TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(100));

    private static async Task RemoveAsync(HttpClient engine, string stack, Func<Task> remove, bool quiet = false)
    {
        try
        {
            if ((await ListAsync(engine, $"services?filters={Filter(stack)}")).Count == 0 && (await ListAsync(engine, $"networks?filters={Filter(stack)}")).Count == 0)
            {
                return;
            }
            await remove();
            await WaitAsync(async () => (await ListAsync(engine, $"services?filters={Filter(stack)}")).Count == 0
                && (await ListAsync(engine, $"networks?filters={Filter(stack)}")).Count == 0, TimeSpan.FromMinutes(2));
        }
        catch (Exception) when (quiet)
        {
            // Cleanup at the end: what is left is reported by the swarm itself.
        }
    }

    private static async Task DockerAsync(string dockerHost, params string[] arguments)
    {
        var start = new ProcessStartInfo(Cli) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-H");
        start.ArgumentList.Add(dockerHost);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', arguments)} failed ({process.ExitCode}): {await errors}");
        }
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the swarm did not reach the expected state in time");
            }
            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(200));
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
