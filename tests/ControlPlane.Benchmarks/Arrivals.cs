using System.Diagnostics;

namespace ControlPlane.Benchmarks;

/// <summary>
/// Stopwatch timestamps at which keyed observations arrived ("service id/action" for raw events,
/// "service id/round" for the store), and waiters for the first arrival after an operation started.
/// Timestamps are taken by the observer when the observation arrives, so how the benchmark waits
/// (and wakes up) does not enter the measurement.
/// </summary>
public sealed class Arrivals
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<long>> _seen = new(StringComparer.Ordinal);
    private readonly List<Waiter> _waiters = [];

    public void Record(string key, long timestamp)
    {
        List<Waiter> done;
        lock (_lock)
        {
            if (!_seen.TryGetValue(key, out var list))
            {
                _seen[key] = list = [];
            }
            list.Add(timestamp);
            done = _waiters.Where(w => w.Key == key && timestamp >= w.NotBefore).ToList();
            _waiters.RemoveAll(done.Contains);
        }
        foreach (var waiter in done)
        {
            waiter.Arrived.TrySetResult(timestamp);
        }
    }

    /// <summary>
    /// The first arrival of <paramref name="key"/> at or after <paramref name="notBefore"/>, or null on timeout.
    /// <paramref name="notBefore"/> is the start of the API call, so an arrival that beats the call's
    /// return still counts (as a negative latency) while older arrivals of the same key do not.
    /// </summary>
    public async Task<long?> WaitAsync(string key, long notBefore, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Continuations run asynchronously so a waiter never runs on the event or store reader's thread.
        var waiter = new Waiter(key, notBefore, new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_lock)
        {
            if (_seen.TryGetValue(key, out var list) && list.Where(t => t >= notBefore).DefaultIfEmpty(-1).Min() is var first && first >= 0)
            {
                return first;
            }
            _waiters.Add(waiter);
        }
        try
        {
            return await waiter.Arrived.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            lock (_lock)
            {
                _waiters.Remove(waiter);
            }
            return null;
        }
    }

    private sealed record Waiter(string Key, long NotBefore, TaskCompletionSource<long> Arrived);
}

/// <summary>Exact nearest-rank percentiles over the sorted samples, in milliseconds.</summary>
public static class Percentile
{
    public static double Of(IReadOnlyList<double> samples, double percent)
    {
        if (samples.Count == 0)
        {
            return double.NaN;
        }
        var sorted = samples.Order().ToList();
        // Nearest rank: the smallest sample with at least percent% of the samples at or below it.
        var rank = (int)Math.Ceiling(percent / 100.0 * sorted.Count);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }

    public static double Milliseconds(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
}
