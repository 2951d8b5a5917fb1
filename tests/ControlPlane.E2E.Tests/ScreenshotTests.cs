using System.Text.RegularExpressions;
using ControlPlane.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;
using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.E2E.Tests;

/// <summary>
/// Every page of the navigation menu, loaded against the live swarm and saved as a full-page screenshot in
/// <c>artifacts/screenshots/</c>, so a reviewer sees every page without starting the app.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class ScreenshotTests(BrowserFixture browser, ITestOutputHelper output)
{
    private static readonly string Folder = Path.Combine(RepositoryRoot.Path, "artifacts", "screenshots");

    [Fact]
    public async Task Every_page_of_the_navigation_menu_renders_without_browser_errors_and_is_saved_as_a_screenshot()
    {
        // tests/run.sh empties the folder first; other browser tests save their pictures here too.
        Directory.CreateDirectory(Folder);
        await using var app = await browser.OpenAsync();
        // Pages of a cluster still connecting show placeholders; screenshots should show the whole swarm.
        await Expect(app.Page.GetByTestId("nodes-ready")).ToContainTextAsync("3 / 3", new() { Timeout = SwarmPagesTests.NodesReadyTimeoutMs });
        await Expect(app.Page.GetByTestId("cluster-banner")).ToHaveCountAsync(0);

        // Read from the DOM, so pages added to the menu are covered without touching this test.
        var links = await app.Page.Locator(".mud-navmenu a.mud-nav-link[href]").EvaluateAllAsync<NavLink[]>(
            "links => links.map(a => ({ name: a.innerText.trim(), path: new URL(a.href).pathname }))");
        Assert.Contains(links, link => link.Name == "Overview");
        Assert.Contains(links, link => link.Name == "Nodes");

        foreach (var link in links)
        {
            await app.GotoAsync(link.Path.TrimStart('/'));
            await WaitForMainContentAsync(app);
            await app.AssertHealthyAsync();
            await SaveAsync(app.Page, FileName(link.Name));
        }

        // The account page (password, API tokens, sessions) is reached from the user menu, not the navigation.
        await app.GotoAsync("account");
        await WaitForMainContentAsync(app);
        await app.AssertHealthyAsync();
        await SaveAsync(app.Page, "account");

        await app.GotoAsync("");
        await WaitForMainContentAsync(app);
        await app.WaitForColorSchemeAppliedAsync();
        var lightBackground = await BackgroundOfAsync(app.Page);
        await app.Page.GetByLabel("Toggle dark mode").ClickAsync();
        await app.Page.WaitForFunctionAsync(
            "light => getComputedStyle(document.body).backgroundColor !== light", lightBackground);
        // The pointer still rests on the toggle, whose tooltip would cover the app bar in the picture.
        await app.Page.Mouse.MoveAsync(700, 700);
        await Expect(app.Page.Locator(".mud-tooltip.mud-popover-open")).ToHaveCountAsync(0);
        await app.WaitForRenderQuietAsync();
        await app.AssertHealthyAsync();
        await SaveAsync(app.Page, "overview-dark");
    }

    /// <summary>The page's heading is shown, nothing in the main area is still loading, and the server has finished rendering.</summary>
    private static async Task WaitForMainContentAsync(AppPage app)
    {
        var main = app.Page.Locator(".mud-main-content");
        await Expect(main.Locator("h1, h2, h3, h4, h5, h6").First).ToBeVisibleAsync();
        await Expect(main.Locator(".mud-progress-circular.mud-progress-indeterminate, .mud-progress-linear.mud-progress-indeterminate, .mud-skeleton").Locator("visible=true")).ToHaveCountAsync(0);
        await app.WaitForRenderQuietAsync();
    }

    private static Task<string> BackgroundOfAsync(IPage page) =>
        page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");

    private async Task SaveAsync(IPage page, string name)
    {
        var path = Path.Combine(Folder, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        output.WriteLine($"{page.Url} -> {path}");
    }

    /// <summary>"Overview" → overview, "Secrets & configs" → secrets-configs.</summary>
    private static string FileName(string linkName) => NonWord().Replace(linkName.ToLowerInvariant(), "-").Trim('-');

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NonWord();

    /// <summary>A menu entry as the browser shows it (Playwright fills it through its setters).</summary>
    private sealed class NavLink
    {
        public string Name { get; set; } = "";

        public string Path { get; set; } = "";
    }
}
