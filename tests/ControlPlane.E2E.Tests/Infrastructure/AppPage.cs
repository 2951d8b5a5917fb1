using System.Collections.Concurrent;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E.Tests.Infrastructure;

/// <summary>
/// One browser page on ControlPlane, in its own context, that records every console error and uncaught
/// page error so a test can fail on them, and knows when the Blazor circuit has taken over the page.
/// </summary>
public sealed class AppPage : IAsyncDisposable
{
    /// <summary>Long enough for a first listing of the swarm and a circuit start on a busy CI machine.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    // Prerendered HTML looks like the live page but ignores clicks and never updates. Count the render
    // batches the server sends over the circuit's WebSocket: once one has arrived, the components on the
    // page are attached to the circuit. (blazor.web.js has no public "circuit started" event unless the
    // app starts Blazor by hand.) Blazor's protocol is MessagePack, in which the target name stays ASCII.
    // Also note when MudBlazor's theme provider reads the system colour scheme: the layout applies that
    // answer after its first render, and would undo a dark-mode click that came before it.
    private const string CircuitProbe = """
        (() => {
          window.__e2e = { renderBatches: 0, lastBatchAt: 0, schemeReadAtBatch: null };
          let themeProvider;
          Object.defineProperty(window, 'mudThemeProvider', {
            configurable: true,
            get: () => themeProvider,
            set: value => {
              const isDarkMode = value.isDarkMode;
              value.isDarkMode = function () {
                window.__e2e.schemeReadAtBatch = window.__e2e.renderBatches;
                return isDarkMode.apply(this, arguments);
              };
              themeProvider = value;
            },
          });
          const Native = window.WebSocket;
          window.WebSocket = class extends Native {
            constructor(url, protocols) {
              super(url, protocols);
              if (!String(url).includes('/_blazor')) return;
              const decoder = new TextDecoder('latin1');
              this.addEventListener('message', e => {
                const text = typeof e.data === 'string' ? e.data : decoder.decode(e.data);
                if (!text.includes('JS.RenderBatch')) return;
                window.__e2e.renderBatches++;
                window.__e2e.lastBatchAt = performance.now();
              });
            }
          };
        })();
        """;

    /// <summary>How long the circuit must stay silent for a page to count as rendered.</summary>
    private static readonly TimeSpan RenderQuiet = TimeSpan.FromMilliseconds(500);

    private readonly ConcurrentQueue<string> _errors = new();

    private AppPage(IBrowserContext context, IPage page)
    {
        Context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !IsFaviconMiss(message))
            {
                _errors.Enqueue($"console: {message.Text} ({message.Location})");
            }
        };
        page.PageError += (_, error) => _errors.Enqueue($"page error: {error}");
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public static async Task<AppPage> CreateAsync(IBrowserContext context)
    {
        context.SetDefaultTimeout((float)Timeout.TotalMilliseconds);
        await context.AddInitScriptAsync(CircuitProbe);
        return new AppPage(context, await context.NewPageAsync());
    }

    /// <summary>Loads <paramref name="path"/> and waits until the circuit has rendered into it.</summary>
    public async Task GotoAsync(string path)
    {
        var response = await Page.GotoAsync(path);
        Assert.True(response is { Ok: true }, $"GET /{path} answered {response?.Status}");
        await WaitForInteractiveAsync();
    }

    /// <summary>Waits until the Blazor circuit is connected and has rendered at least once into this document.</summary>
    public async Task WaitForInteractiveAsync()
    {
        await Page.WaitForFunctionAsync("() => window.__e2e.renderBatches > 0");
    }

    /// <summary>
    /// Waits until the server has sent no render for <see cref="RenderQuiet"/>, as Playwright's "network idle"
    /// does for requests: some content comes one round trip after the first render (<c>Virtualize</c> draws
    /// its rows only once the browser has measured the viewport), so the first render is not the whole page.
    /// </summary>
    public async Task WaitForRenderQuietAsync()
    {
        await Page.WaitForFunctionAsync(
            "quietMs => window.__e2e.renderBatches > 0 && performance.now() - window.__e2e.lastBatchAt > quietMs",
            RenderQuiet.TotalMilliseconds,
            new() { PollingInterval = 100 });
    }

    /// <summary>
    /// Waits until the layout has applied the system colour scheme it reads after its first render (a render
    /// batch has come after the read), so a click on the dark-mode toggle is not overwritten by it.
    /// </summary>
    public async Task WaitForColorSchemeAppliedAsync()
    {
        await Page.WaitForFunctionAsync("() => window.__e2e.schemeReadAtBatch !== null && window.__e2e.renderBatches > window.__e2e.schemeReadAtBatch");
    }

    /// <summary>Fails with everything that went wrong in the browser: the Blazor error bar, console errors, page errors.</summary>
    public async Task AssertHealthyAsync()
    {
        await Expect(Page.Locator("#blazor-error-ui")).ToBeHiddenAsync(new() { Timeout = 1_000 });
        Assert.True(_errors.IsEmpty, $"The browser reported errors on {Page.Url}:\n{string.Join('\n', _errors)}");
    }

    // Browsers ask for /favicon.ico on their own whatever the page links; a miss there is no defect of the page.
    private static bool IsFaviconMiss(IConsoleMessage message) => message.Location.Contains("favicon", StringComparison.OrdinalIgnoreCase);

    public async ValueTask DisposeAsync() => await Context.DisposeAsync();
}
