using Bunit;
using ControlPlane.Core.Model;
using ControlPlane.Web.Components.Pages;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

public sealed class NetworksPageTests : LiveComponentTestContext
{
    [Fact]
    public void A_network_shows_its_flags_and_the_services_attached_by_id_or_by_name()
    {
        Upsert(
            Network("ingress", ingress: true),
            Network("backend", @internal: true, attachable: true),
            Service("api").Using(networks: ["net-backend"]),
            Service("worker").Using(networks: ["backend"]),
            Service("web").Using(networks: ["net-frontend"]));
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Networks>();

        var backend = RowWith(cut, "backend");
        Assert.Equal(["internal", "attachable"], Flags(backend));
        Assert.Equal(["api", "worker"], backend.QuerySelectorAll("[data-testid=network-services] a").Select(a => a.TextContent));
        Assert.Equal(["ingress"], Flags(RowWith(cut, "ingress")));
    }

    [Fact]
    public void A_service_attached_later_appears_on_its_network()
    {
        Upsert(Network("backend"));
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Networks>();
        Assert.Empty(RowWith(cut, "backend").QuerySelectorAll("[data-testid=network-services] a"));

        Upsert(Service("api").Using(networks: ["net-backend"]));

        cut.WaitForAssertion(() =>
        {
            var link = Assert.Single(RowWith(cut, "backend").QuerySelectorAll("[data-testid=network-services] a"));
            Assert.Equal("services/id-api", link.GetAttribute("href"));
        });
    }

    [Fact]
    public void The_filter_says_when_nothing_matches()
    {
        Upsert(Network("backend"));
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Networks>();

        cut.Find("input").Input("zzz");

        cut.WaitForAssertion(() => Assert.Contains("No network matches 'zzz'.", cut.Find("tbody").TextContent));
    }

    private static IEnumerable<string> Flags(AngleSharp.Dom.IElement row) =>
        row.QuerySelectorAll("[data-testid=network-flags] .mud-chip").Select(c => TextOf(c));
}
