using System.Runtime.CompilerServices;
using ControlPlane.Core.Logs;

namespace ControlPlane.Web.Tests.Logs;

public sealed class LogBatchesTests
{
    [Fact]
    public async Task A_burst_of_lines_arrives_in_a_few_batches_in_order()
    {
        var source = new ListSource(Enumerable.Range(1, 5000).Select(i => $"line {i}").ToList());
        var batches = new List<IReadOnlyList<LogLine>>();

        await foreach (var batch in source.ReadAsync("c1", LogTarget.Service("web"), new LogOptions(), CancellationToken.None).ReadBatchesAsync(TimeSpan.FromMilliseconds(100), TimeProvider.System))
        {
            batches.Add(batch);
        }

        Assert.Equal(Enumerable.Range(1, 5000).Select(i => $"line {i}"), batches.SelectMany(b => b).Select(l => l.Text));
        Assert.InRange(batches.Count, 1, 20);
    }

    [Fact]
    public async Task An_error_of_the_source_surfaces_after_the_lines_before_it()
    {
        var source = new ListSource(["one", "two"], new LogTargetNotFoundException("Service 'web' no longer exists."));
        var lines = new List<string>();

        var error = await Assert.ThrowsAsync<LogTargetNotFoundException>(async () =>
        {
            await foreach (var batch in source.ReadAsync("c1", LogTarget.Service("web"), new LogOptions(), CancellationToken.None).ReadBatchesAsync(TimeSpan.FromMilliseconds(10), TimeProvider.System))
            {
                lines.AddRange(batch.Select(l => l.Text));
            }
        });

        Assert.Equal(["one", "two"], lines);
        Assert.Equal("Service 'web' no longer exists.", error.Message);
    }

    private sealed class ListSource(IReadOnlyList<string> lines, Exception? error = null) : ILogSource
    {
        public async IAsyncEnumerable<LogLine> ReadAsync(string clusterId, LogTarget target, LogOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            foreach (var line in lines)
            {
                yield return new LogLine(null, LogLine.StandardOutput, line, null);
            }
            await Task.Yield();
            if (error is not null)
            {
                throw error;
            }
        }
    }
}
