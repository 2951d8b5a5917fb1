using Bunit;
using ControlPlane.Core.Model;
using ControlPlane.Web.Components.Pages;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

public sealed class NodeDetailPageTests : LiveComponentTestContext
{
    [Fact]
    public void The_node_shows_its_labels_capacity_reservations_and_tasks()
    {
        var web = Service("web", replicas: 2);
        var node = Node("node1", role: "manager", leader: true, labels: Labels.From(new Dictionary<string, string> { ["zone"] = "eu-1" }));
        Upsert(node, web, TaskOf(web, 1) with { ReservedNanoCpus = 500_000_000, ReservedMemoryBytes = 1L << 30 });
        SetStatus(ClusterStatus.Synced);

        var cut = Render<NodeDetail>(p => p.Add(x => x.NodeId, node.Id));

        Assert.Equal("node1", TextOf(cut.Find("[data-testid=node-hostname]")));
        var label = Assert.Single(cut.FindAll("[data-testid=node-label]"));
        Assert.Equal("zone", label.QuerySelector("th")!.TextContent.Trim());
        Assert.Equal("eu-1", label.QuerySelector("td")!.TextContent.Trim());
        var capacity = TextOf(cut.Find("[data-testid=node-capacity]"));
        Assert.Contains("CPU: 0.5 of 2 reserved", capacity);
        Assert.Contains("Memory: 1 GiB of 4 GiB reserved", capacity);
        Assert.Contains("web", TextOf(cut.Find("[data-testid=task-table]")));
    }

    [Fact]
    public void A_node_going_down_shows_live_and_a_removed_node_says_so()
    {
        var node = Node("node2");
        Upsert(node);
        SetStatus(ClusterStatus.Synced);
        var cut = Render<NodeDetail>(p => p.Add(x => x.NodeId, "node2"));

        Upsert(node with { State = "down" });
        cut.WaitForAssertion(() => Assert.Contains("down", cut.Find(".mud-chip").TextContent));

        Delete(node);
        cut.WaitForAssertion(() => Assert.Contains("no node 'node2'", cut.Find("[data-testid=node-missing]").TextContent));
    }
}

public sealed class ServiceDetailPageTests : LiveComponentTestContext
{
    [Fact]
    public void The_service_shows_its_policies_mounts_and_tasks_grouped_by_node()
    {
        var web = Service("web", replicas: 2) with
        {
            UpdateState = "completed",
            UpdateMessage = "update completed",
            Details = Service("web").Details with
            {
                Update = new UpdatePolicy(2, TimeSpan.FromSeconds(10), "rollback", TimeSpan.FromSeconds(30), 0.25, "start-first"),
                Secrets = ValueList<FileReference>.From([new FileReference("s1", "db.v1", "db_password", "0", "0", Convert.ToUInt32("400", 8))]),
            },
        };
        Upsert(ThreeNodeSwarm());
        Upsert(web, TaskOf(web, 1), TaskOf(web, 2) with { NodeId = "id-node2" });
        SetStatus(ClusterStatus.Synced);

        var cut = Render<ServiceDetail>(p => p.Add(x => x.IdOrName, "web"));

        Assert.Equal("2 / 2 running", TextOf(cut.Find("[data-testid=service-replicas]")));
        var policies = string.Join(" | ", cut.FindAll("[data-testid=service-policies] tr").Select(r => string.Join(" ", r.Children.Select(TextOf))));
        Assert.Contains("Parallelism 2 1", policies);
        Assert.Contains("On failure rollback pause", policies);
        Assert.Contains("Order start-first stop-first", policies);
        var mounts = TextOf(cut.Find("[data-testid=service-mounts]"));
        Assert.Contains("/run/secrets/db_password", mounts);
        Assert.Contains("0400", mounts);
        var tasks = TextOf(cut.Find("[data-testid=service-tasks]"));
        Assert.Contains("node1", tasks);
        Assert.Contains("node2", tasks);
        Assert.Contains("update completed", TextOf(cut.Find("[data-testid=service-update-status]")));
    }

