using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Web.Hubs;
using ControlPlane.Web.Tests.Components;

namespace ControlPlane.Web.Tests.Hubs;

/// <summary>How the hub's streams share one feed per cluster and merge changes, so a slow client gets few messages, not a backlog.</summary>
public sealed class ClusterWatchStreamTests
{
    private const string Cluster = "c1";

    private static readonly ClusterVisibility Everything = ClusterVisibility.For([new Grant(1, "admin", Role.Admin, AccessScope.Everywhere)], Cluster);

    [Fact]
    public async Task A_stack_viewer_gets_only_their_stack_and_a_delete_when_a_service_leaves_it()
    {
        var store = NewStore();
        var cart = TestResources.Service("cart", stack: "shop");
        store.Apply(Cluster, [ResourceChange.Upsert(cart), ResourceChange.Upsert(TestResources.Service("invoices", stack: "billing"))]);
        var shopOnly = ClusterVisibility.For([new Grant(2, "viewer", Role.Viewer, AccessScope.OfStack(Cluster, "shop"))], Cluster);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var stream = ClusterWatchStream.ReadAsync(Feeds(store, 10), Cluster, shopOnly, timeout.Token)
            .GetAsyncEnumerator(timeout.Token);

        Assert.True(await stream.MoveNextAsync());
        Assert.Equal(["cart"], stream.Current.Changes.Select(c => ((ClusterService)c.Resource!).Name));

        store.Apply(Cluster, [ResourceChange.Upsert(TestResources.Service("payments", stack: "billing"))]);
        store.Apply(Cluster, [ResourceChange.Upsert(cart with { Stack = "billing" })]);

        Assert.True(await stream.MoveNextAsync());
        var changes = stream.Current.Changes;
        while (!changes.Any(c => c.Id == cart.Id) && await stream.MoveNextAsync())
        {
            changes = stream.Current.Changes;
        }
        var moved = Assert.Single(changes);
        Assert.Equal((ChangeType.Delete, cart.Id), (moved.Type, moved.Id));
    }

    [Fact]
    public void Merged_batches_carry_each_object_once_with_its_last_change_and_the_newest_version()
    {
        var store = NewStore();
        var web = TestResources.Service("web");
        var api = TestResources.Service("api");
        var first = store.Apply(Cluster, [ResourceChange.Upsert(web), ResourceChange.Upsert(api)])!;
        var second = store.Apply(Cluster, [ResourceChange.Upsert(web with { Image = "demo/app:2" }), ResourceChange.Delete(ResourceKind.Service, api.Id)])!;
        var coalescer = new ChangeCoalescer();

        coalescer.Add([first, second]);
        var message = ClusterWatchMessage.FromBatch(coalescer.Take()!);

        Assert.False(message.Snapshot);
        Assert.Equal(second.Version, message.Version);
        Assert.Equal(2, message.Changes.Count);
        var webChange = Assert.Single(message.Changes, c => c.Id == web.Id);
        Assert.Equal(ChangeType.Upsert, webChange.Type);
        Assert.Equal("demo/app:2", Assert.IsType<ClusterService>(webChange.Resource).Image);
        var apiChange = Assert.Single(message.Changes, c => c.Id == api.Id);
        Assert.Equal(ChangeType.Delete, apiChange.Type);
        Assert.Null(apiChange.Resource);
        Assert.Null(coalescer.Take());
    }

