using System.Globalization;
using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ControlPlane.Benchmarks;

/// <summary>
/// <c>--mode page-memory</c>: server memory per open browser on the Services page (goal ≤ 1 MB, DESIGN §11).
/// Runs the real app on Kestrel with a synthetic cluster in its store (no swarm: the cluster's endpoint is a
/// socket that does not exist, so the watcher never overwrites the picture), opens N pages of /services in
/// headless Chromium (Debian's, /usr/bin/chromium; each page its own browser context, so its own circuit),
/// waits until every page's circuit has subscribed to the store, forces a full GC and divides the growth of
/// the live managed heap (<see cref="GC.GetTotalMemory(bool)"/>) by N.
/// </summary>
/// <remarks>Options: --pages 20 (per size); --services 20,10000 (tasks five times that, nodes a tenth, at least 3);
/// --hold 60 (seconds to wait after each heap reading, with the process id printed, so that
/// <c>dotnet-gcdump collect -p PID</c> can take a dump with 1 page and with N+1 pages open, to diff by type).</remarks>
internal static class PageMemoryBenchmark
{

    public static async Task<int> RunAsync(string[] args)
    {
        var pages = 20;
        var hold = 0;
        int[] sizes = [20, 10_000];
        for (var a = 0; a < args.Length; a++)
        {
            var value = a + 1 < args.Length ? args[a + 1] : null;
            switch (args[a])
            {
                case "--pages" when int.TryParse(value, CultureInfo.InvariantCulture, out var p) && p > 0:
                    pages = p;
                    a++;
                    break;
                case "--hold" when int.TryParse(value, CultureInfo.InvariantCulture, out var h) && h >= 0:
                    hold = h;
                    a++;
                    break;
                case "--services" when value is not null && value.Split(',').All(v => int.TryParse(v, CultureInfo.InvariantCulture, out var n) && n > 0):
                    sizes = value.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
                    a++;
                    break;
                default:
                    Console.Error.WriteLine($"ControlPlane.Benchmarks: unknown or invalid argument '{args[a]}'. Usage: --mode page-memory --pages 20 --services 20,10000 [--hold 60]");
                    return 2;
            }
        }
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await SyntheticBrowserHost.LaunchChromiumAsync(playwright);
        if (browser is null)
        {
            return 2;
        }
        Console.WriteLine($"GC: {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}; {pages} pages of /services per size, each its own browser context");
        var exit = 0;
        foreach (var services in sizes)
        {
            var perPage = await MeasureAsync(browser, services, pages, hold);
            exit |= perPage > 1.0 ? 1 : 0;
        }
        return exit;
    }

    /// <summary>Returns MB of live managed heap per open page.</summary>
    private static async Task<double> MeasureAsync(IBrowser browser, int services, int pages, int hold)
    {
        var host = await SyntheticBrowserHost.StartAsync(services);
        var contexts = new List<IBrowserContext>();
        try
        {
            var (url, nodes, store, clusterId) = (host.Url, host.Nodes, host.Store, host.ClusterId);
            var signedIn = await SignInAsync(browser, url, host.AdminPassword);
            // Warm-up page, not counted: JITs the page and fills MudBlazor's caches before the baseline.
            contexts.Add(await OpenServicesAsync(browser, url, signedIn, services));
            var perCircuit = store.SubscriberCount(clusterId);
            await Task.Delay(TimeSpan.FromSeconds(2));
            var before = LiveHeap();
            await HoldAsync(hold, "1 page open");

            for (var i = 0; i < pages; i++)
            {
                contexts.Add(await OpenServicesAsync(browser, url, signedIn, services));
            }
            await WaitUntilAsync(() => store.SubscriberCount(clusterId) >= perCircuit * (pages + 1), TimeSpan.FromSeconds(60));
            await Task.Delay(TimeSpan.FromSeconds(2));
            var after = LiveHeap();
            await HoldAsync(hold, $"{pages + 1} pages open");

            var perPage = (after - before) / pages / 1024.0 / 1024.0;
            Console.WriteLine($"{nodes} nodes, {services} services, {services * SyntheticCluster.TasksPerService} tasks: live heap {before / 1048576.0:F1} MB with 1 page, " +
                $"{after / 1048576.0:F1} MB with {pages + 1}; {perPage:F2} MB per open Services page (goal ≤ 1 MB){(perPage <= 1.0 ? "" : "  MISSED")}");
            return perPage;
        }
        finally
        {
            foreach (var context in contexts)
            {
                await context.DisposeAsync();
            }
            await host.StopAsync();
        }
    }

    private static async Task HoldAsync(int seconds, string what)
    {
        if (seconds > 0)
        {
            Console.WriteLine($"holding {seconds} s with {what}: dotnet-gcdump collect -p {Environment.ProcessId}");
            await Task.Delay(TimeSpan.FromSeconds(seconds));
        }
    }

    private static long LiveHeap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    internal static async Task<string> SignInAsync(IBrowser browser, string url, string password)
    {
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = url });
        var page = await context.NewPageAsync();
        await page.GotoAsync("account/login");
        await page.FillAsync("#username", "admin");
        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(u => !u.Contains("/account/login"));
        return await context.StorageStateAsync();
    }

    private static async Task<IBrowserContext> OpenServicesAsync(IBrowser browser, string url, string signedIn, int services)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = url,
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
            StorageState = signedIn,
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("services");
        await page.GetByTestId("service-count").Filter(new() { HasText = $"of {services} services" }).WaitForAsync(new() { Timeout = 60_000 });
        return context;
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("waited too long for the app");
            }
            await Task.Delay(100);
        }
    }
}
