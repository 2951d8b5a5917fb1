using System.Runtime.CompilerServices;

namespace ControlPlane.Web.Tests.Hubs;

/// <summary>Values a subscriber receives over time, and a wait for the first one that satisfies a condition.</summary>
internal sealed class Observations<T>
{
    private readonly Lock _lock = new();
    private readonly List<T> _items = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Exception? _error;
    private bool _completed;

    public IReadOnlyList<T> Items
    {
        get
        {
            lock (_lock)
            {
                return _items.ToList();
            }
        }
    }

    public void Add(T item) => Signal(() => _items.Add(item));

    /// <summary>The source ended; a failure is rethrown to whoever waits.</summary>
    public void Complete(Exception? error = null) => Signal(() =>
    {
        _completed = true;
        _error = error;
    });

    /// <summary>
    /// The first value, received so far or later, for which <paramref name="condition"/> holds. Fails with the
    /// condition on timeout, and with the source's error if it ended first.
    /// </summary>
    public async Task<T> WaitForAsync(Func<T, bool> condition, TimeSpan timeout,
        [CallerArgumentExpression(nameof(condition))] string description = "")
    {
        using var deadline = new CancellationTokenSource(timeout);
        var checkedCount = 0;
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                for (; checkedCount < _items.Count; checkedCount++)
                {
                    if (condition(_items[checkedCount]))
                    {
                        return _items[checkedCount];
                    }
                }
                if (_completed)
                {
                    throw new InvalidOperationException(
                        $"The stream ended after {_items.Count} value(s) without `{description}`.", _error);
                }
                changed = _changed.Task;
            }
            try
            {
                await changed.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"No value satisfied `{description}` within {timeout.TotalSeconds:0}s ({checkedCount} received).");
            }
        }
    }

    private void Signal(Action update)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            update();
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }
}
