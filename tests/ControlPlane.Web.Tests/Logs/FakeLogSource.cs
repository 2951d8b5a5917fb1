using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ControlPlane.Core.Logs;

namespace ControlPlane.Web.Tests.Logs;

/// <summary>
/// Our own log port, faked for page tests: every read is handed to the test, which writes its lines,
/// ends it or fails it. (Not a fake of the Engine API: the real source is tested against the swarm.)
/// </summary>
internal sealed class FakeLogSource : ILogSource
{
    private readonly Channel<Reading> _readings = Channel.CreateUnbounded<Reading>();

    public async IAsyncEnumerable<LogLine> ReadAsync(string clusterId, LogTarget target, LogOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reading = new Reading(clusterId, target, options);
        _readings.Writer.TryWrite(reading);
        try
        {
            await foreach (var line in reading.Lines.Reader.ReadAllAsync(cancellationToken))
            {
                yield return line;
            }
        }
        finally
        {
            reading.Stopped.TrySetResult();
        }
    }

    /// <summary>The next read the page started; fails the test when none starts in time.</summary>
    public Reading NextReading(TimeSpan? timeout = null)
    {
        var next = _readings.Reader.ReadAsync().AsTask();
        return next.Wait(timeout ?? TimeSpan.FromSeconds(5)) ? next.Result : throw new TimeoutException("The page started no log read.");
    }

    public bool HasPendingReading => _readings.Reader.Count > 0;

    /// <summary>One call of <see cref="ReadAsync"/>: what was asked, and the test's pen for the answer.</summary>
    public sealed record Reading(string ClusterId, LogTarget Target, LogOptions Options)
    {
        public Channel<LogLine> Lines { get; } = Channel.CreateUnbounded<LogLine>();

        /// <summary>Completes when the page stopped reading (cancelled, or the lines ended).</summary>
        public TaskCompletionSource Stopped { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Write(string text, string stream = LogLine.StandardOutput, string? task = null) =>
            Lines.Writer.TryWrite(new LogLine(DateTimeOffset.UtcNow, stream, text, task));

        public void Fail(Exception error) => Lines.Writer.TryComplete(error);

        public void End() => Lines.Writer.TryComplete();
    }
}
