using System.Collections.Concurrent;
using ControlPlane.Core.Audit;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Security;
using ControlPlane.Core.Tests.Changes;

namespace ControlPlane.Core.Tests.Operations;

public sealed class OperationRunnerTests : IAsyncDisposable
{
    private readonly RecordingAuditLog _audit = new();
    private readonly InMemoryOperationStore _store = new();
    private readonly ChangeLocks _locks = new();
    private readonly OperationRunner _runner;

    private static readonly ChangeIntent Rollout = new(Permissions.Services.Update, AccessTarget.InCluster("c1", "shop"), "services.rollout", "web");

    public OperationRunnerTests() => _runner = new OperationRunner(_store, new ChangeGate(_audit, _locks, TimeProvider.System), TimeProvider.System);

    private static ChangeCaller Caller(Role role, AccessScope scope) => new("alice", [new Grant(1, "alice", role, scope)], "10.0.0.9");

    private static ChangeCaller Operator => Caller(Role.Operator, AccessScope.OfStack("c1", "shop"));

    private static Func<CancellationToken, Task<OperationPlan>> Plan(Func<OperationContext, Task> run, int total = 2) =>
        _ => Task.FromResult(new OperationPlan("services.rollout", total, run) { Parameters = new { image = "demo/app:2" } });

    [Fact]
    public async Task An_operation_records_its_steps_and_progress_and_its_end_is_audited()
    {
        var seen = new ConcurrentQueue<Operation>();
        _runner.Changed += seen.Enqueue;

        var start = await _runner.StartAsync(Operator, Rollout, Plan(async ctx =>
        {
            await ctx.StepAsync("slot 1", OperationStates.Running, "starting", node: "cp-node2");
            await ctx.StepAsync("slot 1", OperationStates.Succeeded, "running demo/app:2");
            await ctx.ProgressAsync(1);
            await ctx.StepAsync("slot 2", OperationStates.Succeeded, "running demo/app:2");
            await ctx.ProgressAsync(2);
        }));
        Assert.True(start.Started, start.Message);
        await _runner.WhenFinishedAsync(start.OperationId!);

        var stored = await _store.FindAsync(start.OperationId!);
        Assert.Equal(OperationStates.Succeeded, stored!.State);
        Assert.Equal(new OperationProgress(2, 2), stored.Progress);
        Assert.Equal(["slot 1", "slot 2"], stored.Steps.Select(s => s.Name));
        Assert.Equal("cp-node2", stored.FindStep("slot 1")!.Node);
        Assert.Equal("""{"image":"demo/app:2"}""", stored.Parameters);
        Assert.Equal("web", stored.Target);
        Assert.Equal("shop", stored.Stack);
        Assert.NotNull(stored.FinishedAt);
        Assert.Contains(seen, o => o.Progress.Done == 1 && o.State == OperationStates.Running);
        Assert.Equal(
            [AuditResult.Started, AuditResult.Succeeded],
            _audit.Entries.Where(e => e.Action == "services.rollout").Select(e => e.Result));
        Assert.False(_locks.IsHeld(ChangeLocks.KeyOf(Rollout)), "the lock is released when the operation ends");
    }

    [Fact]
    public async Task A_caller_without_the_permission_is_refused_and_audited_and_nothing_runs()
    {
        var ran = false;
        var start = await _runner.StartAsync(Caller(Role.Viewer, AccessScope.Everywhere), Rollout, Plan(_ => { ran = true; return Task.CompletedTask; }));

        Assert.False(start.Started);
        Assert.Equal(ChangeFailure.Forbidden, start.Failure);
        Assert.False(ran);
        Assert.Equal(AuditResult.Denied, Assert.Single(_audit.Entries).Result);
        Assert.Empty(await _store.ListAsync(new OperationQuery()));
    }

    [Fact]
    public async Task Bad_input_found_while_planning_is_refused_before_any_operation_exists()
    {
        var start = await _runner.StartAsync(Operator, Rollout, _ => throw new ChangeRejectedException(ChangeFailure.Invalid, "'demo/app:' is not an image reference."));

        Assert.Equal(ChangeFailure.Invalid, start.Failure);
        Assert.Equal("'demo/app:' is not an image reference.", start.Message);
        Assert.Empty(await _store.ListAsync(new OperationQuery()));
        Assert.False(_locks.IsHeld(ChangeLocks.KeyOf(Rollout)));
        Assert.Equal([AuditResult.Started, AuditResult.Failed], _audit.Entries.Select(e => e.Result));
    }

    [Fact]
    public async Task A_second_operation_on_the_same_target_is_refused_while_the_first_runs()
    {
        var release = new TaskCompletionSource();
        var first = await _runner.StartAsync(Operator, Rollout, Plan(_ => release.Task));

        var second = await _runner.StartAsync(Operator, Rollout, Plan(_ => Task.CompletedTask));
        var other = await _runner.StartAsync(Operator, Rollout with { Subject = "api" }, Plan(_ => Task.CompletedTask));

        Assert.Equal(ChangeFailure.Conflict, second.Failure);
        Assert.True(other.Started);
        release.SetResult();
        await _runner.WhenFinishedAsync(first.OperationId!);
        Assert.True((await _runner.StartAsync(Operator, Rollout, Plan(_ => Task.CompletedTask))).Started);
    }

