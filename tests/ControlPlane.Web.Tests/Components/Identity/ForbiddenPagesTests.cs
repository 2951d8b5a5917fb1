using Bunit;
using ControlPlane.Core.Audit;
using ControlPlane.Core.Security;
using ControlPlane.Web.Components;
using Microsoft.AspNetCore.Components;
using AuditPage = ControlPlane.Web.Components.Pages.Admin.Audit;
using GrantsPage = ControlPlane.Web.Components.Pages.Admin.Grants;
using UsersPage = ControlPlane.Web.Components.Pages.Admin.Users;

namespace ControlPlane.Web.Tests.Components.Identity;

/// <summary>A user without Admin on all clusters opening an administration page: refused on the server, and audited.</summary>
public sealed class ForbiddenPagesTests : IdentityTestContext
{
    public static TheoryData<Type, string> Pages => new()
    {
        { typeof(UsersPage), Permissions.Users.Manage },
        { typeof(GrantsPage), Permissions.Grants.Manage },
        { typeof(AuditPage), Permissions.Audit.Read },
    };

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task A_viewer_sees_the_forbidden_state_and_the_attempt_is_audited_as_denied(Type page, string permission)
    {
        SignInAs(await CreateUserAsync("victor", "victor-long-password", Role.Viewer));

        var cut = Render(builder =>
        {
            builder.OpenComponent(0, page);
            builder.CloseComponent();
        });

        cut.WaitForAssertion(() => Assert.Equal(IdentityComponent.ForbiddenText, cut.Find("[data-testid=forbidden]").TextContent.Trim()));
        Assert.Empty(cut.FindAll("table"));
        var denied = Assert.Single(await AuditAsync(new AuditQuery(Actor: "victor")));
        Assert.Equal(AuditResult.Denied, denied.Entry.Result);
        Assert.Equal(permission, denied.Entry.Action);
    }

    [Fact]
    public async Task An_admin_of_one_cluster_only_is_refused_too()
    {
        SignInAs(await CreateUserAsync("clara", "clara-long-password", Role.Admin, AccessScope.OfCluster(ClusterId)));

        var cut = Render<UsersPage>();

        cut.WaitForElement("[data-testid=forbidden]");
        Assert.Equal(AuditResult.Denied, Assert.Single(await AuditAsync(new AuditQuery(Actor: "clara"))).Entry.Result);
    }
}
