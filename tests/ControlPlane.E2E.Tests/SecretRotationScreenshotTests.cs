using ControlPlane.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;
using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.E2E.Tests;

/// <summary>
/// An operator creates a generated secret family in the browser, two services mount it, and one click (and a
/// confirmation) rotates it while per-service progress shows; screenshots are saved during and after.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class SecretRotationScreenshotTests(BrowserFixture browser, ITestOutputHelper output)
{
    private static readonly string Folder = Path.Combine(RepositoryRoot.Path, "artifacts", "screenshots");

    [Fact]
    public async Task Rotating_a_family_from_the_secrets_page_shows_per_service_progress_until_every_service_is_on_the_new_version()
    {
        Directory.CreateDirectory(Folder);
        var run = Guid.NewGuid().ToString("N")[..6];
        var family = $"e2e{run}-db";
        var services = new[] { $"e2e{run}-api", $"e2e{run}-worker" };
        await using var app = await browser.OpenAsync("secrets");
        try
        {
            await app.Page.GetByTestId("new-family").ClickAsync();
            await app.Page.GetByTestId("create-name").FillAsync(family);
            await SaveAsync(app.Page, "secrets-create-family");
            await app.Page.GetByTestId("create-submit").ClickAsync();
            var card = app.Page.Locator($"[data-testid=family][data-family='{family}']");
            await Expect(card).ToBeVisibleAsync();

            foreach (var service in services)
            {
                await DockerCli.RunAsync("service", "create", "--detach", "--name", service, "--replicas", "3", "--placement-pref", "spread=node.id",
                    "--update-parallelism", "1", "--update-monitor", "2s", "--stop-grace-period", "2s",
                    "--secret", $"source={family}.v1,target=db-password", Web.Tests.Infrastructure.SwarmEnvironment.DemoImage);
            }
            foreach (var service in services)
            {
                await Expect(card.Locator("[data-testid=used-by]")).ToContainTextAsync(service, new() { Timeout = 60_000 });
            }

            await card.GetByTestId("rotate").ClickAsync();
            await Expect(app.Page.GetByTestId("rotate-confirm")).ToBeVisibleAsync();
            await app.WaitForRenderQuietAsync();
            await SaveAsync(app.Page, "secrets-rotate-dialog");
            await app.Page.GetByTestId("rotate-confirm").ClickAsync();
            var progress = card.GetByTestId("operation");
            await Expect(progress.Locator("[data-testid=operation-step]").Filter(new() { HasText = "running" }).First).ToBeVisibleAsync();
            await SaveAsync(app.Page, "secrets-rotation-running");

            await Expect(progress.GetByTestId("operation-state")).ToHaveTextAsync("succeeded", new() { Timeout = 180_000 });
            await Expect(card.Locator("[data-testid=family-version]")).ToHaveCountAsync(1, new() { Timeout = 30_000 });
            await Expect(card.Locator("[data-testid=family-version]")).ToHaveAttributeAsync("data-version", "2");
            foreach (var service in services)
            {
                await Expect(card.Locator("[data-testid=used-by]")).ToContainTextAsync(service);
            }
            await app.WaitForRenderQuietAsync();
            await app.AssertHealthyAsync();
            await SaveAsync(app.Page, "secrets-rotation-done");
        }
        finally
        {
            foreach (var service in services)
            {
                await IgnoreFailureAsync(() => DockerCli.RunAsync("service", "rm", service));
            }
            for (var attempt = 0; attempt < 30; attempt++)
            {
                var left = (await DockerCli.RunAsync("secret", "ls", "--format", "{{.Name}}")).Split('\n').Where(n => n.StartsWith(family, StringComparison.Ordinal)).ToList();
                if (left.Count == 0 || await IgnoreFailureAsync(() => DockerCli.RunAsync(["secret", "rm", .. left])))
                {
                    break;
                }
                await Task.Delay(1000);
            }
        }
    }

    private static async Task<bool> IgnoreFailureAsync(Func<Task> action)
    {
        try
        {
            await action();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private async Task SaveAsync(IPage page, string name)
    {
        var path = Path.Combine(Folder, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        output.WriteLine($"{page.Url} -> {path}");
    }
}