    [Fact]
    public void A_failing_task_shows_its_error_live()
    {
        var web = Service("web", replicas: 1);
        Upsert(ThreeNodeSwarm());
        Upsert(web, TaskOf(web, 1));
        SetStatus(ClusterStatus.Synced);
        var cut = Render<ServiceDetail>(p => p.Add(x => x.IdOrName, web.Id));

        Upsert(TaskOf(web, 1, state: "failed") with { Error = "task: non-zero exit (3)" });

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("task: non-zero exit (3)", TextOf(cut.Find("[data-testid=service-tasks]")));
            Assert.Equal("0 / 1 running", TextOf(cut.Find("[data-testid=service-replicas]")));
        });
    }

    [Fact]
    public void An_unknown_service_says_so_once_synced()
    {
        var cut = Render<ServiceDetail>(p => p.Add(x => x.IdOrName, "ghost"));
        Assert.Contains("Waiting for the first listing", cut.Find("[data-testid=service-missing]").TextContent);

        SetStatus(ClusterStatus.Synced);

        cut.WaitForAssertion(() => Assert.Contains("no service 'ghost'", cut.Find("[data-testid=service-missing]").TextContent));
    }
}

public sealed class PageChangesTests : LiveComponentTestContext
{
    [Fact]
    public void An_operator_scales_a_service_from_its_page_through_the_audited_executor()
    {
        var web = Service("web", replicas: 2);
        Upsert(ThreeNodeSwarm());
        Upsert(web);
        SetStatus(ClusterStatus.Synced);
        Grants.Grants.Clear();
        Grants.Grants.Add(new ControlPlane.Core.Security.Grant(1, "tester", ControlPlane.Core.Security.Role.Operator, ControlPlane.Core.Security.AccessScope.Everywhere));
        var cut = Render<ServiceDetail>(p => p.Add(x => x.IdOrName, "web"));

        var replicas = cut.Find("[data-testid=scale-replicas]");
        (replicas.TagName == "INPUT" ? replicas : replicas.QuerySelector("input")!).Change("5");
        cut.Find("[data-testid=scale-button]").Click();

        cut.WaitForAssertion(() => Assert.Contains($"scale {web.Id} 5", SwarmChanges.Calls));
        Assert.Contains(Audit.Entries, e => e.Action == "services.scale" && e.Result == ControlPlane.Core.Audit.AuditResult.Succeeded && e.Diff!.Contains("Replicas: 1 → 5"));
    }

    [Fact]
    public void A_viewer_sees_no_scale_or_availability_controls()
    {
        var web = Service("web", replicas: 2);
        Upsert(ThreeNodeSwarm());
        Upsert(web);
        SetStatus(ClusterStatus.Synced);
        Grants.Grants.Clear();
        Grants.Grants.Add(new ControlPlane.Core.Security.Grant(1, "tester", ControlPlane.Core.Security.Role.Viewer, ControlPlane.Core.Security.AccessScope.Everywhere));

        var service = Render<ServiceDetail>(p => p.Add(x => x.IdOrName, "web"));
        var node = Render<NodeDetail>(p => p.Add(x => x.NodeId, "node2"));

        Assert.Empty(service.FindAll("[data-testid=scale-button]"));
        Assert.Empty(node.FindAll("[data-testid=availability-buttons]"));
    }

    [Fact]
    public void An_admin_pauses_a_node_from_its_page()
    {
        Upsert(ThreeNodeSwarm());
        SetStatus(ClusterStatus.Synced);
        var cut = Render<NodeDetail>(p => p.Add(x => x.NodeId, "node2"));

        cut.FindAll("[data-testid=availability-buttons] button").Single(b => b.TextContent.Trim() == "pause").Click();

        cut.WaitForAssertion(() => Assert.Contains("availability id-node2 pause", SwarmChanges.Calls));
    }
}
