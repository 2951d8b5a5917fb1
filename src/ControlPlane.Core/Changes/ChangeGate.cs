using ControlPlane.Core.Audit;
using ControlPlane.Core.Security;

namespace ControlPlane.Core.Changes;

/// <summary>Who asks for a change: their name for the audit log, their grants, and where they call from.</summary>
public sealed record ChangeCaller(string Actor, IReadOnlyList<Grant> Grants, string? ClientAddress)
{
    /// <summary>The caller's local account, when they signed in with one; null for Entra users and for automation without one.</summary>
    public long? AccountId { get; init; }

    /// <summary>The caller authenticated with an API token rather than in person (a password or Entra sign-in).</summary>
    public bool ByApiToken { get; init; }
}

/// <summary>What a change is: the permission it needs on which target, the audit action, and the object it changes.</summary>
public sealed record ChangeIntent(string Permission, AccessTarget Target, string Action, string Subject)
{
    /// <summary>
    /// The lock of the object, when its target does not say it alone: a secret family's permission target is the
    /// stack that uses it, but every change of the family must take the same lock whatever the stack.
    /// </summary>
    public string? Lock { get; init; }

    /// <summary>False for a change that must not wait for its object's lock: cancelling an operation that holds it.</summary>
    public bool Exclusive { get; init; } = true;

    /// <summary>
    /// A change callers make to their own account (their password, their tokens): any signed-in caller may, so no
    /// grant is asked; the change itself acts only on the caller's own account.
    /// </summary>
    public bool OwnAccount { get; init; }

    /// <summary>
    /// The scopes of other objects the change reaches into, where the permission is needed too (a secret family's own
    /// scope, when it is mounted into a service of another): a change is only as allowed as its least allowed object.
    /// </summary>
    public IReadOnlyList<AccessTarget> AlsoOn { get; init; } = [];

    /// <summary>
    /// Other permissions what is asked for needs, each with why (the restricted rule: a host bind mount needs
    /// <see cref="Permissions.Services.Unrestricted"/> on the cluster): refused with the reason when one is missing.
    /// </summary>
    public IReadOnlyList<PermissionNeed> AlsoNeeds { get; init; } = [];

    /// <summary>The target as the audit log names it: the object within its cluster and stack, or alone when it is ControlPlane's own.</summary>
    public string AuditTarget => (Subject.Length, Target.Cluster) switch
    {
        (0, _) => Target.ToString(),
        (_, null) => Subject,
        _ => $"{Target}/{Subject}",
    };

    /// <summary>A change on one's own account (see <see cref="OwnAccount"/>).</summary>
    public static ChangeIntent OnOwnAccount(string action, string subject) =>
        new("", AccessTarget.Global, action, subject) { OwnAccount = true };
}

/// <summary>A further permission a change needs on a target, and what in the request needs it (for the refusal's message).</summary>
public sealed record PermissionNeed(string Permission, AccessTarget Target, string Reason);

/// <summary>What an act hands back to the gate: its value, its message for the caller, and the spec diff or detail to audit.</summary>
public sealed record Acted<T>(T? Value, string Message, string? Detail = null, string? Diff = null)
{
    /// <summary>
    /// The act started work that goes on after the gate (an operation): its end is audited by whoever finishes it,
    /// through <see cref="GatePass.FinishAsync"/>, and the locks stay held until then.
    /// </summary>
    public bool Continues { get; init; }
}

/// <summary>
/// The one gate every change passes (DESIGN §4), whatever the entry point (page, API, hub) and whatever the change
/// (a quick change, an operation's start or cancel, identity administration): the permission on the scope of the
/// object acted on → the object's locks → audit "started" → the act → the audited result (success with its diff,
/// refusal, failure). The same object never has two changes running at once.
/// Audit records are written whatever happens to the caller's connection; a record that cannot be written stops the
/// change (the exception reaches the caller), it is never swallowed: nothing acts before its "started" is stored.
/// </summary>
public sealed class ChangeGate(IAuditLog audit, ChangeLocks locks, TimeProvider time, IEngineFaults? faults = null)
{
    /// <summary>The locks the gate takes, for the operation runner's own lease on each operation it runs.</summary>
    internal ChangeLocks Locks => locks;

    public const string NoGrant = "no grant gives this permission on this target";

    /// <summary>A quick change: the act returns the spec before and after, and the result carries their diff.</summary>
    public async Task<ChangeResult> RunAsync(ChangeCaller caller, ChangeIntent intent, Func<CancellationToken, Task<SpecChange>> change, CancellationToken cancellationToken = default)
    {
        var result = await PassAsync(caller, intent, async (_, token) =>
        {
            var spec = await change(token);
            return new Acted<bool>(true, "Done.", Diff: SpecDiff.Compute(spec.Before, spec.After));
        }, cancellationToken);
        return result.WithoutValue();
    }

