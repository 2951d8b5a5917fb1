using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace ControlPlane.Core.Channels;

/// <summary>Reading helpers for channels.</summary>
public static class ChannelExtensions
{
    /// <summary>
    /// Yields everything available as one batch, at most once per <paramref name="minReadInterval"/>,
    /// so a burst of thousands of changes costs a reader a handful of renders.
    /// </summary>
    public static async IAsyncEnumerable<IReadOnlyList<T>> GetBatchesAsync<T>(
        this ChannelReader<T> reader,
        TimeSpan minReadInterval,
        TimeProvider timeProvider,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        long? lastYield = null;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (lastYield is { } last)
            {
                var wait = minReadInterval - timeProvider.GetElapsedTime(last);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, timeProvider, cancellationToken).ConfigureAwait(false);
                }
            }

            var batch = new List<T>();
            while (reader.TryRead(out var item))
            {
                batch.Add(item);
            }
            if (batch.Count > 0)
            {
                lastYield = timeProvider.GetTimestamp();
                yield return batch;
            }
        }
    }
}
