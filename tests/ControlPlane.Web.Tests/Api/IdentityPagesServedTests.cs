using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.Web.Tests.Api;

/// <summary>The account and administration pages as the real host prerenders them: wired, and showing each caller only what is theirs.</summary>
public sealed class IdentityPagesServedTests(UnreachableAppFactory factory) : IClassFixture<UnreachableAppFactory>
{
    [Theory]
    [InlineData("/admin/users", "users-table")]
    [InlineData("/admin/grants", "grants-table")]
    [InlineData("/admin/audit", "audit-log")]
    [InlineData("/account", "tokens-table")]
    public async Task An_admin_gets_the_page_with_the_administration_menu_and_the_user_menu(string path, string testId)
    {
        using var admin = await factory.CreateSignedInClientAsync(ControlPlaneAppFactory.BootstrapAdmin, ControlPlaneAppFactory.BootstrapPassword);

        var html = await admin.GetStringAsync(path);

        Assert.Contains($"data-testid=\"{testId}\"", html);
        Assert.Contains("Administration", html);
        Assert.Contains("href=\"admin/audit\"", html);
        // The menu's items (My account, Sign out) render in a popover once the circuit runs; the E2E tests open it.
        Assert.Contains("data-testid=\"user-menu\"", html);
    }

    [Fact]
    public async Task A_viewer_gets_no_administration_menu_and_the_forbidden_state()
    {
        using var viewer = await factory.CreateSignedInViewerAsync("pages-viewer");

        var html = await viewer.GetStringAsync("/admin/users");

        Assert.Contains("You need Admin on all clusters to see this page.", html);
        Assert.DoesNotContain("href=\"admin/users\"", html);
        Assert.DoesNotContain("data-testid=\"users-table\"", html);
    }
}
