using ControlPlane.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;
using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.E2E.Tests;

/// <summary>
/// The workloads UI on the real swarm, in a real browser: a stack deployed from the Compose editor (preview, live
/// progress, an error at its line, its page, its removal after typing its name), the create-service form and the node
/// page's actions. Screenshots go to <c>artifacts/screenshots/</c>.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class WorkloadScreenshotTests(BrowserFixture browser, ITestOutputHelper output)
{
    private static readonly string Folder = Path.Combine(RepositoryRoot.Path, "artifacts", "screenshots");
    private static string Registry => Environment.GetEnvironmentVariable("CONTROLPLANE_REGISTRY") is { Length: > 0 } r ? r : "10.99.0.1:5000";

    private static string File(string tag, int replicas) =>
        $"version: \"3.9\"\nservices:\n  web:\n    image: {Registry}/demo/app:${{TAG}}\n    deploy:\n      replicas: {replicas}\n      update_config:\n        monitor: 1s\n  worker:\n    image: {Registry}/demo/app:{tag}\n    deploy:\n      replicas: 1\n";

    [Fact]
    public async Task A_stack_is_deployed_from_the_editor_shown_on_its_page_and_removed_after_typing_its_name()
    {
        var stack = $"hu{Guid.NewGuid():N}"[..8];
        try
        {
            await using var app = await browser.OpenAsync("stacks");
            var page = app.Page;
            await page.GetByTestId("stack-deploy-open").ClickAsync();
            await page.GetByTestId("stack-deploy-name").FillAsync(stack);
            await page.GetByTestId("compose-text").FillAsync(File("1", 2));
            await Expect(page.GetByTestId("stack-deploy-missing-variables")).ToContainTextAsync("TAG");
            await page.GetByTestId("stack-deploy-missing-variables").GetByRole(AriaRole.Button).ClickAsync();
            await page.GetByTestId("stack-deploy-variables").GetByTestId("kv-value").FillAsync("1");
            await page.GetByTestId("stack-deploy-preview").ClickAsync();

            await Expect(page.GetByTestId("stack-preview-row")).ToHaveCountAsync(3);
            await Expect(page.GetByTestId("stack-preview-row").Filter(new() { HasText = $"{stack}_web" })).ToContainTextAsync("create");
            await app.WaitForRenderQuietAsync();
            await SaveAsync(page, "stack-deploy-preview");

            await page.GetByTestId("stack-deploy-start").ClickAsync();
            var operation = page.GetByTestId("operation");
            await Expect(operation).ToHaveAttributeAsync("data-state", "succeeded", new() { Timeout = 120_000 });
            await Expect(page.GetByTestId("stack-deploy-link")).ToBeVisibleAsync();

            // A broken file: an unknown key on line 7 is marked there, and listed under the editor.
            await page.GetByTestId("compose-text").FillAsync(File("1", 2).Replace("      update_config:", "      replicaz: 3\n      update_config:"));
            await page.GetByTestId("stack-deploy-preview").ClickAsync();
            await Expect(page.GetByTestId("compose-problem")).ToContainTextAsync("line 7, column 7");
            await Expect(page.GetByTestId("stack-deploy-live")).ToHaveCountAsync(0);
            await CloseToastsAsync(page);
            await Expect(page.GetByTestId("compose-error-line")).ToHaveAttributeAsync("data-line", "7");
            await app.WaitForRenderQuietAsync();
            await SaveAsync(page, "stack-deploy-error");

            await app.GotoAsync($"stacks/{stack}");
            await Expect(page.GetByTestId("stack-history-row")).ToHaveCountAsync(1);
            await Expect(page.GetByTestId("stack-service")).ToHaveCountAsync(2);
            await Expect(page.GetByTestId("stack-service").Filter(new() { HasText = $"{stack}_web" })).ToContainTextAsync("2 / 2 running", new() { Timeout = 120_000 });
            await Expect(page.GetByTestId("stack-networks")).ToContainTextAsync($"{stack}_default");
            await app.WaitForRenderQuietAsync();
            await app.AssertHealthyAsync();
            await SaveAsync(page, "stack-page");

            await using (var dark = await browser.OpenAsync($"stacks/{stack}", ColorScheme.Dark))
            {
                await Expect(dark.Page.GetByTestId("stack-history-row")).ToHaveCountAsync(1);
                await dark.Page.GetByTestId("stack-edit").ClickAsync();
                await Expect(dark.Page.GetByTestId("stack-deploy")).ToBeVisibleAsync();
                await dark.WaitForRenderQuietAsync();
                await SaveAsync(dark.Page, "stack-page-dark");
            }

            // Edit & redeploy: the file from the last deploy, changed in the editor, previewed as an update, deployed.
            await page.GetByTestId("stack-edit").ClickAsync();
            var editor = page.GetByTestId("stack-deploy");
            await Expect(editor.GetByTestId("compose-text")).ToHaveValueAsync(File("1", 2));
            await editor.GetByTestId("compose-text").FillAsync(File("1", 3));
            await editor.GetByTestId("stack-deploy-preview").ClickAsync();
            await Expect(editor.GetByTestId("stack-preview-row").Filter(new() { HasText = $"{stack}_web" })).ToContainTextAsync("update");
            await Expect(editor.GetByTestId("stack-preview-row").Filter(new() { HasText = $"{stack}_worker" })).ToContainTextAsync("unchanged");
            await editor.GetByTestId("stack-deploy-start").ClickAsync();
            await Expect(page.GetByTestId("stack-history-row")).ToHaveCountAsync(2, new() { Timeout = 120_000 });
            await Expect(page.GetByTestId("stack-service").Filter(new() { HasText = $"{stack}_web" })).ToContainTextAsync("3 / 3 running", new() { Timeout = 120_000 });

            // Redeploying the first version rolls the stack back to it.
            await page.GetByTestId("stack-history-row").Last.GetByTestId("stack-history-redeploy").ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Redeploy", Exact = true }).ClickAsync();
            await Expect(page.GetByTestId("stack-history-row")).ToHaveCountAsync(3, new() { Timeout = 120_000 });
            await Expect(page.GetByTestId("stack-service").Filter(new() { HasText = $"{stack}_web" })).ToContainTextAsync("2 / 2 running", new() { Timeout = 120_000 });
            await CloseToastsAsync(page);
            await app.WaitForRenderQuietAsync();
            await SaveAsync(page, "stack-page-redeployed");

            await page.GetByTestId("stack-remove").ClickAsync();
            var confirm = page.GetByTestId("confirm-by-name-confirm");
            await Expect(confirm).ToBeDisabledAsync();
            await page.GetByTestId("confirm-by-name-input").FillAsync(stack.ToUpperInvariant());
            await Expect(confirm).ToBeDisabledAsync();
            await page.GetByTestId("confirm-by-name-input").FillAsync(stack);
            await confirm.ClickAsync();
            await Expect(page.GetByTestId("stack-operation").GetByTestId("operation")).ToHaveAttributeAsync("data-state", "succeeded", new() { Timeout = 120_000 });
            await Expect(page.GetByTestId("stack-service")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
            await app.AssertHealthyAsync();
        }
        finally
        {
            await RemoveStackAsync(stack);
        }
    }

    [Fact]
    public async Task A_service_is_created_from_the_form_and_the_node_page_offers_its_actions()
    {
        var name = $"hu{Guid.NewGuid():N}"[..8];
        try
        {
            await using var app = await browser.OpenAsync("services");
            var page = app.Page;
            await page.GetByTestId("service-create-open").ClickAsync();
            await page.GetByTestId("service-form-name").FillAsync(name);
            await page.GetByTestId("service-form-image").FillAsync($"{Registry}/demo/app:1");
            await page.GetByTestId("service-form-replicas").FillAsync("1");
            await page.GetByText("Placement constraints").ClickAsync();
            await page.GetByTestId("service-form-constraints").FillAsync($"node.role==worker\nnode.labels.{name}==yes");
            await page.GetByTestId("service-form-submit").ClickAsync();
            await Expect(page.GetByTestId("service-form-done")).ToContainTextAsync(name);
            await Expect(page.GetByTestId("service-form-diff")).ToContainTextAsync("Constraints");
            await CloseToastsAsync(page);
            await app.WaitForRenderQuietAsync();
            await app.AssertHealthyAsync();
            await SaveAsync(page, "service-create");

            var worker = (await DockerCli.RunAsync("node", "ls", "--filter", "role=worker", "--format", "{{.Hostname}}")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Order().First();
            await app.GotoAsync($"nodes/{worker}");
            await Expect(page.GetByTestId("node-promote")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("node-remove")).ToBeDisabledAsync();
            // A label the new service's constraint uses: added in the editor, then shown with that service.
            await page.GetByTestId("node-labels-edit").ClickAsync();
            await page.GetByTestId("node-labels-editor").GetByTestId("kv-add").ClickAsync();
            await page.GetByTestId("node-labels-editor").GetByTestId("kv-key").Last.FillAsync(name);
            await page.GetByTestId("node-labels-editor").GetByTestId("kv-value").Last.FillAsync("yes");
            await Expect(page.GetByTestId("node-labels-editor").GetByTestId("kv-hint").Last).ToContainTextAsync(name);
            await page.GetByTestId("node-labels-save").ClickAsync();
            await Expect(page.GetByTestId("node-label").Filter(new() { HasText = name })).ToContainTextAsync($"used by the placement constraints of {name}");
            await Expect(page.GetByTestId("service-form-done")).ToHaveCountAsync(0);
            await Expect(page.GetByTestId("join-tokens-reveal")).ToBeVisibleAsync();
            await CloseToastsAsync(page);
            await app.WaitForRenderQuietAsync();
            await app.AssertHealthyAsync();
            await SaveAsync(page, "node-actions");
        }
        finally
        {
            foreach (var node in (await DockerCli.RunAsync("node", "ls", "--format", "{{.Hostname}}")).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if ((await DockerCli.RunAsync("node", "inspect", "--format", "{{json .Spec.Labels}}", node)).Contains(name, StringComparison.Ordinal))
                {
                    await DockerCli.RunAsync("node", "update", "--label-rm", name, node);
                }
            }
            try
            {
                await DockerCli.RunAsync("service", "rm", name);
            }
            catch (InvalidOperationException)
            {
                // Not created: nothing to clean.
            }
        }
    }

    private static async Task RemoveStackAsync(string stack)
    {
        var left = await DockerCli.RunAsync("service", "ls", "--filter", $"label=com.docker.stack.namespace={stack}", "-q");
        if (left.Trim().Length > 0)
        {
            await DockerCli.StackRemoveAsync(stack);
        }
    }

    /// <summary>Closes the toasts, which would cover the page's top right in the picture.</summary>
    private static async Task CloseToastsAsync(IPage page)
    {
        var close = page.Locator(".mud-snackbar button");
        for (var i = await close.CountAsync() - 1; i >= 0; i--)
        {
            try
            {
                await close.Nth(i).ClickAsync(new() { Timeout = 2_000 });
            }
            catch (PlaywrightException)
            {
                // Gone by itself meanwhile.
            }
        }
        await Expect(page.Locator(".mud-snackbar")).ToHaveCountAsync(0);
        await page.Mouse.MoveAsync(700, 10);
    }

    private async Task SaveAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Folder);
        // A full-page picture of a scrolled page draws the fixed app bar where the viewport was.
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        var path = Path.Combine(Folder, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        output.WriteLine($"{page.Url} -> {path}");
    }
}