    [Fact]
    public async Task Changes_that_name_the_same_lock_exclude_each_other_whatever_their_targets()
    {
        var release = new TaskCompletionSource();
        var rotate = new ChangeIntent(Permissions.Secrets.Rotate, AccessTarget.InCluster("c1", "shop"), "secrets.rotate", "secret db") { Lock = "c1/secret db" };
        var remove = new ChangeIntent(Permissions.Secrets.Remove, AccessTarget.InCluster("c1"), "secrets.remove", "secret db") { Lock = "c1/secret db" };
        var admin = Caller(Role.Admin, AccessScope.Everywhere);
        var executor = new ChangeGate(_audit, _locks, TimeProvider.System);

        var running = await _runner.StartAsync(admin, rotate, Plan(_ => release.Task));
        var refused = await executor.RunAsync(admin, remove, _ => Task.FromResult(new SpecChange("{}", "{}")));

        Assert.True(running.Started);
        Assert.Equal(ChangeFailure.Conflict, refused.Failure);
        Assert.Contains(_audit.Entries, e => e.Action == "secrets.rotate" && e.Target == "c1/shop/secret db");
        release.SetResult();
        await _runner.WhenFinishedAsync(running.OperationId!);
        Assert.True((await executor.RunAsync(admin, remove, _ => Task.FromResult(new SpecChange("{}", "{}")))).Succeeded);
    }

    [Fact]
    public async Task The_other_objects_a_plan_names_are_locked_for_its_life_and_a_busy_one_refuses_the_start()
    {
        var release = new TaskCompletionSource();
        var admin = Caller(Role.Admin, AccessScope.Everywhere);
        var rotate = new ChangeIntent(Permissions.Secrets.Rotate, AccessTarget.InCluster("c1"), "secrets.rotate", "secret db");
        var web = ChangeLocks.ServiceKey("c1", "shop", "web");
        Func<CancellationToken, Task<OperationPlan>> rotation = _ => Task.FromResult(
            new OperationPlan("secret-rotation", 1, _ => release.Task) { Locks = [new OperationLock(web, "web")] });

        var running = await _runner.StartAsync(admin, rotate, rotation);
        Assert.True(running.Started);
        Assert.Equal(web, ChangeLocks.KeyOf(Rollout));
        Assert.Equal(ChangeFailure.Conflict, (await _runner.StartAsync(Operator, Rollout, Plan(_ => Task.CompletedTask))).Failure);
        release.SetResult();
        await _runner.WhenFinishedAsync(running.OperationId!);

        var blocker = new TaskCompletionSource();
        var rollout = await _runner.StartAsync(Operator, Rollout, Plan(_ => blocker.Task));
        var refused = await _runner.StartAsync(admin, rotate, rotation);
        Assert.Equal(ChangeFailure.Conflict, refused.Failure);
        Assert.Equal("Another change to web is running; try again when it has finished.", refused.Message);
        Assert.False(_locks.IsHeld(ChangeLocks.KeyOf(rotate)), "a refused start keeps no lock");
        blocker.SetResult();
        await _runner.WhenFinishedAsync(rollout.OperationId!);
    }

    [Fact]
    public async Task A_failure_the_operation_put_back_ends_rolledback_with_its_reason_and_no_step_left_looking_alive()
    {
        var start = await _runner.StartAsync(Operator, Rollout, Plan(async ctx =>
        {
            await ctx.StepAsync("slot 1", OperationStates.Succeeded);
            await ctx.StepAsync("batch 2", OperationStates.Running);
            await ctx.StepAsync("slot 3", OperationStates.Pending);
            throw new OperationFailedException("web: task exited with 1", rolledBack: true);
        }));
        await _runner.WhenFinishedAsync(start.OperationId!);

        var stored = await _store.FindAsync(start.OperationId!);
        Assert.Equal(OperationStates.RolledBack, stored!.State);
        Assert.Equal("web: task exited with 1", stored.Error);
        Assert.Equal(
            [OperationStates.Succeeded, OperationStates.RolledBack, OperationStates.Skipped],
            stored.Steps.Select(s => s.State));
        var end = _audit.Entries.Last();
        Assert.Equal(AuditResult.Failed, end.Result);
        Assert.Contains("rolledback: web: task exited with 1", end.Detail);
    }

    [Fact]
    public async Task Cancelling_needs_the_permission_that_started_it_and_stops_the_work()
    {
        var start = await _runner.StartAsync(Operator, Rollout, Plan(ctx => Task.Delay(Timeout.Infinite, ctx.Cancellation)));

        var refused = await _runner.CancelAsync(Caller(Role.Operator, AccessScope.OfStack("c1", "billing")), start.OperationId!);
        Assert.Equal(ChangeFailure.Forbidden, refused.Failure);
        Assert.True(_runner.IsRunningHere(start.OperationId!));

        Assert.True((await _runner.CancelAsync(Operator, start.OperationId!)).Succeeded);
        await _runner.WhenFinishedAsync(start.OperationId!);
        Assert.Equal(OperationStates.Cancelled, (await _store.FindAsync(start.OperationId!))!.State);
        Assert.Equal(ChangeFailure.Conflict, (await _runner.CancelAsync(Operator, start.OperationId!)).Failure);
        Assert.Equal(ChangeFailure.NotFound, (await _runner.CancelAsync(Operator, "nope")).Failure);
    }

    public ValueTask DisposeAsync() => _runner.DisposeAsync();
}
