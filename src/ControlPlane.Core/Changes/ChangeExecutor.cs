using ControlPlane.Core.Audit;
using ControlPlane.Core.Security;

namespace ControlPlane.Core.Changes;

/// <summary>Who asks for a change: their name for the audit log, their grants, and where they call from.</summary>
public sealed record ChangeCaller(string Actor, IReadOnlyList<Grant> Grants, string? ClientAddress);

/// <summary>What a change is: the permission it needs on which target, the audit action, and the object it changes.</summary>
public sealed record ChangeIntent(string Permission, AccessTarget Target, string Action, string Subject)
{
    /// <summary>
    /// The lock of the object, when its target does not say it alone: a secret family's permission target is the
    /// stack that uses it, but every change of the family must take the same lock whatever the stack.
    /// </summary>
    public string? Lock { get; init; }
}

/// <summary>
/// The one way changes reach a cluster (DESIGN §4): permission check → audit record → the Engine call(s)
/// → audit result with the spec diff. The same object never has two changes running at once.
/// </summary>
public sealed class ChangeExecutor(IAuditLog audit, ChangeLocks locks, TimeProvider time)
{
    public async Task<ChangeResult> RunAsync(ChangeCaller caller, ChangeIntent intent, Func<CancellationToken, Task<SpecChange>> change, CancellationToken cancellationToken = default)
    {
        var target = $"{intent.Target}/{intent.Subject}";
        if (!AccessPolicy.IsAllowed(caller.Grants, intent.Permission, intent.Target))
        {
            await AuditAsync(caller, intent, target, AuditResult.Denied, "no grant gives this permission on this target", null, cancellationToken);
            return new ChangeResult(ChangeFailure.Forbidden, $"You have no grant that allows '{intent.Permission}' on {intent.Target}.");
        }

        using var held = locks.TryEnter(ChangeLocks.KeyOf(intent));
        if (held is null)
        {
            var busy = $"Another change to {intent.Subject} is running; try again when it has finished.";
            await AuditAsync(caller, intent, target, AuditResult.Failed, busy, null, cancellationToken);
            return new ChangeResult(ChangeFailure.Conflict, busy);
        }
        await AuditAsync(caller, intent, target, AuditResult.Started, null, null, cancellationToken);
        SpecChange spec;
        try
        {
            spec = await change(cancellationToken);
        }
        catch (ChangeRejectedException rejected)
        {
            await AuditAsync(caller, intent, target, AuditResult.Failed, rejected.Message, null, cancellationToken);
            return new ChangeResult(rejected.Reason, rejected.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var message = $"The cluster refused the change: {ex.Message}";
            await AuditAsync(caller, intent, target, AuditResult.Failed, message, null, cancellationToken);
            return new ChangeResult(ChangeFailure.Failed, message);
        }
        var diff = SpecDiff.Compute(spec.Before, spec.After);
        await AuditAsync(caller, intent, target, AuditResult.Succeeded, null, diff, cancellationToken);
        return new ChangeResult(null, "Done.", diff);
    }

    private Task AuditAsync(ChangeCaller caller, ChangeIntent intent, string target, AuditResult result, string? detail, string? diff, CancellationToken ct) =>
        audit.AppendAsync(new AuditEntry(time.GetUtcNow(), caller.Actor, intent.Action, target, result, caller.ClientAddress, detail, diff), ct);
}