    [Fact]
    public async Task A_reader_that_falls_behind_a_burst_of_500_changes_catches_up_in_a_few_messages_holding_the_last_state()
    {
        var store = NewStore();
        var web = TestResources.Service("web");
        store.Apply(Cluster, [ResourceChange.Upsert(web)]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var stream = ClusterWatchStream.ReadAsync(Feeds(store, 100), Cluster, Everything, timeout.Token)
            .GetAsyncEnumerator(timeout.Token);
        Assert.True(await stream.MoveNextAsync());
        Assert.True(stream.Current.Snapshot);
        Assert.Equal(web.Id, Assert.Single(stream.Current.Changes).Id);

        // The reader takes nothing while the burst is published, as a client whose connection is slow.
        ChangeBatch last = null!;
        for (var i = 1; i <= 500; i++)
        {
            last = store.Apply(Cluster, [ResourceChange.Upsert(web with { Labels = Labels.From([new("round", $"{i}")]) })])!;
        }
        var messages = new List<ClusterWatchMessage>();
        do
        {
            Assert.True(await stream.MoveNextAsync());
            messages.Add(stream.Current);
        }
        while (stream.Current.Version < last.Version);

        Assert.InRange(messages.Count, 1, 5);
        Assert.All(messages, m => Assert.Equal(m.Changes.Count, m.Changes.DistinctBy(c => (c.Kind, c.Id)).Count()));
        var final = Assert.IsType<ClusterService>(Assert.Single(messages[^1].Changes).Resource);
        Assert.Equal("500", final.Labels["round"]);
    }

    [Fact]
    public async Task A_snapshot_of_2500_objects_comes_in_three_chunks_the_last_marked_complete_then_changes()
    {
        var store = NewStore();
        var services = Enumerable.Range(0, 2500).Select(i => TestResources.Service($"s{i:D4}")).ToList();
        store.Apply(Cluster, services.Select(ResourceChange.Upsert).ToList());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var stream = ClusterWatchStream.ReadAsync(Feeds(store, 10), Cluster, Everything, timeout.Token, snapshotChunkSize: 1000)
            .GetAsyncEnumerator(timeout.Token);

        var chunks = new List<ClusterWatchMessage>();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await stream.MoveNextAsync());
            chunks.Add(stream.Current);
        }

        Assert.All(chunks, c => Assert.True(c.Snapshot));
        Assert.Equal([1000, 1000, 500], chunks.Select(c => c.Changes.Count));
        Assert.Equal([false, false, true], chunks.Select(c => c.SnapshotComplete));
        Assert.Single(chunks.Select(c => c.Version).Distinct());
        Assert.Equal(services.Select(s => s.Id).Order(), chunks.SelectMany(c => c.Changes).Select(c => c.Id).Order());

