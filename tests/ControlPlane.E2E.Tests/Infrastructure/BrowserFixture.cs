using System.Net.Http.Json;
using Microsoft.Playwright;

namespace ControlPlane.E2E.Tests.Infrastructure;

/// <summary>
/// One ControlPlane on a loopback port and one headless Chromium, started once for every browser test
/// (both take seconds to start); each test opens its own isolated browser context through <see cref="OpenAsync"/>.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>Debian's Chromium: Playwright's own browser builds cannot be downloaded here (DESIGN §1).</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly KestrelAppFactory _app = new();
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>Where the app listens, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; private set; } = default!;

    /// <summary>The bootstrap admin's cookies, taken once through the real sign-in form and given to every context.</summary>
    private string? _signedIn;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing. Install Debian's Chromium (apt-get install -y chromium); tests/run.sh does.");
        }
        Assertions.SetDefaultExpectTimeout((float)AppPage.Timeout.TotalMilliseconds);
        BaseAddress = _app.Start();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        _signedIn = await SignInAsync(KestrelAppFactory.BootstrapAdmin, KestrelAppFactory.BootstrapPassword);
    }

    /// <summary>
    /// A new local user with one grant, <paramref name="role"/> on one stack of the cluster, made through the API by the
    /// bootstrap admin; answers the browser state of the user signed in (see <see cref="SignInAsync"/>).
    /// </summary>
    public async Task<string> SignInAsNewStackUserAsync(string userName, string password, string role, string stack)
    {
        using var admin = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer() }) { BaseAddress = BaseAddress };
        (await admin.PostAsJsonAsync("/api/auth/login", new { username = KestrelAppFactory.BootstrapAdmin, password = KestrelAppFactory.BootstrapPassword })).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/users", new { username = userName, password })).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/grants", new { subject = userName, role, scope = new { cluster = KestrelAppFactory.ClusterId, stack } })).EnsureSuccessStatusCode();
        return await SignInAsync(userName, password);
    }

    /// <summary>Signs in through the sign-in page as a person would, and returns the browser state holding the cookie.</summary>
    public async Task<string> SignInAsync(string userName, string password)
    {
        await using var context = await _browser!.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        await page.GotoAsync("account/login");
        await page.FillAsync("#username", userName);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(url => !url.Contains("/account/login"), new PageWaitForURLOptions { Timeout = (float)AppPage.Timeout.TotalMilliseconds });
        return await context.StorageStateAsync();
    }

    /// <summary>
    /// A fresh browser context (no shared cookies or storage) with one page, loaded at <paramref name="path"/>,
    /// signed in as the bootstrap admin unless <paramref name="signedInAs"/> holds another user's state from <see cref="SignInAsync"/>.
    /// </summary>
    public async Task<AppPage> OpenAsync(string path = "", ColorScheme colorScheme = ColorScheme.Light, string? signedInAs = null)
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
            // The layout follows the system colour scheme on first render; pin it so screenshots are repeatable.
            ColorScheme = colorScheme,
            StorageState = signedInAs ?? _signedIn,
        });
        var page = await AppPage.CreateAsync(context);
        await page.GotoAsync(path);
        return page;
    }

    /// <summary>
    /// A fresh context with no cookies and one blank page, for the pages seen before signing in; they are not
    /// interactive, so unlike <see cref="OpenAsync"/> nothing waits for a circuit. Dispose its <c>Context</c>.
    /// </summary>
    public async Task<IPage> OpenSignedOutAsync(ColorScheme colorScheme)
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
            ColorScheme = colorScheme,
        });
        context.SetDefaultTimeout((float)AppPage.Timeout.TotalMilliseconds);
        return await context.NewPageAsync();
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        _playwright?.Dispose();
        await _app.DisposeAsync();
    }
}

/// <summary>All browser tests share the one app and browser of <see cref="BrowserFixture"/>, and so run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
