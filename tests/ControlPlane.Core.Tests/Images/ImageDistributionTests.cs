using ControlPlane.Core.Changes;
using ControlPlane.Core.Images;
using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Core.Tests.Changes;
using Microsoft.Extensions.Time.Testing;
using static ControlPlane.Core.Tests.State.Resources;

namespace ControlPlane.Core.Tests.Images;

/// <summary>A pull that never reports is given up on after the pull timeout, on ControlPlane's clock (a fake one here).</summary>
public sealed class ImageDistributionTests : IAsyncDisposable
{
    private readonly TimerWatchingTimeProvider _time = new();
    private readonly InMemoryOperationStore _operations = new();
    private readonly FakeImageEngine _engine = new() { PullTask = null };
    private readonly OperationRunner _runner;

    public ImageDistributionTests() => _runner = new OperationRunner(_operations, new ChangeGate(new RecordingAuditLog(), new ChangeLocks(), _time), _time);

    [Fact]
    public async Task A_pull_with_no_result_fails_its_node_after_the_pull_timeout_and_not_before()
    {
        var distribution = new ImageDistribution(_engine, _time);
        var caller = new ChangeCaller("alice", [new Grant(1, "alice", Role.Admin, AccessScope.Everywhere)], null);
        var intent = new ChangeIntent(Permissions.Images.Distribute, AccessTarget.InCluster("c1"), "images.distribute", "image demo/app:2");
        var start = await _runner.StartAsync(caller, intent, _ => Task.FromResult(distribution.PlanDistribution("c1", "demo/app:2", [Node("n1")], null)));
        Assert.True(start.Started, start.Message);

        await PollAsync(TimeSpan.FromMinutes(4));
        var waiting = (await _operations.FindAsync(start.OperationId!))!;
        Assert.Equal(OperationStates.Running, waiting.State);
        Assert.Equal((OperationStates.Running, "pulling demo/app:2"), (waiting.FindStep("host-n1")!.State, waiting.FindStep("host-n1")!.Message));

        await PollAsync(TimeSpan.FromMinutes(2));
        await _runner.WhenFinishedAsync(start.OperationId!);
        var failed = (await _operations.FindAsync(start.OperationId!))!;

        Assert.Equal(OperationStates.Failed, failed.State);
        Assert.Equal("1 of 1 nodes do not have demo/app:2: host-n1: no result after 5 minutes (task not scheduled)", failed.Error);
        Assert.Equal(["pull demo/app:2 on n1", "remove job-n1"], _engine.Calls);
    }

    [Fact]
    public async Task Carried_on_by_another_replica_it_pulls_only_onto_the_nodes_without_the_image_removing_a_leftover_job_first()
    {
        _engine.PullTask = new("complete", null, 0);
        var distribution = new ImageDistribution(_engine, _time);
        var state = new ClusterStateStore();
        state.Register(Cluster("c1"));
        state.Apply("c1", new IClusterResource[] { Node("n1"), Node("n2"), Node("n3") }.Select(ResourceChange.Upsert));
        // The record the stopped replica left: n1 pulled, n2 pulling (its job may be left behind), n3 not begun; n4 is gone since.
        var now = _time.GetUtcNow();
        var stopped = new Operation("op1", ImageDistribution.DistributeKind, "c1", "demo/app:2", null, "alice", OperationStates.Running, new OperationProgress(1, 4),
            ValueList<OperationStep>.From([
                new OperationStep("host-n1", OperationStates.Succeeded, "pulled", now),
                new OperationStep("host-n2", OperationStates.Running, "pulling demo/app:2", now),
                new OperationStep("host-n3", OperationStates.Pending, "waiting", now),
                new OperationStep("host-n4", OperationStates.Pending, "waiting", now),
            ]), null, now, now, null)
        {
            Parameters = """{"image":"demo/app:2","nodes":["host-n1","host-n2","host-n3","host-n4"],"service":null}""",
        };
        var plan = distribution.PlanCarryOn(stopped, state.GetState("c1")!);

        var caller = new ChangeCaller("alice", [new Grant(1, "alice", Role.Admin, AccessScope.Everywhere)], null);
        var intent = new ChangeIntent(Permissions.Images.Distribute, AccessTarget.InCluster("c1"), "images.distribute", "image demo/app:2");
        var start = await _runner.StartAsync(caller, intent, _ => Task.FromResult(plan));
        Assert.True(start.Started, start.Message);
        await _runner.WhenFinishedAsync(start.OperationId!);
        var finished = (await _operations.FindAsync(start.OperationId!))!;

        Assert.Equal(OperationStates.Failed, finished.State);
        Assert.Equal("1 of 4 nodes do not have demo/app:2: host-n4: the node left the cluster", finished.Error);
        Assert.Equal(new OperationProgress(3, 4), finished.Progress);
        Assert.Null(finished.FindStep("host-n1"));
        Assert.Equal(OperationStates.Succeeded, finished.FindStep("host-n2")!.State);
        Assert.Equal(OperationStates.Succeeded, finished.FindStep("host-n3")!.State);
        Assert.Equal(OperationStates.Failed, finished.FindStep("host-n4")!.State);
        // n1 is not pulled again; n2's and n3's jobs (named by operation and node) are removed before they are made anew.
        var calls = _engine.Calls.Order(StringComparer.Ordinal).ToList();
        Assert.DoesNotContain(calls, c => c.Contains("n1", StringComparison.Ordinal));
        var name = $"cp-pull-{start.OperationId![..10]}";
        Assert.Equal(["pull demo/app:2 on n2", "pull demo/app:2 on n3", $"remove {name}-n2", $"remove {name}-n3", "remove job-n2", "remove job-n3"], calls);
    }

    public ValueTask DisposeAsync() => _runner.DisposeAsync();

    /// <summary>Lets the poll wait <paramref name="span"/> on the fake clock, a minute per wait, each once it is waiting.</summary>
    private async Task PollAsync(TimeSpan span)
    {
        for (var waited = TimeSpan.Zero; waited < span; waited += TimeSpan.FromMinutes(1))
        {
            Assert.True(await _time.TimerCreated.WaitAsync(TimeSpan.FromSeconds(10)), "the pull's poll did not wait for its next read");
            _time.Advance(TimeSpan.FromMinutes(1));
        }
    }

    /// <summary>A fake clock that says when something starts waiting on it, so a test advances it only then.</summary>
    private sealed class TimerWatchingTimeProvider : FakeTimeProvider
    {
        public SemaphoreSlim TimerCreated { get; } = new(0);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            TimerCreated.Release();
            return timer;
        }
    }
}