    /// <summary>The whole path for any change; the act gets the pass to take more locks or to hand the change on.</summary>
    /// <param name="lockOwner">The name the change's locks are held in across replicas (see <see cref="GatePass.LockOwner"/>).</param>
    public async Task<ChangeResult<T>> PassAsync<T>(ChangeCaller caller, ChangeIntent intent, Func<GatePass, CancellationToken, Task<Acted<T>>> act, CancellationToken cancellationToken = default, string? lockOwner = null)
    {
        if (await RefuseAsync(caller, intent) is { } refused)
        {
            return ChangeResult<T>.Refused(refused.Failure!.Value, refused.Message);
        }
        var pass = new GatePass(this, locks, caller, intent) { LockOwner = lockOwner };
        try
        {
            if (intent.Exclusive && !await pass.TryLockAsync(ChangeLocks.KeyOf(intent), cancellationToken))
            {
                var busy = ChangeLocks.Busy(intent.Subject);
                await AuditAsync(caller, intent, AuditResult.Failed, busy);
                return ChangeResult<T>.Refused(ChangeFailure.Conflict, busy);
            }
            await AuditAsync(caller, intent, AuditResult.Started, null);
            Acted<T> acted;
            try
            {
                acted = await act(pass, cancellationToken);
            }
            catch (ChangeRejectedException rejected)
            {
                await AuditAsync(caller, intent, AuditResult.Failed, rejected.Message);
                return ChangeResult<T>.Refused(rejected.Reason, rejected.Message) with { Problems = rejected.Problems };
            }
            catch (OperationCanceledException)
            {
                await AuditAsync(caller, intent, AuditResult.Failed, "The caller went away before the change finished.");
                throw;
            }
            catch (InvalidEngineReferenceException invalid)
            {
                await AuditAsync(caller, intent, AuditResult.Failed, invalid.Message);
                return ChangeResult<T>.Refused(ChangeFailure.Invalid, invalid.Message);
            }
            catch (Exception ex) when (ex is not AuditUnavailableException)
            {
                // The engine's 400/404/409 say what is wrong with the request; only the rest is the cluster failing.
                var (failure, message) = faults?.Classify(ex) switch
                {
                    { Kind: EngineFaultKind.BadRequest } fault => (ChangeFailure.Invalid, fault.Message),
                    { Kind: EngineFaultKind.NotFound } fault => (ChangeFailure.NotFound, fault.Message),
                    { Kind: EngineFaultKind.Conflict } fault => (ChangeFailure.Conflict, fault.Message),
                    { Kind: EngineFaultKind.Unreachable } fault => (ChangeFailure.Unreachable, fault.Message),
                    _ => (ChangeFailure.Failed, $"The cluster refused the change: {ex.Message}"),
                };
                await AuditAsync(caller, intent, AuditResult.Failed, message);
                return ChangeResult<T>.Refused(failure, message);
            }
            if (acted.Continues)
            {
                pass.HandOver();
            }
            else
            {
                await AuditAsync(caller, intent, AuditResult.Succeeded, acted.Detail, acted.Diff);
            }
            return new ChangeResult<T>(null, acted.Message, acted.Value) { Diff = acted.Diff };
        }
        finally
        {
            await pass.ReleaseUnlessHandedOverAsync();
        }
    }

    /// <summary>
    /// Takes over a change another replica started and stopped renewing (an operation whose owner went away): its
    /// locks, held in <paramref name="lockOwner"/>'s name, are taken over, and the adoption is audited under the
    /// original caller's change. Null when one of the locks is held by another change (it took it after the lapse):
    /// the adoption is tried again later.
    /// </summary>
    public async Task<GatePass?> AdoptAsync(ChangeCaller caller, ChangeIntent intent, string lockOwner, IEnumerable<string> otherLocks, string detail, CancellationToken cancellationToken = default)
    {
        var pass = new GatePass(this, locks, caller, intent) { LockOwner = lockOwner };
        foreach (var key in otherLocks.Prepend(ChangeLocks.KeyOf(intent)))
        {
            if (!await pass.TryLockAsync(key, cancellationToken))
            {
                await pass.AbandonAsync();
                return null;
            }
        }
        await AppendAsync(new AuditEntry(time.GetUtcNow(), caller.Actor, "operations.adopt", intent.AuditTarget, AuditResult.Succeeded, caller.ClientAddress, detail));
        return pass;
    }

    /// <summary>
    /// The permission part of the gate alone, for reads that change nothing (listing users, reading the audit log):
    /// null when allowed, else the refusal, audited.
    /// </summary>
    public async Task<ChangeResult?> RefuseAsync(ChangeCaller caller, ChangeIntent intent)
    {
        if (intent.OwnAccount)
        {
            return null;
        }
        var refusedOn = intent.AlsoOn.Prepend(intent.Target).FirstOrDefault(scope => !AccessPolicy.IsAllowed(caller.Grants, intent.Permission, scope));
        if (refusedOn is not null)
        {
            // The record and the message name the scope the caller lacks, not the one they hold.
            await AuditAsync(caller, intent with { Target = refusedOn }, AuditResult.Denied, NoGrant);
            return ChangeResult.Refused(ChangeFailure.Forbidden, $"You have no grant that allows '{intent.Permission}' on {refusedOn}.");
        }
        if (intent.AlsoNeeds.FirstOrDefault(need => !AccessPolicy.IsAllowed(caller.Grants, need.Permission, need.Target)) is { } missing)
        {
            var message = $"{missing.Reason}: that needs '{missing.Permission}' on {missing.Target}, which no grant of yours allows.";
            await AuditAsync(caller, intent, AuditResult.Denied, message);
            return ChangeResult.Refused(ChangeFailure.Forbidden, message);
        }
        return null;
    }