        store.Apply(Cluster, [ResourceChange.Delete(ResourceKind.Service, services[0].Id)]);
        Assert.True(await stream.MoveNextAsync());
        Assert.False(stream.Current.Snapshot);
        Assert.True(stream.Current.SnapshotComplete);
        Assert.Equal(services[0].Id, Assert.Single(stream.Current.Changes).Id);
    }

    [Fact]
    public async Task An_empty_cluster_is_one_complete_snapshot_item_with_no_changes()
    {
        var store = NewStore();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var stream = ClusterWatchStream.ReadAsync(Feeds(store, 10), Cluster, Everything, timeout.Token)
            .GetAsyncEnumerator(timeout.Token);

        Assert.True(await stream.MoveNextAsync());
        Assert.True(stream.Current is { Snapshot: true, SnapshotComplete: true, Changes.Count: 0 });
    }

    [Fact]
    public async Task Ending_the_stream_releases_the_store_subscription()
    {
        var store = NewStore();
        var feeds = Feeds(store, 100);
        using var cancel = new CancellationTokenSource();
        var stream = ClusterWatchStream.ReadAsync(feeds, Cluster, Everything, cancel.Token)
            .GetAsyncEnumerator(cancel.Token);
        Assert.True(await stream.MoveNextAsync());
        Assert.Equal(1, store.SubscriberCount(Cluster));
        Assert.Equal(1, feeds.StreamCount(Cluster));

        var waiting = stream.MoveNextAsync().AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await stream.DisposeAsync();

        Assert.Equal(0, store.SubscriberCount(Cluster));
        Assert.Equal(0, feeds.StreamCount(Cluster));
    }

    [Fact]
    public async Task Streams_of_one_cluster_share_one_store_subscription_and_are_handed_the_same_message()
    {
        var store = NewStore();
        var feeds = Feeds(store, 10);
        var web = TestResources.Service("web");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var first = ClusterWatchStream.ReadAsync(feeds, Cluster, Everything, timeout.Token).GetAsyncEnumerator(timeout.Token);
        var second = ClusterWatchStream.ReadAsync(feeds, Cluster, Everything, timeout.Token).GetAsyncEnumerator(timeout.Token);
        try
        {
            Assert.True(await first.MoveNextAsync());
            Assert.True(await second.MoveNextAsync());
            Assert.Equal(1, store.SubscriberCount(Cluster));
            Assert.Equal(2, feeds.StreamCount(Cluster));

            var applied = store.Apply(Cluster, [ResourceChange.Upsert(web)])!;

            Assert.True(await first.MoveNextAsync());
            Assert.True(await second.MoveNextAsync());
            Assert.Same(first.Current, second.Current);
            Assert.Equal(applied.Version, first.Current.Version);
            Assert.Equal(web.Id, Assert.Single(first.Current.Changes).Id);
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
        }
        Assert.Equal(0, store.SubscriberCount(Cluster));
    }

    [Fact]
    public async Task A_stream_that_joins_while_changes_flow_misses_none_its_snapshot_and_messages_add_up_to_the_store()
    {
        var store = NewStore();
        var feeds = Feeds(store, 5);
        var services = Enumerable.Range(0, 50).Select(i => TestResources.Service($"s{i:D2}")).ToList();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        // A first stream keeps the feed running while the second joins in the middle of the changes.
        await using var early = ClusterWatchStream.ReadAsync(feeds, Cluster, Everything, timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await early.MoveNextAsync());
        for (var i = 0; i < 25; i++)
        {
            store.Apply(Cluster, [ResourceChange.Upsert(services[i])]);
            await Task.Yield();
        }
        await using var late = ClusterWatchStream.ReadAsync(feeds, Cluster, Everything, timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await late.MoveNextAsync());
        var seen = late.Current.Changes.Select(c => c.Id).ToHashSet();
        ChangeBatch last = null!;
        for (var i = 25; i < 50; i++)
        {
            last = store.Apply(Cluster, [ResourceChange.Upsert(services[i])])!;
        }
        while (late.Current.Version < last.Version)
        {
            Assert.True(await late.MoveNextAsync());
            Assert.False(late.Current.Snapshot);
            seen.UnionWith(late.Current.Changes.Select(c => c.Id));
        }

        Assert.Equal(services.Select(s => s.Id).Order(), seen.Order());
    }

    [Fact]
    public void Every_stream_shares_one_change_per_resource_written_once_in_the_same_json_as_the_plain_record()
    {
        var web = TestResources.Service("web");
        var first = ClusterWatchChange.From(ResourceChange.Upsert(web));
        var second = ClusterWatchChange.From(ResourceChange.Upsert(web));
        var changed = ClusterWatchChange.From(ResourceChange.Upsert(web with { Image = "demo/app:2" }));
        var deleted = ClusterWatchChange.From(ResourceChange.Delete(ResourceKind.Service, web.Id));
        // The hub's options: camelCase names and enums as camelCase strings.
        var options = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web);
        options.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase, allowIntegerValues: false));

        Assert.Same(first, second);
        Assert.NotSame(first, changed);
        foreach (var change in new[] { first, changed, deleted })
        {
            var plain = System.Text.Json.JsonSerializer.Serialize(new { type = change.Type, kind = change.Kind, id = change.Id, resource = change.Resource }, options);
            Assert.Equal(plain, System.Text.Json.JsonSerializer.Serialize(change, options));
            // Written again from the kept JSON, and read back.
            Assert.Equal(plain, System.Text.Json.JsonSerializer.Serialize(change, options));
            var read = System.Text.Json.JsonSerializer.Deserialize<ClusterWatchChange>(plain, options)!;
            Assert.Equal((change.Type, change.Kind, change.Id), (read.Type, read.Kind, read.Id));
        }
        Assert.Contains("demo/app:2", System.Text.Json.JsonSerializer.Serialize(changed, options));
        Assert.Contains("\"type\":\"delete\"", System.Text.Json.JsonSerializer.Serialize(deleted, options));
    }

    private static ClusterWatchFeeds Feeds(ClusterStateStore store, int intervalMilliseconds) =>
        new(store, TimeSpan.FromMilliseconds(intervalMilliseconds), TimeProvider.System);

    private static ClusterStateStore NewStore()
    {
        var store = new ClusterStateStore();
        store.Register(ClusterInfo.Initial(Cluster, Cluster));
        return store;
    }
}
