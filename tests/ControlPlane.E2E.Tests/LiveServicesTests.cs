using ControlPlane.E2E.Tests.Infrastructure;
using ControlPlane.Web.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E.Tests;

/// <summary>The services page follows changes made outside ControlPlane while it stays open.</summary>
[Collection(BrowserCollection.Name)]
public sealed class LiveServicesTests(BrowserFixture browser)
{
    // Two replicas are scheduled, pulled from the registry on their nodes and started.
    private const float ConvergeTimeoutMs = 120_000;

    [Fact]
    public async Task A_service_created_with_the_docker_CLI_appears_on_the_open_services_page_without_a_reload_and_reaches_its_replicas()
    {
        await using var app = await browser.OpenAsync("services");
        var table = app.Page.GetByTestId("services-table");
        await Expect(table).ToBeVisibleAsync();
        // A reload or a full navigation would give the page a new window object and drop this marker.
        await app.Page.EvaluateAsync("() => { window.__e2eMarker = 'same document'; }");

        var name = $"e2e-{Guid.NewGuid():N}"[..12];
        var row = table.Locator("tbody tr").Filter(new() { HasText = name });
        try
        {
            await DockerCli.RunAsync("service", "create", "--detach", "--name", name, "--replicas", "2", SwarmEnvironment.DemoImage);

            await Expect(row).ToHaveCountAsync(1);
            await Expect(row.GetByTestId("replicas")).ToHaveTextAsync("2 / 2", new() { Timeout = ConvergeTimeoutMs });
        }
        finally
        {
            await DockerCli.RunAsync("service", "rm", name);
        }

        await Expect(row).ToHaveCountAsync(0);
        Assert.Equal("same document", await app.Page.EvaluateAsync<string?>("() => window.__e2eMarker ?? null"));
        await app.AssertHealthyAsync();
    }
}
