using ControlPlane.Core.Audit;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Security;

namespace ControlPlane.Core.Tests.Changes;

public sealed class ChangeGateTests
{
    private readonly RecordingAuditLog _audit = new();
    private readonly ChangeLocks _locks = new();
    private readonly ChangeGate _gate;
    private int _acted;

    private static readonly ChangeIntent Scale = new(Permissions.Services.Update, AccessTarget.InCluster("c1", "shop"), "services.scale", "shop_web");

    public ChangeGateTests() => _gate = new ChangeGate(_audit, _locks, TimeProvider.System);

    private static ChangeCaller Caller(Role role, AccessScope scope) => new("alice", [new Grant(1, "alice", role, scope)], "10.0.0.9");

    private static ChangeCaller ShopOperator => Caller(Role.Operator, AccessScope.OfStack("c1", "shop"));

    private Task<SpecChange> Act(CancellationToken _)
    {
        Interlocked.Increment(ref _acted);
        return Task.FromResult(new SpecChange("""{"Replicas":1}""", """{"Replicas":3}"""));
    }

    [Fact]
    public async Task A_change_that_passes_is_audited_started_then_succeeded_with_its_diff_and_releases_its_lock()
    {
        var result = await _gate.RunAsync(ShopOperator, Scale, Act);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(1, _acted);
        Assert.Equal([AuditResult.Started, AuditResult.Succeeded], _audit.Entries.Select(e => e.Result));
        var done = _audit.Entries[1];
        Assert.Equal(("alice", "services.scale", "c1/shop/shop_web", "10.0.0.9"), (done.Actor, done.Action, done.Target, done.ClientAddress));
        Assert.Contains("Replicas", done.Diff);
        Assert.Equal(done.Diff, result.Diff);
        Assert.False(_locks.IsHeld(ChangeLocks.KeyOf(Scale)));
    }

    [Fact]
    public async Task A_refusal_is_audited_and_nothing_acts()
    {
        var otherStack = Caller(Role.Operator, AccessScope.OfStack("c1", "billing"));
        var viewer = Caller(Role.Viewer, AccessScope.Everywhere);

        var refused = await _gate.RunAsync(otherStack, Scale, Act);
        var viewed = await _gate.RunAsync(viewer, Scale, Act);

        Assert.Equal((ChangeFailure.Forbidden, ChangeFailure.Forbidden), (refused.Failure, viewed.Failure));
        Assert.Equal(0, _acted);
        Assert.All(_audit.Entries, e => Assert.Equal((AuditResult.Denied, "services.scale", "c1/shop/shop_web"), (e.Result, e.Action, e.Target)));
        Assert.Equal(2, _audit.Entries.Count);
    }

    [Fact]
    public async Task A_change_reaching_into_another_scope_needs_the_permission_there_too_and_the_refusal_names_it()
    {
        var mount = Scale with { AlsoOn = [AccessTarget.InCluster("c1", "billing")] };

        var refused = await _gate.RunAsync(ShopOperator, mount, Act);
        var allowed = await _gate.RunAsync(Caller(Role.Operator, AccessScope.OfCluster("c1")), mount, Act);

        Assert.Equal((ChangeFailure.Forbidden, "You have no grant that allows 'services.update' on c1/billing."), (refused.Failure, refused.Message));
        Assert.Equal("c1/billing/shop_web", _audit.Entries[0].Target);
        Assert.True(allowed.Succeeded, allowed.Message);
        Assert.Equal(1, _acted);
    }

    [Fact]
    public async Task A_busy_object_refuses_the_change_with_a_conflict_and_nothing_acts()
    {
        await using (await _locks.TryEnterAsync(ChangeLocks.KeyOf(Scale)))
        {
            var busy = await _gate.RunAsync(ShopOperator, Scale, Act);

            Assert.Equal(ChangeFailure.Conflict, busy.Failure);
            Assert.Equal("Another change to shop_web is running; try again when it has finished.", busy.Message);
        }
        Assert.Equal(0, _acted);
        Assert.Equal(AuditResult.Failed, Assert.Single(_audit.Entries).Result);
        Assert.True((await _gate.RunAsync(ShopOperator, Scale, Act)).Succeeded, "the lock is free once its holder let go");
    }

