using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using static ControlPlane.Core.Tests.State.Resources;

namespace ControlPlane.Core.Tests.State;

public class StackSummaryTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 2, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Services_group_by_stack_by_name_with_the_services_outside_any_stack_last()
    {
        var state = StateWith(
            InStack(Service("s1", name: "web"), "shop"),
            InStack(Service("s2", name: "grafana"), "monitoring"),
            Service("s3", name: "adhoc"),
            InStack(Service("s4", name: "api"), "shop"));

        var stacks = StackSummary.Of(state, Now);

        Assert.Equal(["monitoring", "shop", "(no stack)"], stacks.Select(s => s.DisplayName));
        Assert.Equal(["api", "web"], stacks[1].Services.Select(s => s.Name));
        Assert.Null(stacks[2].Name);
    }

    [Fact]
    public void A_stack_counts_converged_services_running_and_desired_tasks_and_updates()
    {
        var state = StateWith(
            InStack(Service("s1", replicas: 2), "shop"),
            InStack(Service("s2", replicas: 1) with { UpdateState = "updating" }, "shop"),
            TaskOf("t1", "s1"), TaskOf("t2", "s1"), TaskOf("t3", "s2", state: "starting"));

        var shop = Assert.Single(StackSummary.Of(state, Now));

        Assert.Equal(2, shop.Services.Count);
        Assert.Equal(1, shop.ServicesConverged);
        Assert.Equal(2, shop.TasksRunning);
        Assert.Equal(3, shop.TasksDesired);
        Assert.Equal(1, shop.UpdatesInProgress);
    }

    [Fact]
    public void Every_service_running_what_it_should_is_healthy()
    {
        var state = StateWith(InStack(Service("s1", replicas: 1), "shop"), TaskOf("t1", "s1"));

        Assert.Equal(StackHealth.Healthy, Assert.Single(StackSummary.Of(state, Now)).Health);
    }

    [Fact]
    public void A_service_short_of_replicas_makes_its_stack_degraded()
    {
        var state = StateWith(InStack(Service("s1", replicas: 2), "shop"), TaskOf("t1", "s1"));

        Assert.Equal(StackHealth.Degraded, Assert.Single(StackSummary.Of(state, Now)).Health);
    }

    [Fact]
    public void A_service_running_nothing_makes_its_stack_failing()
    {
        var state = StateWith(InStack(Service("s1", replicas: 1), "shop"), InStack(Service("s2", replicas: 1), "shop"), TaskOf("t1", "s1"));

        Assert.Equal(StackHealth.Failing, Assert.Single(StackSummary.Of(state, Now)).Health);
    }

    [Fact]
    public void An_update_paused_on_failures_makes_its_stack_failing()
    {
        var state = StateWith(InStack(Service("s1", replicas: 1) with { UpdateState = "paused" }, "shop"), TaskOf("t1", "s1"));

        Assert.Equal(StackHealth.Failing, Assert.Single(StackSummary.Of(state, Now)).Health);
    }

    [Fact]
    public void Failed_or_rejected_tasks_of_the_last_hour_count_and_make_a_converged_stack_degraded()
    {
        var state = StateWith(
            InStack(Service("s1", replicas: 1), "shop"),
            TaskOf("t1", "s1"),
            TaskOf("t2", "s1", state: "failed", desired: "shutdown") with { UpdatedAt = Now.AddMinutes(-5) },
            TaskOf("t3", "s1", state: "rejected", desired: "shutdown") with { UpdatedAt = Now.AddMinutes(-59) },
            TaskOf("t4", "s1", state: "failed", desired: "shutdown") with { UpdatedAt = Now.AddMinutes(-61) },
            TaskOf("t5", "s1", state: "shutdown", desired: "shutdown") with { UpdatedAt = Now.AddMinutes(-1) });

        var shop = Assert.Single(StackSummary.Of(state, Now));

        Assert.Equal(2, shop.FailingTasks);
        Assert.Equal(StackHealth.Degraded, shop.Health);
    }

    [Fact]
    public void A_stack_scaled_to_zero_is_healthy()
    {
        var state = StateWith(InStack(Service("s1", replicas: 0), "batch"));

        Assert.Equal(StackHealth.Healthy, Assert.Single(StackSummary.Of(state, Now)).Health);
    }

    private static ClusterService InStack(ClusterService service, string stack) => service with { Stack = stack };

    private static ClusterState StateWith(params IClusterResource[] resources) =>
        ClusterState.Empty(Cluster()).Apply(resources.Select(ResourceChange.Upsert)).State;
}
