using System.Net;
using ControlPlane.Benchmarks;
using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using ControlPlane.Docker.Watching;
using ControlPlane.E2E.Tests.Infrastructure;
using ControlPlane.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E.Tests;

/// <summary>
/// The Services and Tasks pages with 1,000 nodes, 10,000 services and 50,000 tasks in the store (DESIGN §11):
/// they render, filter, sort and page (Services) or scroll (Tasks) in a real browser, and are saved as screenshots for a reviewer. The store
/// is filled in memory (<see cref="SyntheticCluster"/>); the cluster's endpoint is a socket that does not exist
/// and its watcher waits an hour after the first failure, so nothing overwrites the picture.
/// </summary>
public sealed class LargeClusterPagesTests(LargeClusterPagesTests.Fixture fixture, ITestOutputHelper output) : IClassFixture<LargeClusterPagesTests.Fixture>
{
    private static readonly string Folder = Path.Combine(RepositoryRoot.Path, "artifacts", "screenshots");

    [Fact]
    public async Task The_services_page_shows_10000_services_and_filters_sorts_and_pages_them()
    {
        await using var app = await fixture.OpenAsync("services");
        var count = app.Page.GetByTestId("service-count");
        await Expect(count).ToHaveTextAsync("10000 of 10000 services");
        await app.WaitForRenderQuietAsync();
        var rows = app.Page.Locator("[data-testid=services-table] tbody tr");
        // Only the current page's rows are drawn, whatever the number of services.
        await Expect(rows.First).ToBeVisibleAsync();
        Assert.InRange(await rows.CountAsync(), 10, 120);
        await SaveAsync(app.Page, "scale-services");

        // Sorting by name reaches the whole list: the first row is the smallest name of all 10,000.
        var byName = app.Page.Locator(".mud-table-sort-label").Filter(new() { HasText = "Name" });
        await byName.ClickAsync();
        await Expect(rows.First).ToContainTextAsync("stack0000_svc00000");
        // Twice: descending, the largest name of all comes first.
        await byName.ClickAsync();
        await Expect(rows.First).ToContainTextAsync("stack0999_svc09999");


        // Scrolling far down renders the rows there (and only about a screenful).
        // The last page holds the smallest names in this (descending) order; the pager moves over all 10,000.
        await app.Page.GetByLabel("Last page").ClickAsync();
        await Expect(rows.Last).ToContainTextAsync("stack0000_svc00000");
        Assert.InRange(await rows.CountAsync(), 10, 120);
        await app.WaitForRenderQuietAsync();
        await SaveAsync(app.Page, "scale-services-last-page");
        // By replicas, a column the default order ignores: still the whole list.
        await app.Page.Locator(".mud-table-sort-label").Filter(new() { HasText = "Replicas" }).ClickAsync();
        await Expect(rows.First.GetByTestId("replicas")).ToHaveTextAsync("1 / 1");

        await app.Page.GetByLabel("First page").ClickAsync();
        await app.Page.GetByPlaceholder("Filter by name, image or stack").FillAsync("stack0421_");
        await Expect(count).ToHaveTextAsync("10 of 10000 services");
        await Expect(rows).ToHaveCountAsync(10);
        await app.WaitForRenderQuietAsync();
        await SaveAsync(app.Page, "scale-services-filtered");
        await app.AssertHealthyAsync();
    }

