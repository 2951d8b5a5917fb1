using Bunit;
using ControlPlane.Core.Model;
using ControlPlane.Web.Components.Controls;

namespace ControlPlane.Web.Tests.Components;

public sealed class ClusterBannerTests : LiveComponentTestContext
{
    [Fact]
    public void A_synced_cluster_shows_no_banner()
    {
        SetStatus(ClusterStatus.Synced);

        var cut = Render<ClusterBanner>();

        Assert.Empty(cut.FindAll("[data-testid=cluster-banner]"));
    }

    [Fact]
    public void A_degraded_cluster_shows_a_warning_with_the_error_and_when_it_last_synced()
    {
        SetStatus(ClusterStatus.Synced);
        var cut = Render<ClusterBanner>();

        SetStatus(ClusterStatus.Degraded, "the engine closed the event stream");

        cut.WaitForAssertion(() =>
        {
            var banner = TextOf(cut.Find("[data-testid=cluster-banner]"));
            Assert.Contains("Reconnecting: what you see may be out of date", banner);
            Assert.Contains("the engine closed the event stream", banner);
            Assert.Contains("Last synced", banner);
        });
    }

    [Fact]
    public void An_unreachable_cluster_shows_an_error_banner_with_the_reason()
    {
        var cut = Render<ClusterBanner>();

        SetStatus(ClusterStatus.Unreachable, "Cannot reach a manager of cluster 'c1': unix:///tmp/x.sock (ControlPlane:Clusters:0:Endpoints:0): No such file");

        cut.WaitForAssertion(() =>
        {
            var banner = cut.Find("[data-testid=cluster-banner]");
            Assert.Contains("The cluster is unreachable", TextOf(banner));
            Assert.Contains("ControlPlane:Clusters:0:Endpoints:0", TextOf(banner));
            Assert.Contains("Never synced yet", TextOf(banner));
            Assert.Contains("mud-alert-text-error", banner.ClassName);
        });
    }

    [Fact]
    public void The_banner_goes_away_when_the_cluster_is_synced_again()
    {
        SetStatus(ClusterStatus.Degraded, "stream broke");
        var cut = Render<ClusterBanner>();
        Assert.Single(cut.FindAll("[data-testid=cluster-banner]"));

        SetStatus(ClusterStatus.Synced);

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=cluster-banner]")));
    }

    [Fact]
    public void While_connecting_it_says_so()
    {
        var cut = Render<ClusterBanner>();

        Assert.Contains("Connecting to the cluster", TextOf(cut.Find("[data-testid=cluster-banner]")));
    }
}
