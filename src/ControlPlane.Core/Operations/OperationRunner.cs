using System.Collections.Concurrent;
using System.Text.Json;
using ControlPlane.Core.Audit;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Core.Telemetry;

namespace ControlPlane.Core.Operations;

/// <summary>
/// What an operation will do, decided (and its input checked) before it starts: its kind, what it is about,
/// the units it counts, its first steps, its settings (never a secret value) and the work itself.
/// </summary>
public sealed record OperationPlan(string Kind, int Total, Func<OperationContext, Task> Run)
{
    /// <summary>What the operation acts on, for people: a service, a secret family, an image.</summary>
    public string? Target { get; init; }

    public IReadOnlyList<OperationStep> Steps { get; init; } = [];

    public object? Parameters { get; init; }

    /// <summary>
    /// Other objects the operation changes besides its target (the services a rotation or a wave moves): their locks
    /// are taken before it starts (409 when one is busy) and held until it ends.
    /// </summary>
    public IReadOnlyList<OperationLock> Locks { get; init; } = [];

    /// <summary>For a replica carrying <paramref name="operation"/> on: a plan that can only fail it, saying why.</summary>
    public static OperationPlan Failing(Operation operation, string message) =>
        new(operation.Kind, operation.Progress.Total, _ => throw new OperationFailedException(message));

    /// <summary>For a replica carrying <paramref name="operation"/> on: its target is gone from the picture, so it fails.</summary>
    public static OperationPlan TargetGone(Operation operation) => Failing(operation,
        $"The replica running this {operation.Kind} stopped, and {operation.Target} is not in ControlPlane's picture of {operation.ClusterId} any more.");
}

/// <summary>The lock of one more object an operation changes, and its name for the message when it is busy.</summary>
public sealed record OperationLock(string Key, string Name)
{
    /// <summary>The lock a service's own changes take, for an operation that moves the service besides its target.</summary>
    public static OperationLock OfService(string clusterId, ClusterService service) =>
        new(ChangeLocks.ServiceKey(clusterId, service.Stack, service.Name), service.Name);
}

/// <summary>
/// Carries on an operation another replica started and stopped renewing (DESIGN §8): from the stored record (its
/// parameters and recorded steps) it gives back the change the operation was started as (for its locks and audit)
/// and a plan that continues it, every step safe to do again.
/// </summary>
public interface IOperationResumer
{
    bool Resumes(string kind);

    /// <summary>The intent the operation was started under and the plan that finishes it; the plan fails it when it cannot go on.</summary>
    OperationResumption Resume(Operation operation);
}

/// <summary>What an adopting replica needs to carry an operation on: the change it was started as, and the rest of the work.</summary>
public sealed record OperationResumption(ChangeIntent Intent, OperationPlan Plan);

/// <summary>An operation failed in a way it already handled; <see cref="RolledBack"/> when it put things back.</summary>
public sealed class OperationFailedException(string message, bool rolledBack = false) : Exception(message)
{
    public bool RolledBack { get; } = rolledBack;
}

/// <summary>
/// Runs long changes as operations (DESIGN §4). Starting one goes like any change: permission check, the
/// target's lock, audit "started", and the input checked by the plan before anything reaches the cluster, so
/// bad input gets its message at once. Then the work runs in the background, persisting every step, and its
/// end is audited. The lock is held until the operation ends.
/// </summary>
public sealed class OperationRunner(IOperationStore store, ChangeGate gate, TimeProvider time) : IAsyncDisposable
{
    /// <summary>The lock an operation's owner holds on it, renewed while it runs; another replica adopts it once it lapses.</summary>
    public static string OwnerKey(string operationId) => $"operation/{operationId}";

    /// <summary>The name an operation's locks are held in, so the replica adopting it takes them over.</summary>
    public static string LockOwnerOf(string operationId) => $"operation/{operationId}";


    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, Running> _running = new(StringComparer.Ordinal);

    /// <summary>Raised after every change to an operation this process runs (on the thread that made it).</summary>
    public event Action<Operation>? Changed;

