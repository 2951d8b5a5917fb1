using ControlPlane.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.Stack.Tests;

/// <summary>
/// A browser (Playwright with Debian's Chromium) on the Services page of the stack's ControlPlane, through a TCP balancer
/// with no affinity in front of the three replicas (the routing mesh's part, which the local swarm cannot play). The
/// replica serving the page is killed with <c>docker kill</c>: the page comes back on another replica by itself, still
/// signed in, and keeps following the swarm. Services are made with Debian's docker CLI on the manager.
/// </summary>
public sealed class BrowserAcrossReplicaKillTests : IAsyncLifetime
{
    private const string ChromiumPath = "/usr/bin/chromium";
    private readonly StackUnderTest _stack = new();
    private RoundRobinProxy _balancer = default!;
    private IPlaywright _playwright = default!;
    private IBrowser _browser = default!;

    public async Task InitializeAsync()
    {
        await _stack.AllAnswerAsync("/readyz", TimeSpan.FromMinutes(3));
        _balancer = new RoundRobinProxy(_stack.Replicas);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    [Fact]
    public async Task The_Services_page_keeps_updating_after_the_replica_serving_it_is_killed_without_a_reload_by_hand_and_still_signed_in()
    {
        // The balancer passes TLS through: the browser talks HTTPS to the replicas (their self-signed certificate).
        var address = new Uri($"https://127.0.0.1:{_balancer.Address.Port}/");
        string signedIn;
        await using (var signingIn = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = address.ToString(), IgnoreHTTPSErrors = true }))
        {
            var page = await signingIn.NewPageAsync();
            await page.GotoAsync("account/login");
            await page.FillAsync("#username", StackUnderTest.AdminUser);
            await page.FillAsync("#password", _stack.AdminPassword);
            await page.ClickAsync("button[type=submit]");
            await page.WaitForURLAsync(url => !url.Contains("/account/login"));
            signedIn = await signingIn.StorageStateAsync();
        }

        // The page and its circuit on replica 1 (a worker node's): a new context, so every connection is a new one, and
        // over HTTPS the browser multiplexes the page, its scripts and the circuit's WebSocket on one HTTP/2 connection.
        _balancer.Only = 1;
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = address.ToString(), IgnoreHTTPSErrors = true, StorageState = signedIn });
        await using var app = await AppPage.CreateAsync(context);
        await app.GotoAsync("services");
        await Expect(app.Page.GetByTestId("services-table")).ToBeVisibleAsync();
        await app.Page.EvaluateAsync("() => { window.__e2eMarker = 'before'; }");

        _balancer.Only = null;
        await _stack.KillAsync("controlplane", 1);

        // Blazor's reconnection reaches another replica, which does not know the circuit: the page reloads by itself.
        await app.Page.WaitForFunctionAsync("() => window.__e2eMarker === undefined && window.__e2e.renderBatches > 0", null, new() { Timeout = 60_000 });
        Assert.DoesNotContain("/account/login", app.Page.Url);
        var table = app.Page.GetByTestId("services-table");
        await Expect(table).ToBeVisibleAsync();

        var name = $"stbr-{Guid.NewGuid():N}"[..14];
        var row = table.Locator("tbody tr").Filter(new() { HasText = name });
        try
        {
            await StackUnderTest.DockerAsync(_stack.Manager, "service", "create", "--detach", "--name", name, "--replicas", "0", StackUnderTest.DemoImage);
            await Expect(row).ToHaveCountAsync(1, new() { Timeout = 30_000 });
            await app.WaitForRenderQuietAsync();
            var screenshots = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "artifacts", "screenshots-stack");
            Directory.CreateDirectory(screenshots);
            await app.Page.ScreenshotAsync(new() { Path = Path.Combine(screenshots, "services-after-replica-kill.png"), FullPage = true });
        }
        finally
        {
            await StackUnderTest.DockerAsync(_stack.Manager, "service", "rm", name);
        }
        await Expect(row).ToHaveCountAsync(0, new() { Timeout = 30_000 });
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _balancer.DisposeAsync();
        await _stack.AllAnswerAsync("/readyz", TimeSpan.FromMinutes(3));
    }
}
