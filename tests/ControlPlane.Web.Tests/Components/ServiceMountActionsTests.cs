using Bunit;
using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Web.Components.Pages;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

/// <summary>Injecting and detaching families from a service's page: defaults shown, rolling updates followed live, hidden from those who may not.</summary>
public sealed class ServiceMountActionsTests : LiveComponentTestContext
{
    private static readonly Labels DbLabels = Labels.From([new("controlplane.family", "db"), new("controlplane.version", "1")]);

    [Fact]
    public void The_inject_form_shows_docker_s_defaults_and_detach_runs_a_rolling_update_with_progress()
    {
        var db = Secret("db.v1", DbLabels);
        var reference = new FileReference(db.Id, db.Name, "db", "0", "0", 292);
        Upsert(db, Secret("api-key.v1", Labels.From([new("controlplane.family", "api-key"), new("controlplane.version", "1")])),
            Service("web", stack: "shop").Using(secrets: [reference]));
        SetStatus(ClusterStatus.Synced);
        FileObjects.Mount("id-web", reference);

        var cut = Render<ServiceDetail>(p => p.Add(x => x.IdOrName, "web"));

        Assert.Equal("0", cut.Find("input[data-testid=inject-uid]").GetAttribute("value"));
        Assert.Equal("0", cut.Find("input[data-testid=inject-gid]").GetAttribute("value"));
        Assert.Equal("0444", cut.Find("input[data-testid=inject-mode]").GetAttribute("value"));

        cut.Find("[data-testid=detach][data-family=db]").Click();

        cut.WaitForAssertion(() => Assert.Equal("succeeded", TextOf(cut.Find("[data-testid=operation-state]"))));
        Assert.Equal(["references id-web "], FileObjects.Calls);
        Assert.Contains(Audit.Entries, e => e.Action == "secrets.detach" && e.Target.EndsWith("shop/web", StringComparison.Ordinal));
    }

    [Fact]
    public void A_secrets_admin_of_another_stack_sees_neither_the_form_nor_detach()
    {
        Grants.Grants.Clear();
        Grants.Grants.Add(new Grant(2, "tester", Role.SecretsAdmin, AccessScope.OfStack(ClusterId, "billing")));
        Grants.Grants.Add(new Grant(3, "tester", Role.Viewer, AccessScope.OfCluster(ClusterId)));
        var db = Secret("db.v1", DbLabels);
        Upsert(db, Service("web", stack: "shop").Using(secrets: [new FileReference(db.Id, db.Name, "db", "0", "0", 292)]));
        SetStatus(ClusterStatus.Synced);

        var cut = Render<ServiceDetail>(p => p.Add(x => x.IdOrName, "web"));

        Assert.Empty(cut.FindAll("[data-testid=inject-form], [data-testid=detach]"));
    }
}
