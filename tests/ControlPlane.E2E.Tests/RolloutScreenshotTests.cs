using ControlPlane.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;
using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.E2E.Tests;

/// <summary>
/// An operator rolls demo/app:1 → :2 across the three nodes from the service page and watches it go slot by slot;
/// screenshots of the rollout in progress (with the digest grid showing the nodes still on the old digest) and
/// finished (with the history) go to <c>artifacts/screenshots/</c>.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class RolloutScreenshotTests(BrowserFixture browser, ITestOutputHelper output)
{
    private static readonly string Folder = Path.Combine(RepositoryRoot.Path, "artifacts", "screenshots");
    private static string Registry => Environment.GetEnvironmentVariable("CONTROLPLANE_REGISTRY") is { Length: > 0 } r ? r : "10.99.0.1:5000";

    [Fact]
    public async Task An_operator_rolls_an_image_node_by_node_from_the_service_page()
    {
        var name = $"e2e-ro-{Guid.NewGuid():N}"[..14];
        // The CLI pins the digest of :1, so while :2 rolls out the grid shows two digests.
        await DockerCli.RunAsync("service", "create", "--detach", "--name", name, "--replicas", "3", "--replicas-max-per-node", "1",
            "--update-monitor", "2s", $"{Registry}/demo/app:1");
        try
        {
            await using var app = await browser.OpenAsync($"services/{name}");
            await Expect(app.Page.GetByTestId("service-replicas")).ToContainTextAsync("3 / 3", new() { Timeout = 120_000 });

            await app.Page.GetByTestId("rollout-open").ClickAsync();
            var image = app.Page.GetByTestId("rollout-image");
            await image.FillAsync($"{Registry}/demo/app:2");
            await app.Page.GetByTestId("rollout-delay").FillAsync("3");
            await app.Page.GetByTestId("rollout-start").ClickAsync();

            var operation = app.Page.GetByTestId("operation");
            await Expect(operation).ToBeVisibleAsync();
            await Expect(app.Page.GetByTestId("operation-progress")).ToContainTextAsync("1 / 3", new() { Timeout = 60_000 });
            await Expect(app.Page.GetByTestId("drift-warning")).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await SaveAsync(app.Page, "rollout-in-progress");

            await Expect(operation).ToHaveAttributeAsync("data-state", "succeeded", new() { Timeout = 120_000 });
            await Expect(app.Page.GetByTestId("rollout-history-row")).ToHaveCountAsync(1);
            await Expect(app.Page.GetByTestId("drift-warning")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
            await Expect(app.Page.GetByTestId("drift-row")).ToHaveCountAsync(3);
            await app.WaitForRenderQuietAsync();
            await app.AssertHealthyAsync();
            await SaveAsync(app.Page, "rollout-finished");
            await app.Page.GetByTestId("rollout-panel").ScreenshotAsync(new() { Path = Path.Combine(Folder, "rollout-panel.png") });
        }
        finally
        {
            await DockerCli.RunAsync("service", "rm", name);
        }
    }

    [Fact]
    public async Task A_broken_image_is_rolled_back_by_itself_and_the_page_says_why()
    {
        var name = $"e2e-rb-{Guid.NewGuid():N}"[..14];
        await DockerCli.RunAsync("service", "create", "--detach", "--name", name, "--replicas", "2", "--replicas-max-per-node", "1",
            "--update-monitor", "2s", $"{Registry}/demo/app:1");
        try
        {
            await using var app = await browser.OpenAsync($"services/{name}");
            await Expect(app.Page.GetByTestId("service-replicas")).ToContainTextAsync("2 / 2", new() { Timeout = 120_000 });

            await app.Page.GetByTestId("rollout-open").ClickAsync();
            await app.Page.GetByTestId("rollout-image").FillAsync($"{Registry}/demo/app:broken");
            await app.Page.GetByTestId("rollout-failure-action").ClickAsync();
            await app.Page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = "rollback" }).ClickAsync();
            await app.Page.GetByTestId("rollout-start").ClickAsync();

            var operation = app.Page.GetByTestId("operation");
            await Expect(operation).ToHaveAttributeAsync("data-state", "rolledback", new() { Timeout = 120_000 });
            await Expect(app.Page.GetByTestId("operation-error")).ToContainTextAsync("Docker rolled");
            await Expect(app.Page.GetByTestId("operation-error")).ToContainTextAsync("non-zero exit (3)");
            await Expect(app.Page.GetByTestId("rollout-history-row")).ToHaveCountAsync(1);
            await app.WaitForRenderQuietAsync();
            await app.AssertHealthyAsync();
            await SaveAsync(app.Page, "rollout-rolledback");
        }
        finally
        {
            await DockerCli.RunAsync("service", "rm", name);
        }
    }

    [Fact]
    public async Task An_operator_distributes_an_image_to_every_node_from_the_images_page()
    {
        await using var app = await browser.OpenAsync("images");
        await app.Page.GetByTestId("distribute-open").ClickAsync();
        await app.Page.GetByTestId("distribute-image").FillAsync($"{Registry}/demo/app:2");
        await app.Page.GetByTestId("distribute-start").ClickAsync();

        var operation = app.Page.GetByTestId("operation");
        await Expect(operation).ToHaveAttributeAsync("data-state", "succeeded", new() { Timeout = 120_000 });
        await Expect(app.Page.GetByTestId("operation-progress")).ToContainTextAsync("3 / 3");
        await app.WaitForRenderQuietAsync();
        await app.AssertHealthyAsync();
        await SaveAsync(app.Page, "images-distributed");
    }

    private async Task SaveAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        output.WriteLine($"{page.Url} -> {path}");
    }
}
