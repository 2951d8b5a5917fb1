using ControlPlane.Core.Audit;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Images;
using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Core.Tests.Changes;
using ControlPlane.Core.Workloads;
using static ControlPlane.Core.Tests.Changes.CommandFixture;

namespace ControlPlane.Core.Tests.Workloads;

/// <summary>Node roles with Raft's arithmetic, node labels and removal, join tokens that never reach the audit log, and a restart's picture.</summary>
public sealed class NodeAndSwarmTests : IAsyncLifetime
{
    private readonly CommandFixture _f = new();
    private readonly FakeWorkloadChanges _workloads = new();
    private readonly NodeCommands _nodes;
    private readonly SwarmCommands _swarm;

    public NodeAndSwarmTests()
    {
        _nodes = new NodeCommands(_f.Store, _f.Gate, _f.Swarm, _workloads);
        _swarm = new SwarmCommands(_f.Gate, _workloads);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private static ClusterNode Node(string host, string role = "worker", string state = "ready", string? reachability = null, bool leader = false) =>
        new($"id-{host}", host, role, "active", state, reachability, leader, "20.10.24", "10.0.0.1", 1, 1, Labels.Empty, Created, Created);

    [Theory]
    [InlineData(1, 0, false)] // the only manager
    [InlineData(2, 0, true)]  // 2 → 1, the one left is reachable
    [InlineData(3, 0, true)]  // 3 → 2, both reachable
    [InlineData(3, 1, false)] // 3 → 2, one of them unreachable: 1 < majority of 2
    [InlineData(5, 1, true)]  // 5 → 4, 3 reachable = majority of 4
    [InlineData(5, 2, false)] // 5 → 4, 2 reachable < 3
    public void A_demotion_keeps_a_reachable_majority_of_the_managers_left(int managers, int unreachable, bool allowed)
    {
        var nodes = Enumerable.Range(1, managers)
            .Select(i => Node($"m{i}", "manager", reachability: i > managers - unreachable ? "unreachable" : "reachable", leader: i == 1))
            .ToList();

        var refused = Quorum.RefuseDemotion(nodes, nodes[0]);

        Assert.Equal(allowed, refused is null);
    }

    [Fact]
    public void An_even_number_of_managers_is_warned_about()
    {
        Assert.Contains("2 managers, an even number", Quorum.EvenWarning(2));
        Assert.Null(Quorum.EvenWarning(3));
        Assert.Null(Quorum.EvenWarning(1));
    }

    [Fact]
    public async Task Demoting_the_only_manager_is_refused_and_promoting_a_second_warns_of_an_even_number()
    {
        _f.Add(Node("m1", "manager", reachability: "reachable", leader: true), Node("w1"));

        var demote = await _nodes.SetRoleAsync(Caller(Role.Admin), Cluster, "m1", "worker");
        var promote = await _nodes.SetRoleAsync(Caller(Role.Admin), Cluster, "w1", "Manager");
        var bad = await _nodes.SetRoleAsync(Caller(Role.Admin), Cluster, "w1", "boss");
        var operatorTries = await _nodes.SetRoleAsync(Caller(Role.Operator), Cluster, "w1", "manager");

        Assert.Equal(ChangeFailure.Conflict, demote.Failure);
        Assert.Contains("m1 is the only manager", demote.Message);
        Assert.True(promote.Succeeded, promote.Message);
        Assert.Contains("w1 is now a manager. Warning: the swarm now has 2 managers, an even number", promote.Message);
        Assert.Equal(ChangeFailure.Invalid, bad.Failure);
        Assert.Equal(ChangeFailure.Forbidden, operatorTries.Failure);
        Assert.Equal(["role id-w1 manager"], _workloads.Calls);
        Assert.Contains(_f.Audit.Entries, e => e is { Action: "nodes.role", Result: AuditResult.Failed } && e.Detail!.Contains("only manager"));
    }

    [Fact]
    public async Task Labels_replace_the_nodes_labels_with_checked_keys()
    {
        _f.Add(Node("w1"));

        var set = await _nodes.SetLabelsAsync(Caller(Role.Admin), Cluster, "w1", new Dictionary<string, string> { ["zone"] = "a" });
        var bad = await _nodes.SetLabelsAsync(Caller(Role.Admin), Cluster, "w1", new Dictionary<string, string> { ["bad key"] = "a" });
        var missing = await _nodes.SetLabelsAsync(Caller(Role.Admin), Cluster, "w1", null);

        Assert.True(set.Succeeded, set.Message);
        Assert.Contains("Labels.zone: (none) → \"a\"", set.Diff);
        Assert.Equal((ChangeFailure.Invalid, ChangeFailure.Invalid), (bad.Failure, missing.Failure));
        Assert.Equal(["labels id-w1 zone=a"], _workloads.Calls);
    }

    [Fact]
    public async Task Only_a_worker_that_is_down_can_be_removed()
    {
        _f.Add(Node("m1", "manager", reachability: "reachable", leader: true), Node("up"), Node("gone", state: "down"), Node("m2", "manager", state: "down", reachability: "unreachable"));

        var up = await _nodes.RemoveAsync(Caller(Role.Admin), Cluster, "up");
        var manager = await _nodes.RemoveAsync(Caller(Role.Admin), Cluster, "m2");
        var gone = await _nodes.RemoveAsync(Caller(Role.Admin), Cluster, "gone");
        var operatorTries = await _nodes.RemoveAsync(Caller(Role.Operator), Cluster, "gone");

        Assert.Equal(ChangeFailure.Conflict, up.Failure);
        Assert.Contains("up is ready, not down: drain it", up.Message);
        Assert.Equal(ChangeFailure.Conflict, manager.Failure);
        Assert.Contains("demote it to worker first", manager.Message);
        Assert.True(gone.Succeeded, gone.Message);
        Assert.Equal(ChangeFailure.Forbidden, operatorTries.Failure);
        Assert.Equal(["remove node id-gone"], _workloads.Calls);
    }

    [Fact]
    public async Task Join_tokens_are_for_Admins_of_the_cluster_and_never_reach_the_audit_log()
    {
        var read = await _swarm.ReadJoinTokensAsync(Caller(Role.Admin), Cluster);
        var operatorRead = await _swarm.ReadJoinTokensAsync(Caller(Role.Operator), Cluster);
        var stackAdmin = await _swarm.ReadJoinTokensAsync(Caller(Role.Admin, "shop"), Cluster);
        var rotated = await _swarm.RotateJoinTokenAsync(Caller(Role.Admin), Cluster, "Worker");
        var badRole = await _swarm.RotateJoinTokenAsync(Caller(Role.Admin), Cluster, "everyone");

        Assert.True(read.Succeeded, read.Message);
        Assert.Equal((FakeWorkloadChanges.WorkerToken, FakeWorkloadChanges.ManagerToken), (read.Value!.Worker, read.Value.Manager));
        Assert.DoesNotContain("SWMTKN", read.Value.ToString());
        Assert.Equal((ChangeFailure.Forbidden, ChangeFailure.Forbidden), (operatorRead.Failure, stackAdmin.Failure));
        Assert.True(rotated.Succeeded, rotated.Message);
        Assert.Equal(ChangeFailure.Invalid, badRole.Failure);
        Assert.Equal(["rotate worker"], _workloads.Calls);
        Assert.Contains(_f.Audit.Entries, e => e is { Action: "swarm.jointokens.view", Result: AuditResult.Succeeded, Detail: "join tokens viewed" });
        Assert.Contains(_f.Audit.Entries, e => e is { Action: "swarm.jointokens.rotate", Result: AuditResult.Succeeded, Detail: "worker join token rotated" });
        Assert.DoesNotContain(_f.Audit.Entries, e => $"{e.Target} {e.Detail} {e.Diff}".Contains("SWMTKN", StringComparison.Ordinal));
    }

    [Fact]
    public void A_restart_counts_new_running_tasks_and_waits_for_the_old_ones_to_stop()
    {
        var service = new ClusterService("s", "web", "demo/app:1", "replicated", 2, 2, null, "updating", null, Labels.Empty, Created, Created);
        ClusterTask Task(string id, long slot, string state, string desired) =>
            new(id, "s", "web", "n1", slot, state, desired, null, null, "demo/app:1", null, Created, Created);
        var before = new HashSet<string> { "old1", "old2" };

        var halfway = RestartView.Of(new RolloutStatus(service, [Task("old1", 1, "shutdown", "shutdown"), Task("new1", 1, "running", "running"), Task("old2", 2, "running", "running")]), before, _ => "node-1");
        var done = RestartView.Of(new RolloutStatus(service with { UpdateState = "completed" },
            [Task("old1", 1, "shutdown", "shutdown"), Task("new1", 1, "running", "running"), Task("old2", 2, "shutdown", "shutdown"), Task("new2", 2, "running", "running")]), before, _ => "node-1");
        var paused = RestartView.Of(new RolloutStatus(service with { UpdateState = "paused", UpdateMessage = "update paused due to failure" }, [Task("new1", 1, "failed", "shutdown")]), before, _ => "node-1");

        Assert.Equal((1, 2, 1, false), (halfway.Done, halfway.Total, halfway.Stale, halfway.Converged("updating")));
        Assert.Equal((2, 0, true), (done.Done, done.Stale, done.Converged("completed")));
        Assert.Contains("paused the restart of web: update paused due to failure", paused.Failure);
    }
}
