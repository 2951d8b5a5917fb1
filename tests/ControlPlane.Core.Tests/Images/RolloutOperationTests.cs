using ControlPlane.Core.Changes;
using ControlPlane.Core.Images;
using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Security;
using ControlPlane.Core.Tests.Changes;
using static ControlPlane.Core.Tests.State.Resources;

namespace ControlPlane.Core.Tests.Images;

/// <summary>
/// A rollout operation against a scripted manager: the answers Docker gives while it moves, pauses or rolls back
/// tasks, one per read, so each path of the follow is checked without waiting on a swarm (the swarm tests cover
/// the real thing in ControlPlane.Web.Tests/Rollouts).
/// </summary>
public sealed class RolloutOperationTests : IAsyncDisposable
{
    private const string Old = "demo/app:1";
    private const string Digest = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    private const string New = "demo/app:2@" + Digest;

    private readonly InMemoryOperationStore _store = new();
    private readonly ChangeLocks _locks = new();
    private readonly OperationRunner _runner;
    private readonly ScriptedEngine _engine = new();

    public RolloutOperationTests() => _runner = new OperationRunner(_store, new ChangeGate(new RecordingAuditLog(), _locks, TimeProvider.System), TimeProvider.System);

    private static readonly ClusterService Web = Service("web", replicas: 2, name: "web");

    private static ClusterTask Task(string id, long slot, string state, string image, int order, string? error = null, string desired = "running") =>
        TaskOf(id, "web", state, desired, $"n{slot}") with { Slot = slot, Image = image, CreatedAt = DateTimeOffset.UnixEpoch.AddMinutes(order), Error = error };

    private static RolloutStatus Status(string? updateState, string image, params ClusterTask[] tasks) =>
        new(Web with { UpdateState = updateState, Image = image, UpdateMessage = updateState }, tasks);

    private async Task<Operation> RunAsync()
    {
        var operations = new RolloutPlans(_engine, _locks, TimeProvider.System);
        var caller = new ChangeCaller("alice", [new Grant(1, "alice", Role.Operator, AccessScope.Everywhere)], null);
        var start = await _runner.StartAsync(caller, RolloutPlans.RolloutIntent("c1", Web, "web"),
            ct => operations.PlanRolloutAsync("c1", Web, "demo/app:2", new UpdateSettings(Parallelism: 1), id => $"host-{id}", ct));
        Assert.True(start.Started, start.Message);
        await _runner.WhenFinishedAsync(start.OperationId!);
        return (await _store.FindAsync(start.OperationId!))!;
    }

    [Fact]
    public async Task Progress_follows_the_tasks_slot_by_slot_until_docker_completes()
    {
        var progress = new List<int>();
        _runner.Changed += o => { lock (progress) { if (progress.Count == 0 || progress[^1] != o.Progress.Done) { progress.Add(o.Progress.Done); } } };
        _engine.Answers.Enqueue(Status("updating", New, Task("a", 1, "running", Old, 0), Task("b", 2, "running", Old, 0)));
        _engine.Answers.Enqueue(Status("updating", New, Task("a2", 1, "running", New, 1), Task("b", 2, "running", Old, 0)));
        _engine.Answers.Enqueue(Status("completed", New, Task("a2", 1, "running", New, 1), Task("b2", 2, "running", New, 2)));

        var operation = await RunAsync();

        Assert.Equal(OperationStates.Succeeded, operation.State);
        Assert.Equal([0, 1, 2], progress);
        Assert.Equal($"image web {New}", _engine.Calls.Single(c => c.StartsWith("image", StringComparison.Ordinal)));
        Assert.Equal("batch 2 · slot 2 on host-n2: running demo/app:2", operation.FindStep("slot 2")!.Message);
    }

