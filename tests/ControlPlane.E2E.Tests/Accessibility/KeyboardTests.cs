using System.Diagnostics;
using ControlPlane.E2E.Tests.Infrastructure;
using ControlPlane.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E.Tests.Accessibility;

/// <summary>
/// The rollout and the secret rotation done with the keyboard alone (Tab, Shift+Tab, Enter, Space, Escape, arrows and
/// typing; no click anywhere): every control on the way is reached with Tab and shows a focus ring, focus goes into
/// the form or dialog that opens and back to the button that opened it when it closes, and the change happens on the
/// real swarm (read back with the docker CLI first on PATH, /usr/local/bin/docker 28.2 here, through <see cref="DockerCli"/>).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class KeyboardTests(BrowserFixture browser, ITestOutputHelper output)
{
    private static string Registry => Environment.GetEnvironmentVariable("CONTROLPLANE_REGISTRY") is { Length: > 0 } r ? r : "10.99.0.1:5000";

    /// <summary>
    /// Why the focused element shows no focus indicator, or null when it shows one: an outline of at least 2 px on it
    /// or on the visible control wrapping a visually hidden input, or the thicker border of a MudBlazor outlined field.
    /// It must also match <c>:focus-visible</c>, the state browsers draw focus for after keyboard use.
    /// </summary>
    private const string MissingFocusIndicator = """
        () => {
          const el = document.activeElement;
          if (!el || el === document.body) return 'nothing has the focus';
          const what = el.outerHTML.slice(0, 160);
          if (!el.matches(':focus-visible')) return 'the focused element is not :focus-visible: ' + what;
          for (let n = el, i = 0; n && i < 3; n = n.parentElement, i++) {
            const s = getComputedStyle(n);
            if (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 && s.opacity !== '0') return null;
          }
          const border = el.closest('.mud-input-outlined')?.querySelector(':scope > .mud-input-outlined-border');
          if (border && parseFloat(getComputedStyle(border).borderTopWidth) >= 2) return null;
          return 'no outline or field border shows the focus on ' + what;
        }
        """;

    [Fact]
    public async Task A_rollout_and_its_rollback_are_started_and_followed_with_the_keyboard_alone()
    {
        var clock = Stopwatch.StartNew();
        var name = $"e2e-kb-{Guid.NewGuid():N}"[..14];
        await DockerCli.RunAsync("service", "create", "--detach", "--name", name, "--replicas", "2", "--replicas-max-per-node", "1",
            "--update-monitor", "1s", "--stop-grace-period", "1s", $"{Registry}/demo/app:1");
        try
        {
            await using var app = await browser.OpenAsync($"services/{name}");
            var page = app.Page;
            await Expect(page.GetByTestId("service-replicas")).ToContainTextAsync("2 / 2", new() { Timeout = 120_000 });
            await app.WaitForRenderQuietAsync();

            var open = page.GetByTestId("rollout-open");
            await TabToAsync(page, open);
            await page.Keyboard.PressAsync("Enter");
            var image = page.GetByTestId("rollout-image");
            await Expect(image).ToBeFocusedAsync();
            await AssertFocusVisibleAsync(page);

            // Closing the form gives the focus back to the button that opened it; Space opens it again.
            await TabToAsync(page, page.GetByTestId("rollout-close"));
            await page.Keyboard.PressAsync("Enter");
            await Expect(page.GetByTestId("rollout-form")).ToHaveCountAsync(0);
            await Expect(open).ToBeFocusedAsync();
            await AssertFocusVisibleAsync(page);
            await page.Keyboard.PressAsync("Space");
            await Expect(image).ToBeFocusedAsync();

            await page.Keyboard.PressAsync("Control+A");
            await page.Keyboard.TypeAsync($"{Registry}/demo/app:2");
            // A select is worked with the arrow keys: Enter opens its list, ArrowDown moves from stop-first to start-first.
            await TabToAsync(page, page.GetByTestId("rollout-order"));
            await page.Keyboard.PressAsync("Enter");
            await Expect(page.Locator(".mud-popover-open .mud-list-item").First).ToBeVisibleAsync();
            await page.Keyboard.PressAsync("ArrowDown");
            await page.Keyboard.PressAsync("Enter");
            await Expect(page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
            await TabToAsync(page, page.GetByTestId("rollout-start"));
            await page.Keyboard.PressAsync("Enter");

            await Expect(page.GetByTestId("rollout-form")).ToHaveCountAsync(0);
            await Expect(open).ToBeFocusedAsync();
            await AssertFocusVisibleAsync(page);
            var operation = page.GetByTestId("operation");
            await Expect(operation).ToHaveAttributeAsync("data-state", "succeeded", new() { Timeout = 120_000 });
            var rollout = await operation.GetAttributeAsync("data-operation-id");
            Assert.StartsWith($"{Registry}/demo/app:2@sha256:", await SpecAsync(name, "{{.Spec.TaskTemplate.ContainerSpec.Image}}"));
            Assert.Equal("start-first", await SpecAsync(name, "{{.Spec.UpdateConfig.Order}}"));
            output.WriteLine($"rollout done with the keyboard after {clock.Elapsed.TotalSeconds:F0} s");

            var rollback = page.GetByTestId("rollout-rollback");
            await TabToAsync(page, rollback);
            await page.Keyboard.PressAsync("Enter");
            await Expect(page.Locator($"[data-testid=operation]:not([data-operation-id='{rollout}'])")).ToHaveAttributeAsync("data-state", "succeeded", new() { Timeout = 120_000 });
            await Expect(rollback).ToBeFocusedAsync();
            await AssertFocusVisibleAsync(page);
            Assert.StartsWith($"{Registry}/demo/app:1", await SpecAsync(name, "{{.Spec.TaskTemplate.ContainerSpec.Image}}"));
            await app.AssertHealthyAsync();
            output.WriteLine($"rollback done with the keyboard after {clock.Elapsed.TotalSeconds:F0} s");
        }
        finally
        {
            await DockerCli.RunAsync("service", "rm", name);
        }
    }

    [Fact]
    public async Task A_secret_is_rotated_with_the_keyboard_alone_through_its_dialog()
    {
        var clock = Stopwatch.StartNew();
        var run = Guid.NewGuid().ToString("N")[..6];
        var family = $"e2ekb{run}-db";
        var service = $"e2ekb{run}-api";
        var value = Path.Combine(Path.GetTempPath(), family);
        await File.WriteAllTextAsync(value, Guid.NewGuid().ToString("N"));
        try
        {
            // Version 1 of a family as ControlPlane labels it, made outside the browser: the rotation is what is tried here.
            await DockerCli.RunAsync("secret", "create", "--label", $"controlplane.family={family}", "--label", "controlplane.version=1", $"{family}.v1", value);
            await DockerCli.RunAsync("service", "create", "--detach", "--name", service, "--replicas", "1", "--update-monitor", "1s", "--stop-grace-period", "1s",
                "--secret", $"source={family}.v1,target=db-password", SwarmEnvironment.DemoImage);

            await using var app = await browser.OpenAsync("secrets");
            var page = app.Page;
            await app.WaitForRenderQuietAsync();
            // Other tests' families share the swarm: narrow the list as a keyboard user would, with the filter.
            await TabToAsync(page, page.GetByTestId("filter"));
            await page.Keyboard.TypeAsync(family);
            var card = page.Locator($"[data-testid=family][data-family='{family}']");
            await Expect(card.Locator("[data-testid=used-by]")).ToContainTextAsync(service, new() { Timeout = 60_000 });
            await Expect(page.Locator("[data-testid=family]")).ToHaveCountAsync(1);

            var rotate = card.GetByTestId("rotate");
            await TabToAsync(page, rotate);
            var dialog = page.GetByRole(AriaRole.Dialog);

            // Escape closes the dialog as Cancel does, and the focus is back on Rotate.
            await page.Keyboard.PressAsync("Enter");
            await ExpectFocusInsideAsync(dialog);
            await AssertFocusVisibleAsync(page);
            await page.Keyboard.PressAsync("Escape");
            await Expect(dialog).ToHaveCountAsync(0);
            await Expect(rotate).ToBeFocusedAsync();
            await AssertFocusVisibleAsync(page);

            await page.Keyboard.PressAsync("Enter");
            await ExpectFocusInsideAsync(dialog);
            await TabToAsync(page, page.GetByTestId("rotate-confirm"));
            await page.Keyboard.PressAsync("Enter");
            await Expect(dialog).ToHaveCountAsync(0);
            await Expect(rotate).ToBeFocusedAsync();
            await AssertFocusVisibleAsync(page);

            var progress = card.GetByTestId("operation");
            await Expect(progress.GetByTestId("operation-state")).ToHaveTextAsync("succeeded", new() { Timeout = 180_000 });
            Assert.Equal($"{family}.v2", (await DockerCli.RunAsync("service", "inspect", service, "--format",
                "{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}} {{end}}")).Trim());
            await Expect(card.Locator("[data-testid=family-version]")).ToHaveAttributeAsync("data-version", "2", new() { Timeout = 30_000 });
            await app.AssertHealthyAsync();
            output.WriteLine($"rotation done with the keyboard after {clock.Elapsed.TotalSeconds:F0} s");
        }
        finally
        {
            File.Delete(value);
            await IgnoreFailureAsync(() => DockerCli.RunAsync("service", "rm", service));
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

    /// <summary>
    /// Presses Tab until <paramref name="target"/> (or something inside it) has the focus, then checks the focus shows;
    /// fails with the last elements the focus went through when the target is not reached.
    /// </summary>
    private static async Task TabToAsync(IPage page, ILocator target, int maxPresses = 120)
    {
        var path = new List<string>();
        for (var press = 0; press < maxPresses; press++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await target.EvaluateAsync<bool>("el => el.contains(document.activeElement)"))
            {
                await AssertFocusVisibleAsync(page);
                return;
            }
            path.Add(await page.EvaluateAsync<string>("() => { const e = document.activeElement; return e ? e.tagName + (e.dataset.testid ? '#' + e.dataset.testid : '') + ' ' + (e.textContent || '').trim().slice(0, 30) : 'none'; }"));
        }
        Assert.Fail($"{maxPresses} presses of Tab did not reach {target}; the focus went through:\n{string.Join('\n', path.TakeLast(20))}");
    }

    private static async Task AssertFocusVisibleAsync(IPage page)
    {
        var missing = await page.EvaluateAsync<string?>(MissingFocusIndicator);
        Assert.True(missing is null, missing);
    }

    private static async Task ExpectFocusInsideAsync(ILocator container)
    {
        await Expect(container).ToBeVisibleAsync();
        await container.Page.WaitForFunctionAsync("el => el.contains(document.activeElement) && document.activeElement !== el", await container.ElementHandleAsync());
    }

    private static async Task<string> SpecAsync(string service, string format) =>
        (await DockerCli.RunAsync("service", "inspect", service, "--format", format)).Trim();

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
}
