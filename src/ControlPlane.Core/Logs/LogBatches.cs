using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ControlPlane.Core.Channels;

namespace ControlPlane.Core.Logs;

/// <summary>Reading logs the way a page renders them: in batches, at most one per interval.</summary>
public static class LogBatches
{
    /// <summary>
    /// Reads the lines into a bounded channel and yields what arrived at most once per
    /// <paramref name="minReadInterval"/>, so a service printing thousands of lines a second costs a
    /// reader a handful of renders. When the reader lags by more than <paramref name="capacity"/> lines,
    /// the oldest unread ones are dropped: the viewer keeps only the last lines anyway.
    /// Errors of the lines' source surface from the enumeration.
    /// </summary>
    public static async IAsyncEnumerable<IReadOnlyList<LogLine>> ReadBatchesAsync(
        this IAsyncEnumerable<LogLine> lines,
        TimeSpan minReadInterval,
        TimeProvider timeProvider,
        int capacity = LogBuffer.DefaultCapacity,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateBounded<LogLine>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = true,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var producer = ProduceAsync(lines, channel.Writer, stop.Token);
        try
        {
            await foreach (var batch in channel.Reader.GetBatchesAsync(minReadInterval, timeProvider, cancellationToken).ConfigureAwait(false))
            {
                yield return batch;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await producer.ConfigureAwait(false);
        }
    }

    private static async Task ProduceAsync(IAsyncEnumerable<LogLine> lines, ChannelWriter<LogLine> writer, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var line in lines.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                writer.TryWrite(line);
            }
            writer.TryComplete();
        }
        catch (Exception ex)
        {
            // The reader sees the error after the lines that came before it.
            writer.TryComplete(ex is OperationCanceledException && cancellationToken.IsCancellationRequested ? null : ex);
        }
    }
}