    /// <summary>The time source, for the context's timestamps.</summary>
    internal TimeProvider Time => time;

    public async Task<ChangeResult> StartAsync(ChangeCaller caller, ChangeIntent intent, Func<CancellationToken, Task<OperationPlan>> prepare, CancellationToken cancellationToken = default)
    {
        var id = Guid.NewGuid().ToString("n");
        var result = await gate.PassAsync(caller, intent, async (pass, token) =>
        {
            var plan = await prepare(token);
            foreach (var other in plan.Locks)
            {
                await pass.LockAsync(other.Key, other.Name, token);
            }
            // Owned before it is stored as running, so no other replica takes a new operation for a lapsed one.
            var owner = await gate.Locks.TryEnterAsync(OwnerKey(id), cancellationToken: token)
                ?? throw new ChangeRejectedException(ChangeFailure.Conflict, $"Operation {id} is owned already.");

            var now = time.GetUtcNow();
            var operation = new Operation(
                id, plan.Kind, intent.Target.Cluster ?? "", plan.Target ?? intent.Subject, intent.Target.Stack,
                caller.Actor, OperationStates.Running, new OperationProgress(0, plan.Total), ValueList<OperationStep>.From(plan.Steps),
                null, now, now, null)
            {
                Parameters = plan.Parameters is null ? null : JsonSerializer.Serialize(plan.Parameters, Operation.ParameterJson),
                Permission = intent.Permission,
            };
            try
            {
                await store.SaveAsync(operation, token);
            }
            catch
            {
                await owner.DisposeAsync();
                throw;
            }
            ControlPlaneTelemetry.OperationStarted(plan.Kind);
            Launch(operation, plan, pass, owner);
            return new Acted<string>(operation.Id, $"Operation {operation.Id} started.") { Continues = true };
        }, cancellationToken, lockOwner: LockOwnerOf(id));
        return result.WithoutValue() with { OperationId = result.Value };
    }

    /// <summary>
    /// Asks a running operation to stop. The caller needs the permission that started it, on its target; the cancel
    /// does not wait for the target's lock, which the operation itself holds.
    /// Answers how it went as a change result (404 unknown, 409 finished or run by another replica).
    /// </summary>
    public async Task<ChangeResult> CancelAsync(ChangeCaller caller, string operationId, CancellationToken cancellationToken = default)
    {
        var operation = await store.FindAsync(operationId, cancellationToken);
        if (operation is null)
        {
            return ChangeResult.Refused(ChangeFailure.NotFound, $"No operation has the id '{operationId}'.");
        }
        var intent = new ChangeIntent(operation.Permission, AccessTarget.InCluster(operation.ClusterId, operation.Stack), "operations.cancel", operation.Target)
        {
            Exclusive = false,
        };
        var result = await gate.PassAsync(caller, intent, async (_, _) =>
        {
            if (operation.IsFinished || !_running.TryGetValue(operationId, out var running))
            {
                throw new ChangeRejectedException(ChangeFailure.Conflict, operation.IsFinished
                    ? $"The operation has already ended ({operation.State})."
                    : "The operation is not running in this ControlPlane instance.");
            }
            await running.Cancellation.CancelAsync();
            return new Acted<bool>(true, "Cancellation requested.", Detail: $"operation {operationId}");
        }, cancellationToken);
        return result.WithoutValue();
    }

