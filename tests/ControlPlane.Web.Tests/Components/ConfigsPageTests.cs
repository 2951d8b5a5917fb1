using Bunit;
using ControlPlane.Core.Model;
using ControlPlane.Web.Components.Pages;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

public sealed class ConfigsPageTests : LiveComponentTestContext
{
    [Fact]
    public void A_config_lists_the_services_mounting_it_and_follows_changes()
    {
        var nginx = Config("nginx.conf");
        Upsert(nginx, Service("web").Using(configs: [new FileReference(nginx.Id, nginx.Name, "/etc/nginx/nginx.conf", "0", "0", 292)]));
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Configs>();
        Assert.Contains("web → /etc/nginx/nginx.conf (0444)", TextOf(RowWith(cut, "nginx.conf")));

        Upsert(Service("proxy").Using(configs: [new FileReference(nginx.Id, nginx.Name, "/etc/nginx/nginx.conf", "101", "101", 256)]));

        cut.WaitForAssertion(() =>
        {
            var links = RowWith(cut, "nginx.conf").QuerySelectorAll("[data-testid=used-by] a").Select(a => a.TextContent);
            Assert.Equal(["proxy", "web"], links);
        });
    }

    [Fact]
    public void A_secret_is_not_listed_as_a_config()
    {
        Upsert(Secret("db-password"), Config("app.json"));
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Configs>();

        Assert.Contains("app.json", cut.Markup);
        Assert.DoesNotContain("db-password", cut.Markup);
    }
}
