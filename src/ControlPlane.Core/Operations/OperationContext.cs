namespace ControlPlane.Core.Operations;

/// <summary>
/// What a running operation sees: its current record, its cancellation, and the calls that record its
/// progress. Every call persists the operation and tells live viewers; calls are serialized.
/// </summary>
public sealed class OperationContext
{
    private readonly OperationRunner _runner;
    private readonly SemaphoreSlim _gate = new(1, 1);

    internal OperationContext(Operation operation, CancellationToken cancellation, OperationRunner runner)
    {
        Current = operation;
        Cancellation = cancellation;
        _runner = runner;
    }

    public Operation Current { get; private set; }

    /// <summary>Set when someone cancels the operation or ControlPlane stops.</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>
    /// The operation was handed over (this replica stops, or lost its lease on it): another replica carries it on from
    /// its recorded steps, so this one must neither put anything back nor write the record again.
    /// </summary>
    public bool HandedOver => Volatile.Read(ref _handedOver) == 1;

    private int _handedOver;

    internal void HandOver() => Interlocked.Exchange(ref _handedOver, 1);

    private DateTimeOffset Now => _runner.Time.GetUtcNow();

    /// <summary>Adds or updates the step called <paramref name="name"/>.</summary>
    public Task StepAsync(string name, string state, string? message = null, OperationProgress? progress = null, string? node = null) =>
        UpdateAsync(operation =>
        {
            var previous = operation.FindStep(name);
            return operation.WithStep(new OperationStep(name, state, message, Now)
            {
                Progress = progress ?? previous?.Progress,
                Node = node ?? previous?.Node,
            });
        });

    /// <summary>Sets the overall progress; <paramref name="total"/> changes the total when the work grew or shrank.</summary>
    public Task ProgressAsync(int done, int? total = null) =>
        UpdateAsync(operation => operation with
        {
            Progress = new OperationProgress(done, total ?? operation.Progress.Total),
            UpdatedAt = Now,
        });

    /// <summary>Any other change to the record (its error while it is still running, for example).</summary>
    public async Task UpdateAsync(Func<Operation, Operation> change)
    {
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            if (HandedOver)
            {
                // The adopting replica owns the record now.
                return;
            }
            Current = change(Current);
            await _runner.PublishAsync(Current);
        }
        finally
        {
            _gate.Release();
        }
    }

    internal Task FinishAsync(Operation finished) => UpdateAsync(_ => finished);
}
