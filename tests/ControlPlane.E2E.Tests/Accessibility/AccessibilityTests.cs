using System.Text.Json;
using ControlPlane.E2E.Tests.Infrastructure;
using ControlPlane.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E.Tests.Accessibility;

/// <summary>
/// axe-core, the engine behind browsers' accessibility audits, run on every page of the menu, the detail pages,
/// the sign-in page and the main dialogs, in light and dark mode: any critical or serious violation of WCAG 2.1
/// A/AA (or of the landmark and heading rules below) fails the test with the rule, the element and what is wrong.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AccessibilityTests(BrowserFixture browser, ITestOutputHelper output)
{
    private static readonly string[] Tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];

    /// <summary>Best-practice rules axe rates moderate that a screen-reader user still depends on: where the page is, what it is called.</summary>
    private static readonly HashSet<string> AlsoEnforced = ["landmark-one-main", "page-has-heading-one", "region"];

    /// <summary>Rules still violated somewhere, with why they are left: reported in the output, not failed. Empty is the goal.</summary>
    private static readonly Dictionary<string, string> Known = new();

    private const string RunAxe = """
        async tags => {
          const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
          return JSON.stringify(result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 240)) })));
        }
        """;

    private static readonly string AxeSource = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Accessibility", "axe.min.js"));

    [Fact]
    public async Task Every_page_and_main_dialog_has_no_critical_or_serious_axe_violation_in_light_and_dark_mode()
    {
        var stack = $"a11y{Guid.NewGuid():N}"[..10];
        var compose = Path.Combine(Path.GetTempPath(), stack + ".yml");
        await File.WriteAllTextAsync(compose, $"version: \"3.8\"\nservices:\n  web:\n    image: {SwarmEnvironment.DemoImage}\n");
        await DockerCli.RunAsync("stack", "deploy", "--detach=true", "-c", compose, stack);
        // A secret family of version 1, so that the Secrets page has a Rotate dialog to audit.
        var family = $"{stack}-db";
        var value = Path.Combine(Path.GetTempPath(), family);
        await File.WriteAllTextAsync(value, Guid.NewGuid().ToString("N"));
        await DockerCli.RunAsync("secret", "create", "--label", $"controlplane.family={family}", "--label", "controlplane.version=1", $"{family}.v1", value);
        File.Delete(value);
        var findings = new List<Finding>();
        var audited = new List<string>();
        try
        {
            foreach (var scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
            {
                await AuditSignInAsync(scheme, findings, audited);
                await AuditSignedInAsync(scheme, stack, family, findings, audited);
            }
        }
        finally
        {
            await DockerCli.StackRemoveAsync(stack);
            await DockerCli.RunAsync("secret", "rm", $"{family}.v1");
            File.Delete(compose);
        }

        // One line per audited page and dialog, also when it is clean: the counts are the figure the issue asks for.
        foreach (var name in audited)
        {
            var onPage = findings.Where(f => f.Page == name).ToList();
            output.WriteLine($"{name}: {onPage.Sum(f => f.Targets.Length)} critical/serious"
                + (onPage.Count == 0 ? "" : " — " + string.Join(", ", onPage.GroupBy(f => f.Rule).Select(r => $"{r.Key} ×{r.Sum(f => f.Targets.Length)}"))));
        }
        foreach (var finding in findings.Where(f => Known.ContainsKey(f.Rule)))
        {
            output.WriteLine($"known: {finding.Page}: {finding.Rule} {string.Join(" | ", finding.Targets)}");
        }
        var failures = findings.Where(f => !Known.ContainsKey(f.Rule)).ToList();
        Assert.True(failures.Count == 0, "axe found:\n" + string.Join("\n", failures.Select(f =>
            $"{f.Page}: {f.Rule} ({f.Impact}) {f.Help}\n    {string.Join("\n    ", f.Targets)}")));
    }

    [Fact]
    public async Task A_skip_link_before_the_app_bar_shows_on_focus_and_takes_the_keyboard_past_the_menu_to_the_page()
    {
        await using var app = await browser.OpenAsync("services");
        var skip = app.Page.GetByRole(AriaRole.Link, new() { Name = "Skip to content" });
        await Expect(skip).Not.ToBeInViewportAsync();
        // After each navigation Blazor puts focus on the page's h1 (FocusOnNavigate); the skip link is the stop
        // before the app bar's first button, where a keyboard user starting from the top of the document meets it.
        await app.WaitForRenderQuietAsync();
        await app.Page.GetByLabel("Toggle navigation").FocusAsync();
        await app.Page.Keyboard.PressAsync("Shift+Tab");
        await Expect(skip).ToBeFocusedAsync();
        await Expect(skip).ToBeInViewportAsync();

        await app.Page.Keyboard.PressAsync("Enter");
        await Expect(app.Page.Locator("main#main-content")).ToBeFocusedAsync();
        await Expect(app.Page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Services");
        await app.AssertHealthyAsync();
    }

    private async Task AuditSignInAsync(ColorScheme scheme, List<Finding> findings, List<string> audited)
    {
        var page = await browser.OpenSignedOutAsync(scheme);
        await using var context = page.Context;
        await context.AddInitScriptAsync(AxeSource);
        await page.GotoAsync("account/login");
        await Expect(page.Locator("#username")).ToBeVisibleAsync();
        findings.AddRange(await AuditAsync(page, $"sign-in ({scheme})", audited));
    }

    private async Task AuditSignedInAsync(ColorScheme scheme, string stack, string family, List<Finding> findings, List<string> audited)
    {
        await using var app = await browser.OpenAsync("", scheme);
        await app.Context.AddInitScriptAsync(AxeSource);
        var page = app.Page;
        var links = await page.Locator(".mud-navmenu a.mud-nav-link[href]").EvaluateAllAsync<string[]>(
            "links => links.map(a => new URL(a.href).pathname)");
        Assert.Contains("/nodes", links);

        var service = $"{stack}_web";
        foreach (var path in links.Concat(["/account", $"/services/{service}", $"/stacks/{stack}"]))
        {
            await OpenAsync(app, path);
            findings.AddRange(await AuditAsync(page, $"{path} ({scheme})", audited));
        }

        await OpenAsync(app, "/nodes");
        var node = await page.GetByTestId("nodes-table").Locator("tbody a[href*='nodes/']").First.GetAttributeAsync("href");
        await OpenAsync(app, "/" + node!.TrimStart('/'));
        findings.AddRange(await AuditAsync(page, $"/nodes/… ({scheme})", audited));

        await OpenAsync(app, "/stacks");
        await page.GetByTestId("stack-deploy-open").ClickAsync();
        await Expect(page.GetByTestId("stack-deploy-name")).ToBeVisibleAsync();
        await app.WaitForRenderQuietAsync();
        findings.AddRange(await AuditAsync(page, $"deploy-stack panel ({scheme})", audited));

        await OpenAsync(app, $"/services/{service}");
        await page.GetByTestId("service-remove").ClickAsync();
        await Expect(page.GetByTestId("confirm-by-name-input")).ToBeVisibleAsync();
        await app.WaitForRenderQuietAsync();
        findings.AddRange(await AuditAsync(page, $"confirm-by-name dialog ({scheme})", audited));
        await page.Keyboard.PressAsync("Escape");
        await Expect(page.GetByTestId("confirm-by-name-input")).ToHaveCountAsync(0);

        await page.GetByTestId("rollout-open").ClickAsync();
        await Expect(page.GetByTestId("rollout-image")).ToBeVisibleAsync();
        await app.WaitForRenderQuietAsync();
        findings.AddRange(await AuditAsync(page, $"rollout form ({scheme})", audited));

        await OpenAsync(app, "/secrets");
        await page.GetByTestId("filter").FillAsync(family);
        var card = page.Locator($"[data-testid=family][data-family='{family}']");
        await Expect(card).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await card.GetByTestId("rotate").ClickAsync();
        await Expect(page.GetByTestId("rotate-confirm")).ToBeVisibleAsync();
        await app.WaitForRenderQuietAsync();
        findings.AddRange(await AuditAsync(page, $"rotate dialog ({scheme})", audited));
        await page.Keyboard.PressAsync("Escape");
        await Expect(page.GetByTestId("rotate-confirm")).ToHaveCountAsync(0);
        await app.AssertHealthyAsync();
    }

    /// <summary>Loads a page and waits until its heading is shown, nothing is loading and the colour scheme is applied.</summary>
    private static async Task OpenAsync(AppPage app, string path)
    {
        await app.GotoAsync(path.TrimStart('/'));
        await app.WaitForColorSchemeAppliedAsync();
        var main = app.Page.Locator(".mud-main-content");
        await Expect(main.Locator("h1, h2, h3, h4, h5, h6").First).ToBeVisibleAsync();
        await Expect(main.Locator(".mud-progress-circular.mud-progress-indeterminate, .mud-progress-linear.mud-progress-indeterminate, .mud-skeleton").Locator("visible=true")).ToHaveCountAsync(0);
        await app.WaitForRenderQuietAsync();
    }

    private static async Task<IEnumerable<Finding>> AuditAsync(IPage page, string name, List<string> audited)
    {
        audited.Add(name);
        var json = await page.EvaluateAsync<string>(RunAxe, Tags);
        var violations = JsonSerializer.Deserialize<Violation[]>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        return violations
            .Where(v => v.Impact is "critical" or "serious" || AlsoEnforced.Contains(v.Id))
            .Select(v => new Finding(name, v.Id, v.Impact ?? "", v.Help, v.Targets));
    }

    private sealed record Violation(string Id, string? Impact, string Help, string[] Targets);

    private sealed record Finding(string Page, string Rule, string Impact, string Help, string[] Targets);
}
