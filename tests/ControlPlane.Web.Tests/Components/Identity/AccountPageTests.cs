using System.Security.Claims;
using Bunit;
using ControlPlane.Core.Audit;
using ControlPlane.Core.Identity;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using AccountPage = ControlPlane.Web.Components.Pages.Account;

namespace ControlPlane.Web.Tests.Components.Identity;

public sealed class AccountPageTests : IdentityTestContext
{
    [Fact]
    public async Task A_new_token_is_shown_once_in_a_dialog_and_afterwards_only_its_prefix_is_anywhere_on_the_page()
    {
        var dialogs = Render<MudDialogProvider>();
        var cut = Render<AccountPage>();
        cut.WaitForElement("[data-testid=tokens-table]");

        Type(cut, "token-name", "ci-deploy");
        cut.Find("[data-testid=create-token]").Click();

        var token = dialogs.WaitForElement("[data-testid=token-value]").TextContent.Trim();
        Assert.StartsWith(IdentityRules.TokenPrefix, token);
        Assert.Contains("will not be shown again", dialogs.Markup);
        Assert.NotNull(await WithScopeAsync(sp => sp.GetRequiredService<ITokenStore>().AuthenticateAsync(token)));

        ClickDialogButton(dialogs, "I have copied it");

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=token-value]")));
        cut.WaitForAssertion(() => Assert.Equal(token[..10] + "…", RowWith(cut, "tokens-table", "ci-deploy")?.QuerySelector("[data-testid=token-prefix]")?.TextContent.Trim()));
        Assert.DoesNotContain(token, cut.Markup);
        Assert.DoesNotContain(token, dialogs.Markup);
        var audited = Assert.Single(await AuditAsync(new AuditQuery(Action: "tokens.create")), r => r.Entry.Result != AuditResult.Started);
        Assert.DoesNotContain(token, audited.Entry.Detail ?? "");
    }

    [Fact]
    public async Task A_token_is_revoked_after_confirmation_and_no_longer_signs_anyone_in()
    {
        var created = await WithScopeAsync(sp => sp.GetRequiredService<ITokenStore>().CreateAsync(Admin.Id, "old-job", 30));
        var dialogs = Render<MudDialogProvider>();
        var cut = Render<AccountPage>();

        cut.WaitForElement($"[data-testid=revoke-token-{created.Id}]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("old-job", dialogs.Markup));
        ClickDialogButton(dialogs, "Revoke");

        cut.WaitForAssertion(() => Assert.StartsWith("revoked", RowWith(cut, "tokens-table", "old-job")?.QuerySelector("[data-testid=token-status]")?.TextContent.Trim()));
        Assert.Empty(cut.FindAll($"[data-testid=revoke-token-{created.Id}]"));
        Assert.Null(await WithScopeAsync(sp => sp.GetRequiredService<ITokenStore>().AuthenticateAsync(created.Token)));
        Assert.Single(await AuditAsync(new AuditQuery(Action: "tokens.revoke")), r => r.Entry.Result == AuditResult.Succeeded);
    }

    [Fact]
    public async Task Changing_the_password_says_what_is_wrong_and_then_that_it_worked_and_keeps_no_password_on_the_page()
    {
        const string next = "a-brand-new-long-password";
        var cut = Render<AccountPage>();
        cut.WaitForElement("[data-testid=password-form]");

        Type(cut, "current-password", AdminPassword);
        Type(cut, "new-password", next);
        Type(cut, "repeat-password", next + "x");
        cut.Find("[data-testid=change-password]").Click();
        cut.WaitForAssertion(() => Assert.Equal("The new password and its repetition differ.", cut.Find("[data-testid=password-message]").TextContent.Trim()));

        Type(cut, "current-password", "not-the-password");
        Type(cut, "new-password", next);
        Type(cut, "repeat-password", next);
        cut.Find("[data-testid=change-password]").Click();
        cut.WaitForAssertion(() => Assert.Equal("The current password is wrong.", cut.Find("[data-testid=password-message]").TextContent.Trim()));

        Type(cut, "current-password", AdminPassword);
        Type(cut, "new-password", next);
        Type(cut, "repeat-password", next);
        cut.Find("[data-testid=change-password]").Click();
        cut.WaitForAssertion(() => Assert.Equal(IdentityCommands.PasswordChanged, cut.Find("[data-testid=password-message]").TextContent.Trim()));

        Assert.DoesNotContain(next, cut.Markup);
        Assert.DoesNotContain(AdminPassword, cut.Markup);
        var signIn = await WithScopeAsync(sp => sp.GetRequiredService<IAccountStore>().SignInAsync(AdminName, next));
        Assert.Equal(SignInOutcome.Succeeded, signIn.Outcome);
        Assert.Equal([AuditResult.Succeeded, AuditResult.Failed],
            (await AuditAsync(new AuditQuery(Action: "account.password"))).Where(r => r.Entry.Result != AuditResult.Started).Select(r => r.Entry.Result));
    }

    [Fact]
    public async Task Signing_out_everywhere_asks_first_then_ends_the_sessions_and_lists_the_tokens_that_keep_working()
    {
        await WithScopeAsync(sp => sp.GetRequiredService<ITokenStore>().CreateAsync(Admin.Id, "nightly-backup", 30));
        var before = await WithScopeAsync(sp => sp.GetRequiredService<IAccountStore>().SecurityStampAsync(Admin.Id));
        var dialogs = Render<MudDialogProvider>();
        var cut = Render<AccountPage>();

        cut.WaitForAssertion(() => Assert.Contains("nightly-backup", cut.Find("[data-testid=session-tokens]").TextContent));
        cut.Find("[data-testid=signout-everywhere]").Click();
        ClickDialogButton(dialogs, "Sign out everywhere");

        var navigation = Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
        cut.WaitForAssertion(() => Assert.EndsWith("/account/login", navigation.Uri));
        Assert.NotEqual(before, await WithScopeAsync(sp => sp.GetRequiredService<IAccountStore>().SecurityStampAsync(Admin.Id)));
        Assert.Single(await AuditAsync(new AuditQuery(Action: "account.signout-everywhere")), r => r.Entry.Result == AuditResult.Succeeded);
    }

    [Fact]
    public void An_entra_user_sees_a_note_instead_of_password_and_tokens()
    {
        SignInAs("erin@example.com", new Claim("tid", "tenant"), new Claim(ClaimTypes.NameIdentifier, "entra-object-id"));

        var cut = Render<AccountPage>();

        cut.WaitForElement("[data-testid=entra-note]");
        Assert.Empty(cut.FindAll("[data-testid=password-form]"));
        Assert.Empty(cut.FindAll("[data-testid=tokens-table]"));
    }

    [Fact]
    public async Task A_client_bundle_is_created_offered_once_as_a_zip_download_listed_and_revoked()
    {
        var dialogs = Render<MudDialogProvider>();
        var cut = Render<AccountPage>();
        cut.WaitForElement("[data-testid=bundles-table]");

        Type(cut, "bundle-name", "laptop");
        cut.Find("[data-testid=create-bundle]").Click();

        var link = cut.WaitForElement("[data-testid=bundle-download-link]");
        Assert.Equal("bundle-laptop.zip", link.GetAttribute("download"));
        var zip = Convert.FromBase64String(link.GetAttribute("href")!["data:application/zip;base64,".Length..]);
        using (var archive = new System.IO.Compression.ZipArchive(new MemoryStream(zip)))
        {
            Assert.Contains(archive.Entries, e => e.Name == "key.pem");
            Assert.Contains(archive.Entries, e => e.Name == "env.sh");
        }
        cut.WaitForAssertion(() => Assert.Equal("active", RowWith(cut, "bundles-table", "laptop")?.QuerySelector("[data-testid=bundle-status]")?.TextContent.Trim()));

        cut.Find("[data-testid^=revoke-bundle-]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("laptop", dialogs.Markup));
        ClickDialogButton(dialogs, "Revoke");

        cut.WaitForAssertion(() => Assert.StartsWith("revoked", RowWith(cut, "bundles-table", "laptop")?.QuerySelector("[data-testid=bundle-status]")?.TextContent.Trim()));
        Assert.Contains(await AuditAsync(new AuditQuery(Action: "clientbundles.revoke")), r => r.Entry.Result == AuditResult.Succeeded);
    }
}
