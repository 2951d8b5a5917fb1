using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using static ControlPlane.Core.Tests.State.Resources;

namespace ControlPlane.Core.Tests.State;

public class TaskListTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 2, 12, 0, 0, TimeSpan.Zero);

    private static readonly ClusterState State = ClusterState.Empty(Cluster()).Apply(new IClusterResource[]
    {
        Node("n1"), Node("n2"),
        Service("web1", name: "web"), Service("api1", name: "api"),
        TaskOf("w-old", "web1", state: "shutdown", desired: "shutdown") with { UpdatedAt = At.AddMinutes(-30) },
        TaskOf("w-new", "web1") with { UpdatedAt = At },
        TaskOf("w-failed", "web1", state: "failed", desired: "shutdown", node: "n2") with { UpdatedAt = At.AddMinutes(-10) },
        TaskOf("a-1", "api1", node: "n2") with { UpdatedAt = At.AddHours(-3) },
    }.Select(ResourceChange.Upsert)).State;

    [Fact]
    public void Without_filters_tasks_come_by_service_name_and_newest_first_within_a_service()
    {
        var rows = TaskList.Of(State, new TaskFilter());

        Assert.Equal(["a-1", "w-new", "w-failed", "w-old"], rows.Select(r => r.Task.Id));
        Assert.Equal("api", rows[0].ServiceName);
        Assert.Equal("host-n2", rows[0].NodeHostname);
        Assert.Equal("api.1", rows[0].DisplayName);
    }

    [Theory]
    [InlineData("web")]
    [InlineData("web1")]
    [InlineData("we")]
    public void The_service_filter_takes_a_name_an_id_or_an_id_prefix(string service)
    {
        var rows = TaskList.Of(State, new TaskFilter(Service: service));

        Assert.Equal(["w-new", "w-failed", "w-old"], rows.Select(r => r.Task.Id));
    }

    [Theory]
    [InlineData("n2")]
    [InlineData("host-n2")]
    public void The_node_filter_takes_an_id_or_a_hostname(string node)
    {
        var rows = TaskList.Of(State, new TaskFilter(Node: node));

        Assert.Equal(["a-1", "w-failed"], rows.Select(r => r.Task.Id));
    }

    [Fact]
    public void Filters_combine_and_running_only_keeps_tasks_meant_to_run()
    {
        Assert.Equal(["w-failed"], TaskList.Of(State, new TaskFilter(Service: "web", State: "failed")).Select(r => r.Task.Id));
        Assert.Equal(["a-1", "w-new"], TaskList.Of(State, new TaskFilter(RunningOnly: true)).Select(r => r.Task.Id));
    }

    [Fact]
    public void An_unknown_service_matches_nothing_rather_than_everything()
    {
        Assert.Empty(TaskList.Of(State, new TaskFilter(Service: "nope")));
    }

    [Fact]
    public void A_global_task_without_a_slot_is_named_after_its_node()
    {
        var row = new TaskRow(TaskOf("g1", "web1", node: "n1") with { Slot = null }, "agent", "host-n1");

        Assert.Equal("agent.n1", row.DisplayName);
    }

    [Fact]
    public void The_state_choices_are_the_states_present()
    {
        Assert.Equal(["failed", "running", "shutdown"], TaskList.States(State));
    }
}
