using Bunit;
using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Web.Components.Controls;
using ControlPlane.Web.Components.Pages;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

/// <summary>A user with only Viewer on one stack sees that stack and nothing else, on every page.</summary>
public sealed class StackScopedViewerTests : LiveComponentTestContext
{
    public StackScopedViewerTests()
    {
        Grants.Grants.Clear();
        Grants.Grants.Add(new Grant(2, "tester", Role.Viewer, AccessScope.OfStack(ClusterId, "shop")));
        var shop = Service("cart", stack: "shop");
        var billing = Service("invoices", stack: "billing");
        Upsert(ThreeNodeSwarm());
        Upsert(shop, TaskOf(shop, 1), billing, TaskOf(billing, 1), Service("loose"));
        SetStatus(ClusterStatus.Synced);
    }

    [Fact]
    public void The_services_page_lists_only_the_granted_stack()
    {
        var cut = Render<Services>();

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("tbody tr")));
        Assert.Contains("cart", cut.Markup);
        Assert.DoesNotContain("invoices", cut.Markup);
        Assert.DoesNotContain("loose", cut.Markup);
    }

    [Fact]
    public void The_nodes_page_shows_no_node_and_a_new_service_of_another_stack_stays_hidden()
    {
        var nodes = Render<Nodes>();
        Assert.DoesNotContain("node1", nodes.Markup);

        var services = Render<Services>();
        Upsert(Service("payments", stack: "billing"), Service("basket", stack: "shop"));

        services.WaitForAssertion(() => Assert.Contains("basket", services.Markup));
        Assert.DoesNotContain("payments", services.Markup);
    }

    [Fact]
    public void The_cluster_banner_tells_the_status_but_not_the_error_text_that_names_the_endpoint()
    {
        SetStatus(ClusterStatus.Unreachable, "unix:///var/run/secret-host.sock does not answer (ControlPlane:Clusters:0:Endpoints:0)");

        var cut = Render<ClusterBanner>();

        cut.WaitForAssertion(() => Assert.Contains("The cluster is unreachable", cut.Find("[data-testid=cluster-banner]").TextContent));
        Assert.DoesNotContain("secret-host", cut.Markup);
        Assert.DoesNotContain("Endpoints:0", cut.Markup);
    }

    [Fact]
    public void The_service_detail_of_another_stack_is_not_found()
    {
        var cut = Render<ServiceDetail>(p => p.Add(x => x.IdOrName, "invoices"));

        Assert.Contains("no service 'invoices'", cut.Find("[data-testid=service-missing]").TextContent);
    }
}