    /// <summary>
    /// Writes a refusal that happened before any change could be named (a caller not signed in, a cluster the
    /// caller may not see), through the same audit path as every other record.
    /// </summary>
    public Task AuditRefusalAsync(string actor, string action, string target, string? clientAddress, string detail) =>
        RecordAsync(actor, action, target, AuditResult.Denied, clientAddress, detail);

    /// <summary>
    /// Writes what happened at an entry point that is not a change (a sign-in attempt, a refusal before any change is
    /// named), through the same audit path as every other record: never cancelled, never swallowed.
    /// </summary>
    public Task RecordAsync(string actor, string action, string target, AuditResult result, string? clientAddress, string? detail) =>
        AppendAsync(new AuditEntry(time.GetUtcNow(), actor, action, target, result, clientAddress, detail));

    internal Task AuditAsync(ChangeCaller caller, ChangeIntent intent, AuditResult result, string? detail, string? diff = null) =>
        AppendAsync(new AuditEntry(time.GetUtcNow(), caller.Actor, intent.Action, intent.AuditTarget, result, caller.ClientAddress, detail, diff));

    // Not cancelled with the caller: a record of a change that was made must be written even when the caller hung up.
    private async Task AppendAsync(AuditEntry entry)
    {
        try
        {
            await audit.AppendAsync(entry, CancellationToken.None);
        }
        catch (Exception ex)
        {
            throw new AuditUnavailableException(ex);
        }
    }
}

/// <summary>
/// A change on its way through the gate: the locks it holds, and for a change that goes on after the gate (an
/// operation), the way to audit its end and release its locks.
/// </summary>
public sealed class GatePass
{
    private readonly ChangeGate _gate;
    private readonly ChangeLocks _locks;
    private readonly Dictionary<string, ChangeLocks.LockHandle> _held = new(StringComparer.Ordinal);
    private int _handedOver;
    private int _released;

    internal GatePass(ChangeGate gate, ChangeLocks locks, ChangeCaller caller, ChangeIntent intent)
    {
        _gate = gate;
        _locks = locks;
        Caller = caller;
        Intent = intent;
    }

    public ChangeCaller Caller { get; }

    public ChangeIntent Intent { get; }

    /// <summary>
    /// The name the locks of this change are held in across replicas: an operation's own, once it has an id, so that
    /// the replica adopting it can take them over; null for a change held in this process's name.
    /// </summary>
    public string? LockOwner { get; set; }

    /// <summary>Takes one more object's lock for the life of the change; a busy one refuses the change (409).</summary>
    public async Task LockAsync(string key, string name, CancellationToken cancellationToken = default)
    {
        if (!await TryLockAsync(key, cancellationToken))
        {
            throw new ChangeRejectedException(ChangeFailure.Conflict, ChangeLocks.Busy(name));
        }
    }

    internal async Task<bool> TryLockAsync(string key, CancellationToken cancellationToken)
    {
        if (_held.ContainsKey(key))
        {
            return true;
        }
        if (await _locks.TryEnterAsync(key, LockOwner, cancellationToken) is not { } lease)
        {
            return false;
        }
        _held[key] = lease;
        return true;
    }

    /// <summary>Ends a change that went on after the gate: its result is audited, then its locks are released.</summary>
    public async Task FinishAsync(bool succeeded, string detail)
    {
        try
        {
            await _gate.AuditAsync(Caller, Intent, succeeded ? AuditResult.Succeeded : AuditResult.Failed, detail);
        }
        finally
        {
            await ReleaseAsync();
        }
    }

    /// <summary>
    /// Forgets the change here without auditing its end, leaving its locks' leases to lapse: the operation is handed
    /// over to the replica that adopts it, which audits its end.
    /// </summary>
    public async Task AbandonAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            foreach (var lease in _held.Values)
            {
                await lease.AbandonAsync();
            }
        }
    }

    internal void HandOver() => Interlocked.Exchange(ref _handedOver, 1);

    internal async Task ReleaseUnlessHandedOverAsync()
    {
        if (Volatile.Read(ref _handedOver) == 0)
        {
            await ReleaseAsync();
        }
    }

    private async Task ReleaseAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            foreach (var lease in _held.Values)
            {
                await lease.DisposeAsync();
            }
        }
    }
}

/// <summary>The audit log could not be written, so the change was not made (or, after the act, not recorded).</summary>
public sealed class AuditUnavailableException(Exception inner)
    : Exception($"The audit log cannot be written ({inner.Message}); the change was stopped.", inner);
