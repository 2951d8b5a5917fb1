using System.Diagnostics;
using System.IO.Compression;
using System.Net.Http.Json;
using ControlPlane.Core.State;
using ControlPlane.Web.DockerApi;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Benchmarks;

/// <summary>
/// Debian's docker CLI (/usr/bin/docker, 20.10) directly against the manager and through ControlPlane's Docker API
/// endpoint with an Admin client bundle (DESIGN §10): <c>service ls</c> and <c>service inspect</c> N times each (p50/p99),
/// and <c>stack deploy</c> of a 10-service stack both ways. Goals: ≤ 1.2× the direct time for reads, ≤ 1.1× for the deploy.
///
///   dotnet run -c Release --project tests/ControlPlane.Benchmarks -- --mode docker-cli [--count 50]
/// </summary>
internal static class DockerCliBenchmark
{
    private const string Docker = "/usr/bin/docker";
    private const int StackServices = 10;

    public static async Task<int> RunAsync(string[] args)
    {
        var count = Option(args, "--count", 50);
        var deploys = Option(args, "--deploys", 5);
        var stacks = new StackNames();
        var (target, dockerHost, problem) = LocalSwarmTarget.Resolve();
        if (target is null)
        {
            Console.Error.WriteLine(problem);
            return 2;
        }
        var registry = Environment.GetEnvironmentVariable("CONTROLPLANE_REGISTRY") is { Length: > 0 } configured ? configured : "10.99.0.1:5000";
        var run = Guid.NewGuid().ToString("N")[..5];
        var work = Directory.CreateTempSubdirectory($"hd-bench-{run}-").FullName;
        var database = Path.Combine(work, "controlplane.db");
        var adminPassword = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var app = BenchmarkHost.Build(database, adminPassword,
            "--ControlPlane:DockerApi:Url=https://127.0.0.1:0", "--ControlPlane:DockerApi:Hostnames:0=127.0.0.1", $"--ControlPlane:Audit:KeyFile={Path.Combine(work, "audit.key")}");
        var service = $"hdbench{run}";
        var compose = Path.Combine(work, "stack.yml");
        await File.WriteAllTextAsync(compose, "version: \"3.8\"\nservices:\n" + string.Concat(Enumerable.Range(1, StackServices).Select(i => $"  s{i:00}:\n    image: {registry}/demo/app:1\n    deploy:\n      replicas: 0\n")));
        string[] direct = [];
        string[] through = [];
        try
        {
            await app.StartAsync();
            var store = app.Services.GetRequiredService<ClusterStateStore>();
            var clusterId = store.Clusters[0].Id;
            using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = new Uri(app.Urls.First()) };
            using (var login = await http.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = adminPassword }))
            {
                login.EnsureSuccessStatusCode();
                http.DefaultRequestHeaders.Add("Cookie", string.Join("; ", login.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0])));
            }
            var bundle = Path.Combine(work, "bundle");
            using (var created = await http.PostAsJsonAsync("/api/clientbundles", new { name = "bench", expiresInDays = 1, cluster = clusterId }))
            {
                created.EnsureSuccessStatusCode();
                ZipFile.ExtractToDirectory(await created.Content.ReadAsStreamAsync(), bundle);
            }
            var port = app.Services.GetRequiredService<DockerApiServer>().ListeningOn!.Port;
            direct = ["-H", dockerHost];
            through = ["-H", $"tcp://127.0.0.1:{port}/clusters/{clusterId}", "--tlsverify", "--tlscacert", Path.Combine(bundle, "ca.pem"),
                "--tlscert", Path.Combine(bundle, "cert.pem"), "--tlskey", Path.Combine(bundle, "key.pem")];
            await DockerAsync([.. direct, "service", "create", "--detach", "--replicas", "0", "--name", service, $"{registry}/demo/app:1"]);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (store.GetState(clusterId)?.FindService(service) is null && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            // The direct path is the manager's unix socket, without TLS; every CLI process through ControlPlane pays a TLS
            // handshake. When the swarm also offers the manager's TLS endpoint, the CLI is timed on it too, so the
            // comparison with a path that pays the same handshake is printed beside the one with the socket.
            string[]? directTls = Environment.GetEnvironmentVariable("CONTROLPLANE_TLS_ENDPOINT") is { Length: > 0 } tlsEndpoint
                && Environment.GetEnvironmentVariable("CONTROLPLANE_TLS_CA") is { Length: > 0 } tlsCa
                && Environment.GetEnvironmentVariable("CONTROLPLANE_TLS_CERT") is { Length: > 0 } tlsCert
                && Environment.GetEnvironmentVariable("CONTROLPLANE_TLS_KEY") is { Length: > 0 } tlsKey
                ? ["-H", tlsEndpoint, "--tlsverify", "--tlscacert", tlsCa, "--tlscert", tlsCert, "--tlskey", tlsKey]
                : null;

            Console.WriteLine($"docker-cli benchmark on {dockerHost}: Debian's docker CLI, {count} × service ls and service inspect, stack deploy of {StackServices} services, {deploys} × each way");
            var ok = true;
            foreach (var (name, command) in new (string, string[])[] { ("service ls", ["service", "ls"]), ("service inspect", ["service", "inspect", service]) })
            {
                // Interleaved, so a busy moment on the shared machine falls on both paths alike.
                var (straight, proxied, overTls) = await TimeInterleavedAsync(count, () => DockerAsync([.. direct, .. command]), () => DockerAsync([.. through, .. command]),
                    directTls is null ? null : () => DockerAsync([.. directTls, .. command]));
                ok &= Report(name, "socket", straight, proxied, 1.2);
                if (overTls is not null)
                {
                    Report(name, "TLS", overTls, proxied, 1.2);
                }
            }
            // Each deploy of the same file again is an update of 10 services; the first is the create. Timed as creates: a new stack each time.
            var (deployDirect, deployThrough, deployTls) = await TimeInterleavedAsync(deploys,
                () => DockerAsync([.. direct, "stack", "deploy", "-c", compose, $"hdbd{run}{stacks.Add()}"]),
                () => DockerAsync([.. through, "stack", "deploy", "-c", compose, $"hdbt{run}{stacks.Add()}"]),
                directTls is null ? null : () => DockerAsync([.. directTls, "stack", "deploy", "-c", compose, $"hdbs{run}{stacks.Add()}"]));
            ok &= Report("stack deploy", "socket", deployDirect, deployThrough, 1.1);
            if (deployTls is not null)
            {
                Report("stack deploy", "TLS", deployTls, deployThrough, 1.1);
            }
            return ok ? 0 : 1;
        }
        finally
        {
            if (direct.Length > 0)
            {
                await DockerAsync([.. direct, "service", "rm", service], quiet: true);
                foreach (var stack in stacks.Names(run))
                {
                    await DockerAsync([.. direct, "stack", "rm", stack], quiet: true);
                }
            }
            await BenchmarkHost.StopAsync(app, database);
            Directory.Delete(work, recursive: true);
        }
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], out var value) && value > 0 ? value : fallback;
    }

    private static bool Report(string name, string directWay, List<double> direct, List<double> through, double goal)
    {
        var ratio = Percentile(through, 50) / Percentile(direct, 50);
        Console.WriteLine($"  {name,-16} direct ({directWay,-6}) p50 {Percentile(direct, 50),7:0.0} ms p99 {Percentile(direct, 99),7:0.0} ms | through ControlPlane p50 {Percentile(through, 50),7:0.0} ms p99 {Percentile(through, 99),7:0.0} ms | {ratio:0.00}× (goal ≤ {goal}×)");
        return ratio <= goal;
    }

    private static async Task<(List<double> A, List<double> B, List<double>? C)> TimeInterleavedAsync(int count, Func<Task> a, Func<Task> b, Func<Task>? c)
    {
        List<double> timesA = new(count), timesB = new(count);
        var timesC = c is null ? null : new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            timesA.Add(await TimeOnceAsync(a));
            timesB.Add(await TimeOnceAsync(b));
            if (c is not null)
            {
                timesC!.Add(await TimeOnceAsync(c));
            }
        }
        return (timesA, timesB, timesC);
    }

    private static async Task<double> TimeOnceAsync(Func<Task> act)
    {
        var clock = Stopwatch.StartNew();
        await act();
        return clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>The stacks a run deploys, one new name per deploy, so each is timed as a create and all are removed after.</summary>
    private sealed class StackNames
    {
        private int _count;

        public int Add() => ++_count;

        public IEnumerable<string> Names(string run) =>
            Enumerable.Range(1, _count).SelectMany(i => new[] { $"hdbd{run}{i}", $"hdbt{run}{i}", $"hdbs{run}{i}" });
    }

    private static double Percentile(List<double> values, int percentile)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    private static async Task DockerAsync(string[] args, bool quiet = false)
    {
        var start = new ProcessStartInfo(Docker) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DOCKER_CONFIG"] = Path.Combine(Path.GetTempPath(), "hd-bench-docker-config");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await output;
        if (process.ExitCode != 0 && !quiet)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', args)} failed: {await error}");
        }
    }
}