    /// <summary>
    /// Adopts every running operation whose owner stopped renewing its lease (a replica that died or was partitioned
    /// from the database): its locks are taken over in the operation's name, the adoption is audited, and the kind's
    /// resumer carries it on from its recorded steps. A kind no resumer knows is ended as failed, saying so, rather
    /// than left looking alive. Answers the ids adopted. Does nothing when locks are not shared (one process).
    /// </summary>
    /// <param name="ready">Whether an operation can be judged now (ControlPlane's picture of its cluster is in); others wait for the next round.</param>
    public async Task<IReadOnlyList<string>> AdoptLapsedAsync(IEnumerable<IOperationResumer> resumers, Func<Operation, bool> ready, CancellationToken cancellationToken)
    {
        var adopted = new List<string>();
        if (!gate.Locks.Shared || _stopping.IsCancellationRequested)
        {
            return adopted;
        }
        var candidates = await store.ListAsync(new OperationQuery(State: OperationStates.Running, Limit: 1000), cancellationToken);
        foreach (var operation in candidates.Where(o => !_running.ContainsKey(o.Id) && ready(o)))
        {
            // Taken only when its owner's lease lapsed (or never existed: a release before replicas, stopped abruptly).
            if (await gate.Locks.TryEnterAsync(OwnerKey(operation.Id), cancellationToken: cancellationToken) is not { } owner)
            {
                continue;
            }
            var current = await store.FindAsync(operation.Id, cancellationToken);
            if (current is null || current.IsFinished)
            {
                await owner.DisposeAsync();
                continue;
            }
            var resumption = resumers.FirstOrDefault(r => r.Resumes(current.Kind))?.Resume(current) ?? Unresumable(current);
            var caller = new ChangeCaller(current.Actor, [], null);
            var pass = await gate.AdoptAsync(caller, resumption.Intent, LockOwnerOf(current.Id), resumption.Plan.Locks.Select(l => l.Key),
                $"operation {current.Id} ({current.Kind}) adopted by {gate.Locks.HolderName}: the replica running it stopped renewing its lease", cancellationToken);
            if (pass is null)
            {
                // Another change took one of its objects after the lapse: try again on the next round.
                await owner.DisposeAsync();
                continue;
            }
            var resumed = current with { Error = null, UpdatedAt = time.GetUtcNow() };
            Launch(resumed, resumption.Plan, pass, owner);
            adopted.Add(current.Id);
        }
        return adopted;
    }

    /// <summary>A kind nobody can carry on: it ends failed, naming what to check, and its locks are released.</summary>
    private static OperationResumption Unresumable(Operation operation) => new(
        new ChangeIntent(operation.Permission, AccessTarget.InCluster(operation.ClusterId, operation.Stack), $"operations.{operation.Kind}", operation.Target),
        new OperationPlan(operation.Kind, operation.Progress.Total, _ => throw new OperationFailedException(
            $"The replica running this {operation.Kind} stopped, and a {operation.Kind} cannot be carried on by another one: check {operation.Target} and start it again if needed.")));