    /// <summary>A rollout another replica started and stopped: <paramref name="specWritten"/> when it had recorded writing the spec.</summary>
    private async Task<Operation> CarryOnAsync(bool specWritten)
    {
        var now = DateTimeOffset.UtcNow;
        var steps = specWritten ? ValueList<OperationStep>.From([new OperationStep("spec", OperationStates.Succeeded, "image changed", now)]) : ValueList<OperationStep>.From([]);
        var stopped = new Operation("op1", RolloutPlans.RolloutKind, "c1", "web", null, "alice", OperationStates.Running, new OperationProgress(1, 2), steps, null, now, now, null)
        {
            Parameters = $$$"""{"image":"demo/app:2","pinned":"{{{New}}}","previousImage":"{{{Old}}}","update":{"parallelism":1,"delaySeconds":4,"failureAction":"pause","monitorSeconds":0,"maxFailureRatio":0,"order":"stop-first"}}""",
        };
        var operations = new RolloutPlans(_engine, _locks, TimeProvider.System);
        var caller = new ChangeCaller("alice", [new Grant(1, "alice", Role.Operator, AccessScope.Everywhere)], null);
        var start = await _runner.StartAsync(caller, RolloutPlans.RolloutIntent("c1", Web, "web"),
            _ => System.Threading.Tasks.Task.FromResult(operations.PlanCarryOn(stopped, Web, id => $"host-{id}")));
        Assert.True(start.Started, start.Message);
        await _runner.WhenFinishedAsync(start.OperationId!);
        return (await _store.FindAsync(start.OperationId!))!;
    }

