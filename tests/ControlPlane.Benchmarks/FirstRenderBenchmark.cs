using System.Diagnostics;
using System.Globalization;
using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ControlPlane.Benchmarks;

/// <summary>
/// <c>--mode first-render</c>: how long Overview, Services, Tasks and Nodes take from navigation to their content
/// shown (goal ≤ 1 s each at 1,000 nodes / 10,000 services / 50,000 tasks, DESIGN §11). Runs the real app on
/// Kestrel with a synthetic cluster in its store (as <see cref="PageMemoryBenchmark"/>), and opens each page in a
/// fresh browser context of Debian's headless Chromium (/usr/bin/chromium), so every run is a new circuit: the
/// time runs from <c>page.goto</c> to the page's first content element being visible. Prints the p50 and the
/// slowest of the runs per page.
/// </summary>
/// <remarks>Options: --runs 5; --services 1000,10000 (tasks five times that, nodes a tenth).</remarks>
internal static class FirstRenderBenchmark
{
    private const double GoalMs = 1000;

    /// <summary>Each page and what shows that its content is there: its first row, or the overview's verdict.</summary>
    private static readonly (string Path, string Content)[] Pages =
    [
        ("", "[data-testid=health-verdict]"),
        ("services", "[data-testid=services-table] tbody tr"),
        ("tasks", "[data-testid=task-row]"),
        ("nodes", "[data-testid=nodes-table] tbody tr"),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var runs = 5;
        int[] sizes = [1_000, 10_000];
        for (var a = 0; a < args.Length; a++)
        {
            var value = a + 1 < args.Length ? args[a + 1] : null;
            switch (args[a])
            {
                case "--runs" when int.TryParse(value, CultureInfo.InvariantCulture, out var r) && r > 0:
                    runs = r;
                    a++;
                    break;
                case "--services" when value is not null && value.Split(',').All(v => int.TryParse(v, CultureInfo.InvariantCulture, out var n) && n > 0):
                    sizes = value.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
                    a++;
                    break;
                default:
                    Console.Error.WriteLine($"ControlPlane.Benchmarks: unknown or invalid argument '{args[a]}'. Usage: --mode first-render --runs 5 --services 1000,10000");
                    return 2;
            }
        }
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await SyntheticBrowserHost.LaunchChromiumAsync(playwright);
        if (browser is null)
        {
            return 2;
        }
        var exit = 0;
        foreach (var services in sizes)
        {
            exit |= await MeasureAsync(browser, services, runs) ? 0 : 1;
        }
        return exit;
    }

    /// <summary>Prints the figures of one size; false when a page misses the goal.</summary>
    private static async Task<bool> MeasureAsync(IBrowser browser, int services, int runs)
    {
        var host = await SyntheticBrowserHost.StartAsync(services);
        try
        {
            var (url, nodes) = (host.Url, host.Nodes);
            var signedIn = await PageMemoryBenchmark.SignInAsync(browser, url, host.AdminPassword);

            // One run of every page first, not counted: it JITs the pages and fills the server's caches.
            foreach (var (path, content) in Pages)
            {
                await OpenAsync(browser, url, signedIn, path, content);
            }
            var met = true;
            Console.WriteLine($"{nodes} nodes, {services} services, {services * SyntheticCluster.TasksPerService} tasks; navigation to content shown, {runs} runs per page, each a new browser context:");
            foreach (var (path, content) in Pages)
            {
                var times = new List<double>();
                for (var i = 0; i < runs; i++)
                {
                    times.Add(await OpenAsync(browser, url, signedIn, path, content));
                }
                times.Sort();
                var p50 = times[times.Count / 2];
                met &= p50 <= GoalMs;
                Console.WriteLine($"  /{path,-9} p50 {p50,6:F0} ms, slowest {times[^1],6:F0} ms (goal ≤ {GoalMs:F0} ms){(p50 <= GoalMs ? "" : "  MISSED")}");
            }
            return met;
        }
        finally
        {
            await host.StopAsync();
        }
    }

    /// <summary>Milliseconds from navigating to <paramref name="path"/> to <paramref name="content"/> being visible.</summary>
    private static async Task<double> OpenAsync(IBrowser browser, string url, string signedIn, string path, string content)
    {
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = url,
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
            StorageState = signedIn,
        });
        var page = await context.NewPageAsync();
        var watch = Stopwatch.StartNew();
        await page.GotoAsync(path, new() { WaitUntil = WaitUntilState.Commit });
        await page.Locator(content).First.WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = 60_000 });
        return watch.Elapsed.TotalMilliseconds;
    }
}