    private void Launch(Operation operation, OperationPlan plan, GatePass pass, ChangeLocks.LockHandle owner)
    {
        var running = new Running(CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, owner.Lost), owner);
        _running[operation.Id] = running;
        running.Context = new OperationContext(operation, running.Cancellation.Token, this);
        // Losing the lease to another replica hands the operation over: it must stop here without putting anything back.
        running.LostRegistration = owner.Lost.Register(() => running.Context.HandOver());
        running.Work = Task.Run(() => RunAsync(running.Context, plan, pass), CancellationToken.None);
    }

    /// <summary>Waits until the operation has ended, when this process runs it (tests, tools).</summary>
    public Task WhenFinishedAsync(string operationId) =>
        _running.TryGetValue(operationId, out var running) ? running.Work ?? Task.CompletedTask : Task.CompletedTask;

    public bool IsRunningHere(string operationId) => _running.ContainsKey(operationId);

    internal async Task PublishAsync(Operation operation)
    {
        // Saved even when the operation is being cancelled, so that its record follows it to the end.
        await store.SaveAsync(operation, CancellationToken.None);
        Changed?.Invoke(operation);
    }

    private async Task RunAsync(OperationContext context, OperationPlan plan, GatePass pass)
    {
        // One trace per operation: the Engine API calls its steps make are its children.
        using var activity = ControlPlaneTelemetry.Activities.StartActivity($"operation {plan.Kind}");
        activity?.SetTag("controlplane.operation.id", context.Current.Id);
        activity?.SetTag("controlplane.cluster", context.Current.ClusterId);
        var started = time.GetTimestamp();
        string state;
        string? error = null;
        try
        {
            await plan.Run(context);
            state = OperationStates.Succeeded;
        }
        catch (Exception) when (context.HandedOver)
        {
            await HandOverAsync(context, pass);
            return;
        }
        catch (OperationFailedException failed)
        {
            (state, error) = (failed.RolledBack ? OperationStates.RolledBack : OperationStates.Failed, failed.Message);
        }
        catch (ChangeRejectedException rejected)
        {
            (state, error) = (OperationStates.Failed, rejected.Message);
        }
        catch (OperationCanceledException) when (context.Cancellation.IsCancellationRequested)
        {
            (state, error) = (OperationStates.Cancelled, _stopping.IsCancellationRequested ? "ControlPlane stopped while the operation ran." : "Cancelled.");
        }
        catch (Exception ex)
        {
            (state, error) = (OperationStates.Failed, $"The cluster refused a step: {ex.Message}");
        }

        if (context.HandedOver)
        {
            // Handed over as its last step ended: the replica that has it now records the end, not this one.
            await HandOverAsync(context, pass);
            return;
        }
        ControlPlaneTelemetry.OperationEnded(plan.Kind, state, time.GetElapsedTime(started).TotalSeconds);
        activity?.SetTag("controlplane.operation.result", state);
        if (state != OperationStates.Succeeded)
        {
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, state);
        }
        var finished = Settled(context.Current, state) with { State = state, Error = error, UpdatedAt = time.GetUtcNow(), FinishedAt = time.GetUtcNow() };
        try
        {
            await context.FinishAsync(finished);
        }
        finally
        {
            if (_running.TryRemove(finished.Id, out var running))
            {
                await running.Owner.DisposeAsync();
                running.Dispose();
            }
            await pass.FinishAsync(state == OperationStates.Succeeded, $"operation {finished.Id} {state}" + (error is null ? "" : $": {error}"));
        }
    }

    /// <summary>Another replica carries the operation on from its recorded steps; its locks' leases lapse to that replica.</summary>
    private async Task HandOverAsync(OperationContext context, GatePass pass)
    {
        if (_running.TryRemove(context.Current.Id, out var handed))
        {
            await handed.Owner.AbandonAsync();
            handed.Dispose();
        }
        await pass.AbandonAsync();
    }

    /// <summary>
    /// An operation that did not succeed leaves no step looking alive: one still running ended with the
    /// operation (failed, rolled back, cancelled), one still pending was skipped.
    /// </summary>
    private Operation Settled(Operation operation, string state) => state == OperationStates.Succeeded
        ? operation
        : operation with
        {
            Steps = ValueList<OperationStep>.From(operation.Steps.Select(step => step.State switch
            {
                OperationStates.Running => step with { State = state, UpdatedAt = time.GetUtcNow() },
                OperationStates.Pending => step with { State = OperationStates.Skipped, UpdatedAt = time.GetUtcNow() },
                _ => step,
            })),
        };

    public async ValueTask DisposeAsync()
    {
        if (gate.Locks.Shared)
        {
            // Replicas share the work: a stopping one hands its operations over rather than cancelling them.
            foreach (var running in _running.Values)
            {
                running.Context?.HandOver();
            }
        }
        await _stopping.CancelAsync();
        var work = _running.Values.Select(r => r.Work).OfType<Task>().ToArray();
        try
        {
            await Task.WhenAll(work).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception)
        {
            // Each operation has recorded its own end; shutting down must not fail on one of them.
        }
        _stopping.Dispose();
    }

    private sealed class Running(CancellationTokenSource cancellation, ChangeLocks.LockHandle owner) : IDisposable
    {
        public CancellationTokenSource Cancellation { get; } = cancellation;

        /// <summary>This replica's lease on the operation.</summary>
        public ChangeLocks.LockHandle Owner { get; } = owner;

        public OperationContext? Context { get; set; }

        public CancellationTokenRegistration LostRegistration { get; set; }

        public Task? Work { get; set; }

        public void Dispose()
        {
            LostRegistration.Dispose();
            Cancellation.Dispose();
        }
    }
}
