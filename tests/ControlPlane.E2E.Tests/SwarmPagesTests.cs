using System.Text.RegularExpressions;
using ControlPlane.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E.Tests;

/// <summary>What an operator sees of the local 3-node swarm in a real browser.</summary>
[Collection(BrowserCollection.Name)]
public sealed class SwarmPagesTests(BrowserFixture browser)
{
    /// <summary>Other test projects stop and restart nodes of the shared swarm; a restarted node takes a while to report ready.</summary>
    internal const float NodesReadyTimeoutMs = 90_000;

    [Fact]
    public async Task Overview_shows_all_three_nodes_ready_and_the_nodes_page_lists_each_of_them()
    {
        await using var app = await browser.OpenAsync();

        await Expect(app.Page.GetByTestId("nodes-ready")).ToContainTextAsync("3 / 3", new() { Timeout = NodesReadyTimeoutMs });

        await app.Page.GetByRole(AriaRole.Link, new() { Name = "Nodes", Exact = true }).ClickAsync();
        await Expect(app.Page).ToHaveURLAsync(new Regex("/nodes$"));
        var rows = app.Page.GetByTestId("nodes-table").Locator("tbody tr");
        await Expect(rows).ToHaveCountAsync(3);
        foreach (var hostname in new[] { "cp-node1", "cp-node2", "cp-node3" })
        {
            await Expect(rows.Filter(new() { HasText = hostname })).ToHaveCountAsync(1);
        }
        await app.AssertHealthyAsync();
    }
}