    [Fact]
    public async Task The_tasks_page_shows_50000_tasks_and_filters_and_scrolls_them()
    {
        await using var app = await fixture.OpenAsync("tasks");
        var count = app.Page.GetByTestId("task-count");
        await Expect(count).ToHaveTextAsync("50000 of 50000 tasks");
        await app.WaitForRenderQuietAsync();
        var rows = app.Page.GetByTestId("task-row");
        await Expect(rows.First).ToBeVisibleAsync();
        Assert.InRange(await rows.CountAsync(), 10, 120);
        await SaveAsync(app.Page, "scale-tasks");

        await app.Page.GetByTestId("task-list").EvaluateAsync("e => e.scrollTop = e.scrollHeight - e.clientHeight");
        await Expect(rows.Last).ToContainTextAsync("stack0999_svc09999");
        Assert.InRange(await rows.CountAsync(), 10, 120);

        // A service picked by searching its name: its five tasks, by the store's index.
        // MudBlazor puts the test id on the input itself or on its wrapper, depending on the version.
        var service = app.Page.Locator("input[data-testid=filter-service], [data-testid=filter-service] input");
        await service.FillAsync("svc04242");
        await app.Page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = "stack0424_svc04242" }).ClickAsync();
        await Expect(count).ToHaveTextAsync("5 of 50000 tasks");
        await app.WaitForRenderQuietAsync();
        await SaveAsync(app.Page, "scale-tasks-filtered");
        await app.AssertHealthyAsync();
    }

    private async Task SaveAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, name + ".png");
        await page.ScreenshotAsync(new() { Path = path });
        output.WriteLine($"{page.Url} -> {path}");
    }

    /// <summary>The app on Kestrel with the synthetic cluster in its store, and one headless Chromium.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        private const string ClusterName = "synthetic";

        private readonly Factory _app = new();
        private IPlaywright? _playwright;
        private IBrowser? _browser;
        private string? _signedIn;
        private Uri _base = default!;

        public async Task InitializeAsync()
        {
            _base = _app.Start();
            var store = _app.Services.GetRequiredService<ClusterStateStore>();
            var clusterId = store.Clusters.Single().Id;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (store.GetState(clusterId)!.Cluster.Status == ClusterStatus.Connecting && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            var state = SyntheticCluster.Build(1_000, 10_000, clusterId);
            store.Apply(clusterId, Enum.GetValues<ResourceKind>().SelectMany(state.All).Select(ResourceChange.Upsert).ToList(),
                store.GetState(clusterId)!.Cluster with { Status = ClusterStatus.Synced, Error = null, LastSyncedAt = DateTimeOffset.UtcNow });

            _playwright = await Playwright.CreateAsync();
            _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = BrowserFixture.ChromiumPath,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
            });
            await using var context = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _base.ToString() });
            var page = await context.NewPageAsync();
            await page.GotoAsync("account/login");
            await page.FillAsync("#username", ControlPlaneAppFactory.BootstrapAdmin);
            await page.FillAsync("#password", ControlPlaneAppFactory.BootstrapPassword);
            await page.ClickAsync("button[type=submit]");
            await page.WaitForURLAsync(url => !url.Contains("/account/login"));
            _signedIn = await context.StorageStateAsync();
        }

        public async Task<AppPage> OpenAsync(string path)
        {
            var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
            {
                BaseURL = _base.ToString(),
                ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
                ColorScheme = ColorScheme.Light,
                StorageState = _signedIn,
            });
            var page = await AppPage.CreateAsync(context);
            await page.GotoAsync(path);
            return page;
        }

        public async Task DisposeAsync()
        {
            if (_browser is not null)
            {
                await _browser.DisposeAsync();
            }
            _playwright?.Dispose();
            await _app.DisposeAsync();
        }

        private sealed class Factory : ControlPlaneAppFactory
        {
            public Factory()
                : base(new Dictionary<string, string?>
                {
                    ["ControlPlane:Clusters:0:Name"] = ClusterName,
                    ["ControlPlane:Clusters:0:Endpoints:0"] = $"unix:///tmp/controlplane-e2e-{Guid.NewGuid():N}-none.sock",
                })
            {
                UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
            }

            public Uri Start()
            {
                StartServer();
                var addresses = Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
                return new Uri(addresses.Single());
            }

            protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
            {
                base.ConfigureWebHost(builder);
                // After the first failed connection the watcher waits an hour: the synthetic picture stays as filled.
                builder.ConfigureTestServices(services => services.AddSingleton(new WatcherTimings { MinBackoff = TimeSpan.FromHours(1), MaxBackoff = TimeSpan.FromHours(1) }));
            }
        }
    }
}