    [Fact]
    public async Task An_act_that_throws_is_audited_as_failed_and_its_locks_are_released()
    {
        var result = await _gate.PassAsync<bool>(ShopOperator, Scale, async (pass, _) =>
        {
            await pass.LockAsync("c1/secret db", "secret db");
            throw new InvalidOperationException("rpc error: service is gone");
        });

        Assert.Equal(ChangeFailure.Failed, result.Failure);
        Assert.Equal("The cluster refused the change: rpc error: service is gone", result.Message);
        Assert.Equal([AuditResult.Started, AuditResult.Failed], _audit.Entries.Select(e => e.Result));
        Assert.Equal(result.Message, _audit.Entries[1].Detail);
        Assert.False(_locks.IsHeld(ChangeLocks.KeyOf(Scale)));
        Assert.False(_locks.IsHeld("c1/secret db"));
    }

    [Fact]
    public async Task A_rejection_from_the_act_keeps_its_reason_and_message()
    {
        var result = await _gate.RunAsync(ShopOperator, Scale, _ => throw new ChangeRejectedException(ChangeFailure.Invalid, "replicas must be 0 or more."));

        Assert.Equal((ChangeFailure.Invalid, "replicas must be 0 or more."), (result.Failure, result.Message));
        Assert.Equal("replicas must be 0 or more.", _audit.Entries[^1].Detail);
    }

    [Fact]
    public async Task When_the_audit_log_cannot_be_written_the_change_is_not_made()
    {
        _audit.Failing = true;

        var failure = await Assert.ThrowsAsync<AuditUnavailableException>(() => _gate.RunAsync(ShopOperator, Scale, Act));

        Assert.Contains("the audit database is down", failure.Message);
        Assert.Equal(0, _acted);
        Assert.False(_locks.IsHeld(ChangeLocks.KeyOf(Scale)));
        // A refusal whose record cannot be written is not swallowed either (it was, in the page guard).
        await Assert.ThrowsAsync<AuditUnavailableException>(() => _gate.RunAsync(Caller(Role.Viewer, AccessScope.Everywhere), Scale, Act));
    }

    [Fact]
    public async Task Audit_records_are_written_when_the_caller_has_hung_up()
    {
        using var hungUp = new CancellationTokenSource();
        await hungUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _gate.RunAsync(ShopOperator, Scale, token =>
        {
            token.ThrowIfCancellationRequested();
            return Act(token);
        }, hungUp.Token));

        Assert.Equal([AuditResult.Started, AuditResult.Failed], _audit.Entries.Select(e => e.Result));
        Assert.False(_locks.IsHeld(ChangeLocks.KeyOf(Scale)));
    }

    [Fact]
    public async Task A_change_handed_on_keeps_its_locks_until_it_finishes_and_its_end_is_audited_then()
    {
        GatePass? handedOn = null;
        var result = await _gate.PassAsync(ShopOperator, Scale, async (pass, _) =>
        {
            await pass.LockAsync("c1/shop/shop_api", "shop_api");
            handedOn = pass;
            return new Acted<string>("op-1", "Operation op-1 started.") { Continues = true };
        });

        Assert.Equal("op-1", result.Value);
        Assert.Equal([AuditResult.Started], _audit.Entries.Select(e => e.Result));
        Assert.True(_locks.IsHeld(ChangeLocks.KeyOf(Scale)) && _locks.IsHeld("c1/shop/shop_api"));

        await handedOn!.FinishAsync(succeeded: false, "operation op-1 rolledback: task exited with 1");

        Assert.Equal([AuditResult.Started, AuditResult.Failed], _audit.Entries.Select(e => e.Result));
        Assert.False(_locks.IsHeld(ChangeLocks.KeyOf(Scale)) || _locks.IsHeld("c1/shop/shop_api"));
    }

    [Fact]
    public async Task A_change_to_ones_own_account_needs_no_grant_and_a_non_exclusive_one_passes_a_held_lock()
    {
        var nobody = new ChangeCaller("bob", [], null);
        var own = await _gate.PassAsync(nobody, ChangeIntent.OnOwnAccount("tokens.create", "token ci"), (_, _) => Task.FromResult(new Acted<int>(1, "ok")));
        Assert.True(own.Succeeded);
        Assert.Equal("token ci", _audit.Entries[^1].Target);

        await using var held = await _locks.TryEnterAsync(ChangeLocks.KeyOf(Scale));
        var cancel = await _gate.PassAsync(ShopOperator, Scale with { Exclusive = false }, (_, _) => Task.FromResult(new Acted<int>(1, "ok")));
        Assert.True(cancel.Succeeded);
    }
}
