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
}

/// <summary>The lock of one more object an operation changes, and its name for the message when it is busy.</summary>
public sealed record OperationLock(string Key, string Name)
{
    /// <summary>The lock a service's own changes take, for an operation that moves the service besides its target.</summary>
    public static OperationLock OfService(string clusterId, ClusterService service) =>
        new(ChangeLocks.ServiceKey(clusterId, service.Stack, service.Name), service.Name);
}

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
    private static readonly JsonSerializerOptions ParameterJson = new(JsonSerializerDefaults.Web);

    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, Running> _running = new(StringComparer.Ordinal);

    /// <summary>Raised after every change to an operation this process runs (on the thread that made it).</summary>
    public event Action<Operation>? Changed;

    /// <summary>The time source, for the context's timestamps.</summary>
    internal TimeProvider Time => time;

    public async Task<ChangeResult> StartAsync(ChangeCaller caller, ChangeIntent intent, Func<CancellationToken, Task<OperationPlan>> prepare, CancellationToken cancellationToken = default)
    {
        var result = await gate.PassAsync(caller, intent, async (pass, token) =>
        {
            var plan = await prepare(token);
            foreach (var other in plan.Locks)
            {
                pass.Lock(other.Key, other.Name);
            }

            var now = time.GetUtcNow();
            var operation = new Operation(
                Guid.NewGuid().ToString("n"), plan.Kind, intent.Target.Cluster ?? "", plan.Target ?? intent.Subject, intent.Target.Stack,
                caller.Actor, OperationStates.Running, new OperationProgress(0, plan.Total), ValueList<OperationStep>.From(plan.Steps),
                null, now, now, null)
            {
                Parameters = plan.Parameters is null ? null : JsonSerializer.Serialize(plan.Parameters, ParameterJson),
                Permission = intent.Permission,
            };
            await store.SaveAsync(operation, token);

            var running = new Running(CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token));
            _running[operation.Id] = running;
            var context = new OperationContext(operation, running.Cancellation.Token, this);
            ControlPlaneTelemetry.OperationStarted(plan.Kind);
            running.Work = Task.Run(() => RunAsync(context, plan, pass), CancellationToken.None);
            return new Acted<string>(operation.Id, $"Operation {operation.Id} started.") { Continues = true };
        }, cancellationToken);
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
                running.Cancellation.Dispose();
            }
            await pass.FinishAsync(state == OperationStates.Succeeded, $"operation {finished.Id} {state}" + (error is null ? "" : $": {error}"));
        }
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

    private sealed class Running(CancellationTokenSource cancellation)
    {
        public CancellationTokenSource Cancellation { get; } = cancellation;

        public Task? Work { get; set; }
    }
}
