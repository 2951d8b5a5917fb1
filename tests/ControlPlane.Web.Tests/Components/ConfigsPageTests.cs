using System.Text;
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

    [Fact]
    public void A_version_s_data_is_shown_and_two_versions_are_diffed_line_by_line()
    {
        var labels = (int v) => Labels.From([new("controlplane.family", "app"), new("controlplane.version", v.ToString())]);
        var v1 = Config("app.v1", labels(1));
        var v2 = Config("app.v2", labels(2));
        FileObjects.ConfigData[v1.Id] = Encoding.UTF8.GetBytes("port=80\nmode=dev\n");
        FileObjects.ConfigData[v2.Id] = Encoding.UTF8.GetBytes("port=8080\nmode=dev\n");
        Upsert(v1, v2);
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Configs>();

        cut.FindAll("[data-testid=view-data]")[1].Click();
        cut.WaitForAssertion(() => Assert.Contains("port=80\nmode=dev", cut.Find("[data-testid=config-data] pre").TextContent));

        cut.Find("[data-testid=diff]").Click();
        cut.WaitForAssertion(() =>
        {
            var lines = cut.FindAll("[data-testid=config-data] pre span").Select(s => s.TextContent.TrimEnd('\n')).ToList();
            Assert.Equal(["- port=80", "+ port=8080", "  mode=dev"], lines);
            Assert.Contains("diff-add", cut.Find("[data-testid=config-data] pre").InnerHtml);
        });
    }
}
