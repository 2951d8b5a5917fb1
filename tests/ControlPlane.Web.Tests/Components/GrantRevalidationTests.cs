using Bunit;
using ControlPlane.Core.Model;
using ControlPlane.Web.Authentication;
using ControlPlane.Web.Components.Pages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

/// <summary>An open page follows the user's grants as they are now, not as they were when the page opened.</summary>
public sealed class GrantRevalidationTests : LiveComponentTestContext
{
    public GrantRevalidationTests() =>
        Services.AddSingleton(Options.Create(new SessionCheckOptions { RevalidationInterval = TimeSpan.FromMilliseconds(200) }));

    [Fact]
    public void A_grant_removed_while_a_page_is_open_takes_the_clusters_objects_off_the_page()
    {
        SetStatus(ClusterStatus.Synced);
        Upsert(Service("billing"));
        var cut = Render<Services>();
        cut.WaitForAssertion(() => Assert.Contains("billing", cut.Markup));

        Grants.Grants.Clear();

        cut.WaitForAssertion(() => Assert.DoesNotContain("billing", cut.Markup));
    }
}