    [Fact]
    public async Task Carrying_on_a_rollout_whose_spec_was_written_only_follows_docker_to_the_end()
    {
        _engine.Answers.Enqueue(Status("updating", New, Task("a2", 1, "running", New, 1), Task("b", 2, "running", Old, 0)));
        _engine.Answers.Enqueue(Status("completed", New, Task("a2", 1, "running", New, 1), Task("b2", 2, "running", New, 2)));

        var operation = await CarryOnAsync(specWritten: true);

        Assert.True(operation.State == OperationStates.Succeeded, operation.Error);
        Assert.Equal(new OperationProgress(2, 2), operation.Progress);
        Assert.DoesNotContain(_engine.Calls, c => c.StartsWith("image", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Carrying_on_a_rollout_stopped_before_its_spec_was_recorded_writes_the_recorded_image_once_then_follows_it()
    {
        _engine.Answers.Enqueue(Status("updating", New, Task("a", 1, "running", Old, 0), Task("b", 2, "running", Old, 0)));
        _engine.Answers.Enqueue(Status("completed", New, Task("a2", 1, "running", New, 1), Task("b2", 2, "running", New, 2)));

        var operation = await CarryOnAsync(specWritten: false);

        Assert.True(operation.State == OperationStates.Succeeded, operation.Error);
        Assert.Equal([$"image web {New}"], _engine.Calls.Where(c => c.StartsWith("image", StringComparison.Ordinal)));
        Assert.Equal(OperationStates.Succeeded, operation.FindStep("spec")!.State);
    }

    [Fact]
    public async Task Docker_s_rollback_ends_the_operation_rolledback_with_the_failing_task_s_error_once_the_old_tasks_run()
    {
        _engine.Answers.Enqueue(Status("updating", New, Task("a2", 1, "failed", New, 1, "task: non-zero exit (3)", "shutdown"), Task("b", 2, "running", Old, 0)));
        _engine.Answers.Enqueue(Status("rollback_started", Old, Task("a2", 1, "failed", New, 1, "task: non-zero exit (3)", "shutdown"), Task("b", 2, "running", Old, 0)));
        _engine.Answers.Enqueue(Status("rollback_completed", Old, Task("a2", 1, "failed", New, 1, "task: non-zero exit (3)", "shutdown"), Task("a3", 1, "starting", Old, 2), Task("b", 2, "running", Old, 0)));
        _engine.Answers.Enqueue(Status("rollback_completed", Old, Task("a2", 1, "failed", New, 1, "task: non-zero exit (3)", "shutdown"), Task("a3", 1, "running", Old, 2), Task("b", 2, "running", Old, 0)));

        var operation = await RunAsync();

        Assert.Equal(OperationStates.RolledBack, operation.State);
        Assert.Contains("Docker rolled web back to demo/app:1", operation.Error);
        Assert.Contains("slot 1 on host-n1 failed running demo/app:2: task: non-zero exit (3)", operation.Error);
        Assert.Equal(OperationStates.Failed, operation.FindStep("failing task")!.State);
        Assert.Empty(_engine.Answers);
    }

    [Fact]
    public async Task A_pause_ends_the_operation_failed_and_says_how_to_go_on()
    {
        _engine.Answers.Enqueue(Status("paused", New, Task("a2", 1, "failed", New, 1, "task: non-zero exit (3)", "shutdown"), Task("b", 2, "running", Old, 0)));

        var operation = await RunAsync();

        Assert.Equal(OperationStates.Failed, operation.State);
        Assert.Contains("Docker paused the update of web", operation.Error);
        Assert.Contains("rollout/resume", operation.Error);
    }

    [Fact]
    public async Task A_manager_that_does_not_answer_for_a_moment_does_not_end_the_follow()
    {
        _engine.Failures = 3;
        _engine.Answers.Enqueue(Status("completed", New, Task("a2", 1, "running", New, 1), Task("b2", 2, "running", New, 2)));

        var operation = await RunAsync();

        Assert.Equal(OperationStates.Succeeded, operation.State);
        Assert.Equal(0, _engine.Failures);
    }

    [Fact]
    public async Task A_second_rollout_of_the_same_service_is_a_conflict_while_the_first_runs()
    {
        var release = new TaskCompletionSource();
        _engine.Gate = release.Task;
        _engine.Answers.Enqueue(Status("completed", New, Task("a2", 1, "running", New, 1), Task("b2", 2, "running", New, 2)));
        var operations = new RolloutPlans(_engine, _locks, TimeProvider.System);
        var caller = new ChangeCaller("alice", [new Grant(1, "alice", Role.Operator, AccessScope.Everywhere)], null);
        var first = await _runner.StartAsync(caller, RolloutPlans.RolloutIntent("c1", Web, "web"),
            ct => operations.PlanRolloutAsync("c1", Web, "demo/app:2", null, id => id!, ct));

        var second = await _runner.StartAsync(caller, RolloutPlans.RolloutIntent("c1", Web, "web"),
            ct => operations.PlanRolloutAsync("c1", Web, "demo/app:2", null, id => id!, ct));

        Assert.Equal(ChangeFailure.Conflict, second.Failure);
        release.SetResult();
        await _runner.WhenFinishedAsync(first.OperationId!);
    }

    public ValueTask DisposeAsync() => _runner.DisposeAsync();

    /// <summary>Answers reads from a script (the last answer repeats) and records writes.</summary>
    private sealed class ScriptedEngine : IImageChanges
    {
        public Queue<RolloutStatus> Answers { get; } = new();

        public List<string> Calls { get; } = [];

        public int Failures { get; set; }

        public Task Gate { get; set; } = System.Threading.Tasks.Task.CompletedTask;

        private RolloutStatus? _last;

        public Task<ImageCheck> CheckImageAsync(string clusterId, string image, CancellationToken ct) => System.Threading.Tasks.Task.FromResult(new ImageCheck(image, Digest, null));

        public async Task<SpecChange> SetImageAsync(string clusterId, string serviceId, string image, UpdatePolicy update, CancellationToken ct)
        {
            await Gate;
            Calls.Add($"image {serviceId} {image}");
            return new SpecChange("{\"Image\":\"demo/app:1\"}", $"{{\"Image\":\"{image}\"}}");
        }

        public Task<SpecChange> RollbackAsync(string clusterId, string serviceId, CancellationToken ct) => throw new NotSupportedException();

        public Task<SpecChange> ResumeAsync(string clusterId, string serviceId, CancellationToken ct) => throw new NotSupportedException();

        public Task<RolloutStatus> ReadRolloutAsync(string clusterId, string serviceId, CancellationToken ct)
        {
            if (Failures > 0)
            {
                Failures--;
                throw new HttpRequestException("connection refused");
            }
            _last = Answers.Count > 0 ? Answers.Dequeue() : _last;
            return System.Threading.Tasks.Task.FromResult(_last!);
        }

        public Task<string> StartPullAsync(string clusterId, string image, string nodeId, string name, IReadOnlyDictionary<string, string> labels, CancellationToken ct) => throw new NotSupportedException();

        public Task<PullTaskStatus?> ReadPullAsync(string clusterId, string jobId, CancellationToken ct) => throw new NotSupportedException();

        public Task RemovePullAsync(string clusterId, string jobId, CancellationToken ct) => throw new NotSupportedException();
    }
}
