using System.Text.RegularExpressions;
using ControlPlane.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E.Tests;

/// <summary>The menu, written out as markup rather than MudBlazor's components, in a real browser.</summary>
[Collection(BrowserCollection.Name)]
public sealed class NavMenuTests(BrowserFixture browser)
{
    [Fact]
    public async Task A_folded_group_hides_its_links_and_gives_up_its_room_and_the_current_link_follows_navigation()
    {
        await using var app = await browser.OpenAsync();
        var page = app.Page;
        var nodes = page.GetByRole(AriaRole.Link, new() { Name = "Nodes", Exact = true });
        var engines = page.GetByRole(AriaRole.Button, new() { Name = "Toggle Engines" });
        await Expect(nodes).ToBeVisibleAsync();
        var enginesTop = (await engines.BoundingBoxAsync())!.Y;

        await page.GetByRole(AriaRole.Button, new() { Name = "Toggle Swarm" }).ClickAsync();

        await Expect(nodes).ToBeHiddenAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Toggle Swarm" })).ToHaveAttributeAsync("aria-expanded", "false");
        // MudBlazor's CSS folds the group's rows over 300 ms.
        var movedUp = false;
        for (var waited = 0; !movedUp && waited < 3000; waited += 100)
        {
            await page.WaitForTimeoutAsync(100);
            movedUp = (await engines.BoundingBoxAsync())!.Y < enginesTop - 200;
        }
        Assert.True(movedUp, "the groups below a folded one move up into its room");

        await page.GetByRole(AriaRole.Button, new() { Name = "Toggle Swarm" }).ClickAsync();
        await nodes.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/nodes$"));
        await Expect(nodes).ToHaveAttributeAsync("aria-current", "page");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Overview", Exact = true })).Not.ToHaveAttributeAsync("aria-current", "page");
        await app.AssertHealthyAsync();
    }
}
