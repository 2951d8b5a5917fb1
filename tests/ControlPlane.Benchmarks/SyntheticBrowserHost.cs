using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ControlPlane.Benchmarks;

/// <summary>
/// What the browser benchmarks (first-render, page-memory) stand on: Debian's headless Chromium, and the real app on
/// Kestrel with a synthetic cluster in its store and no swarm (the cluster's endpoint is a socket that does not exist,
/// so the watcher never overwrites the picture).
/// </summary>
internal sealed record SyntheticBrowserHost(WebApplication App, string Database, string Url, string AdminPassword, ClusterStateStore Store, string ClusterId, int Nodes)
{
    private const string ChromiumPath = "/usr/bin/chromium";
    private const string ClusterName = "synthetic";

    /// <summary>Headless Chromium, or null (said on standard error) when it is not installed.</summary>
    public static async Task<IBrowser?> LaunchChromiumAsync(IPlaywright playwright)
    {
        if (!File.Exists(ChromiumPath))
        {
            Console.Error.WriteLine($"ControlPlane.Benchmarks: {ChromiumPath} is missing (apt-get install -y chromium).");
            return null;
        }
        return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <summary>Starts the app and fills its store with <paramref name="services"/> services (tasks five times that, nodes a tenth, at least 3).</summary>
    public static async Task<SyntheticBrowserHost> StartAsync(int services)
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var database = Path.Combine(Path.GetTempPath(), $"controlplane-bench-{run}.db");
        var adminPassword = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var app = BenchmarkHost.Build(database, adminPassword,
            $"--ControlPlane:Clusters:0:Name={ClusterName}",
            $"--ControlPlane:Clusters:0:Endpoints:0=unix:///tmp/controlplane-bench-{run}-none.sock",
            // Pages need blazor.web.js and MudBlazor's assets, which an unpublished host serves only in Development.
            "--environment", "Development",
            "--Logging:LogLevel:ControlPlane.Docker.Watching=Error",
            "--Logging:LogLevel:Microsoft.AspNetCore=Error");
        await app.StartAsync();
        var store = app.Services.GetRequiredService<ClusterStateStore>();
        var clusterId = store.Clusters.Single().Id;
        // The watcher's first attempt fails at once; fill the store after it, and it only retries status from then on.
        await PageMemoryBenchmark.WaitUntilAsync(() => store.GetState(clusterId)!.Cluster.Status != ClusterStatus.Connecting, TimeSpan.FromSeconds(30));
        var nodes = Math.Max(3, services / 10);
        var state = SyntheticCluster.Build(nodes, services, clusterId);
        store.Apply(clusterId, Enum.GetValues<ResourceKind>().SelectMany(state.All).Select(ResourceChange.Upsert).ToList(),
            store.GetState(clusterId)!.Cluster with { Status = ClusterStatus.Synced, Error = null, LastSyncedAt = DateTimeOffset.UtcNow });
        return new SyntheticBrowserHost(app, database, app.Urls.First(), adminPassword, store, clusterId, nodes);
    }

    public Task StopAsync() => BenchmarkHost.StopAsync(App, Database);
}
