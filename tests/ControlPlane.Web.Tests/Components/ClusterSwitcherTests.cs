using Bunit;
using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Web.Components.Controls;
using ControlPlane.Web.Components.Pages;
using Microsoft.Extensions.DependencyInjection;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

/// <summary>Several clusters: the switcher lists those the user may see, and live pages follow the choice.</summary>
public sealed class ClusterSwitcherTests : LiveComponentTestContext
{
    public ClusterSwitcherTests()
    {
        Store.Register(ClusterInfo.Initial("c2", "staging"));
        Store.Register(ClusterInfo.Initial("c3", "secret-lab"));
        Upsert(Node("prod-node"));
        Store.Apply("c2", [ResourceChange.Upsert(Node("staging-node"))]);
        Store.Apply("c3", [ResourceChange.Upsert(Node("lab-node"))]);
        Grants.Grants.Clear();
        Grants.Grants.Add(new Grant(1, "tester", Role.Viewer, AccessScope.OfCluster(ClusterId)));
        Grants.Grants.Add(new Grant(2, "tester", Role.Viewer, AccessScope.OfCluster("c2")));
    }

    [Fact]
    public async Task Switching_the_cluster_moves_the_open_page_to_it_and_hidden_clusters_are_not_offered()
    {
        var nodes = Render<Nodes>();
        nodes.WaitForAssertion(() => Assert.Contains("prod-node", nodes.Markup));
        var selection = Services.GetRequiredService<ClusterSelection>();

        Assert.Equal([ClusterId, "c2"], selection.VisibleClusters.Select(c => c.Id));
        await nodes.InvokeAsync(() => selection.Select("c2"));

        nodes.WaitForAssertion(() =>
        {
            Assert.Contains("staging-node", nodes.Markup);
            Assert.DoesNotContain("prod-node", nodes.Markup);
        });

        await nodes.InvokeAsync(() => selection.Select("c3"));
        Assert.Equal("c2", selection.ClusterId);
        Assert.DoesNotContain("lab-node", nodes.Markup);
    }
}
