using System.Net;
using System.Net.Http.Json;
using ControlPlane.E2E.Tests.Infrastructure;
using ControlPlane.Web.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E.Tests;

/// <summary>A new user with only Viewer on one stack sees that stack and nothing else, in a real browser.</summary>
[Collection(BrowserCollection.Name)]
public sealed class StackViewerTests(BrowserFixture browser)
{
    /// <summary>Kept apart from the page-by-page screenshots, which that test clears at its start.</summary>
    private static string PathOf(string name)
    {
        var folder = Path.Combine(RepositoryRoot.Path, "artifacts", "screenshots-viewer");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, $"{name}.png");
    }

    [Fact]
    public async Task A_viewer_of_one_stack_sees_only_its_services_no_nodes_and_no_administration_or_change_controls()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var (shop, billing, viewer) = ($"shop{run}", $"bill{run}", $"viewer{run}");
        var state = await browser.SignInAsNewStackUserAsync(viewer, "viewer-password-1", "Viewer", shop);
        try
        {
            await DockerCli.RunAsync("service", "create", "--detach", "--name", $"{shop}_cart", "--label", $"com.docker.stack.namespace={shop}", "--replicas", "0", SwarmEnvironment.DemoImage);
            await DockerCli.RunAsync("service", "create", "--detach", "--name", $"{billing}_invoices", "--label", $"com.docker.stack.namespace={billing}", "--replicas", "0", SwarmEnvironment.DemoImage);

            await using var services = await browser.OpenAsync("services", signedInAs: state);
            var table = services.Page.GetByTestId("services-table");
            await Expect(table.Locator("tbody tr").Filter(new() { HasText = $"{shop}_cart" })).ToHaveCountAsync(1);
            await Expect(table.Locator("tbody tr")).ToHaveCountAsync(1);
            await Expect(services.Page.GetByText("Administration")).ToHaveCountAsync(0);
            await services.WaitForRenderQuietAsync();
            await services.Page.ScreenshotAsync(new() { Path = PathOf("viewer-services"), FullPage = true });

            await services.GotoAsync("nodes");
            await Expect(services.Page.GetByTestId("nodes-empty")).ToContainTextAsync($"only the stacks {shop}");
            await services.WaitForRenderQuietAsync();
            await services.Page.ScreenshotAsync(new() { Path = PathOf("viewer-nodes"), FullPage = true });

            await services.GotoAsync($"services/{shop}_cart");
            await Expect(services.Page.GetByTestId("service-name")).ToHaveTextAsync($"{shop}_cart");
            await Expect(services.Page.GetByTestId("scale-button")).ToHaveCountAsync(0);
            await services.AssertHealthyAsync();
        }
        finally
        {
            await DockerCli.RunAsync("service", "rm", $"{shop}_cart", $"{billing}_invoices");
        }
    }
}
