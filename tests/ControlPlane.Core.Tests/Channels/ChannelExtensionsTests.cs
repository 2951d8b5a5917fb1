using System.Threading.Channels;
using ControlPlane.Core.Channels;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Core.Tests.Channels;

public class ChannelExtensionsTests
{
    [Fact]
    public async Task Everything_written_before_a_read_arrives_as_one_batch()
    {
        var channel = Channel.CreateUnbounded<int>();
        for (var i = 0; i < 1000; i++)
        {
            channel.Writer.TryWrite(i);
        }
        channel.Writer.Complete();

        var batches = new List<IReadOnlyList<int>>();
        await foreach (var batch in channel.Reader.GetBatchesAsync(TimeSpan.FromMilliseconds(100), new FakeTimeProvider()))
        {
            batches.Add(batch);
        }

        Assert.Equal(Enumerable.Range(0, 1000), Assert.Single(batches));
    }

    [Fact]
    public async Task A_second_batch_waits_for_the_interval_and_collects_what_came_meanwhile()
    {
        var time = new FakeTimeProvider();
        var channel = Channel.CreateUnbounded<int>();
        await using var batches = channel.Reader.GetBatchesAsync(TimeSpan.FromMilliseconds(100), time).GetAsyncEnumerator();

        channel.Writer.TryWrite(1);
        Assert.True(await batches.MoveNextAsync());
        Assert.Equal([1], batches.Current);

        channel.Writer.TryWrite(2);
        var next = batches.MoveNextAsync().AsTask();
        channel.Writer.TryWrite(3);
        // Fake time stands still, so no real wait can let the interval pass: the batch must still be held.
        await Task.WhenAny(next, Task.Delay(200));
        Assert.False(next.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.True(await next);
        Assert.Equal([2, 3], batches.Current);
    }

    [Fact]
    public async Task After_a_quiet_spell_the_next_item_is_delivered_without_waiting()
    {
        var time = new FakeTimeProvider();
        var channel = Channel.CreateUnbounded<int>();
        await using var batches = channel.Reader.GetBatchesAsync(TimeSpan.FromMilliseconds(100), time).GetAsyncEnumerator();
        channel.Writer.TryWrite(1);
        await batches.MoveNextAsync();

        time.Advance(TimeSpan.FromSeconds(1));
        channel.Writer.TryWrite(2);

        var next = batches.MoveNextAsync().AsTask();
        Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal([2], batches.Current);
    }
}
