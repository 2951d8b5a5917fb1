using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using static ControlPlane.Core.Tests.State.Resources;

namespace ControlPlane.Core.Tests.State;

public class ClusterStateStoreTests
{
    [Fact]
    public async Task A_subscriber_gets_the_snapshot_then_every_batch_in_order()
    {
        var store = new ClusterStateStore();
        store.Register(Cluster());
        store.Apply("c1", [ResourceChange.Upsert(Node("n1"))]);

        using var subscription = store.Subscribe("c1");
        store.Apply("c1", [ResourceChange.Upsert(Node("n2"))]);
        store.Apply("c1", [ResourceChange.Delete(ResourceKind.Node, "n1")]);

        Assert.Equal(1, subscription.Snapshot.Version);
        Assert.Equal(["n1"], subscription.Snapshot.Nodes.Select(n => n.Id));
        var first = await subscription.Batches.ReadAsync();
        var second = await subscription.Batches.ReadAsync();
        Assert.Equal((2, 3), (first.Version, second.Version));
        Assert.Equal(["n2"], second.State.Nodes.Select(n => n.Id));
    }

    [Fact]
    public void A_change_that_changes_nothing_publishes_nothing()
    {
        var store = new ClusterStateStore();
        store.Register(Cluster());
        store.Apply("c1", [ResourceChange.Upsert(Node("n1"))]);
        using var subscription = store.Subscribe("c1");

        var batch = store.Apply("c1", [ResourceChange.Upsert(Node("n1"))]);

        Assert.Null(batch);
        Assert.False(subscription.Batches.TryRead(out _));
    }

    [Fact]
    public async Task A_subscriber_registered_during_a_burst_misses_nothing_and_sees_nothing_twice()
    {
        const int changes = 20_000;
        var store = new ClusterStateStore();
        store.Register(Cluster());
        using var started = new ManualResetEventSlim();

        var writer = Task.Run(() =>
        {
            for (var i = 0; i < changes; i++)
            {
                // Each change flips one of 50 nodes between ready and down, or deletes it.
                var id = $"n{i % 50}";
                store.Apply("c1", [i % 7 == 0 ? ResourceChange.Delete(ResourceKind.Node, id) : ResourceChange.Upsert(Node(id, i % 2 == 0 ? "ready" : "down"))]);
                if (i == changes / 3)
                {
                    started.Set();
                }
            }
        });

        started.Wait();
        using var subscription = store.Subscribe("c1");
        await writer;

        // Replaying the batches on top of the snapshot must give exactly the final state.
        var replayed = subscription.Snapshot;
        var expectedVersion = replayed.Version + 1;
        while (subscription.Batches.TryRead(out var batch))
        {
            Assert.Equal(expectedVersion++, batch.Version);
            (replayed, _) = replayed.Apply(batch.Changes);
        }
        var final = store.GetState("c1")!;
        Assert.True(subscription.Snapshot.Version > 0);
        Assert.Equal(final.Version, expectedVersion - 1);
        Assert.Equal(final.Nodes.OrderBy(n => n.Id), replayed.Nodes.OrderBy(n => n.Id));
    }

    [Fact]
    public void Disposing_a_subscription_removes_it()
    {
        var store = new ClusterStateStore();
        store.Register(Cluster());

        var subscription = store.Subscribe("c1");
        Assert.Equal(1, store.SubscriberCount("c1"));
        subscription.Dispose();

        Assert.Equal(0, store.SubscriberCount("c1"));
        Assert.True(subscription.Batches.Completion.IsCompleted);
    }

    [Fact]
    public void Status_changes_are_batches_too()
    {
        var store = new ClusterStateStore();
        store.Register(Cluster());
        using var subscription = store.Subscribe("c1");

        store.SetCluster("c1", c => c with { Status = ClusterStatus.Degraded, Error = "stream broke" });

        Assert.True(subscription.Batches.TryRead(out var batch));
        Assert.Equal(ClusterStatus.Degraded, batch!.Cluster.Status);
        Assert.Empty(batch.Changes);
        Assert.Equal(ClusterStatus.Degraded, store.Clusters.Single().Status);
    }

    [Fact]
    public void Clusters_are_listed_in_registration_order_and_registering_twice_is_harmless()
    {
        var store = new ClusterStateStore();
        store.Register(Cluster("b"));
        store.Register(Cluster("a"));
        store.Apply("b", [ResourceChange.Upsert(Node("n1"))]);
        store.Register(Cluster("b"));

        Assert.Equal(["b", "a"], store.Clusters.Select(c => c.Id));
        Assert.Single(store.GetState("b")!.Nodes);
        Assert.Throws<KeyNotFoundException>(() => store.Subscribe("zzz"));
    }
}
