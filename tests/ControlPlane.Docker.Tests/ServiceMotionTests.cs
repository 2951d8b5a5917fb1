using ControlPlane.Core.Model;
using ControlPlane.Docker.Watching;

namespace ControlPlane.Docker.Tests;

/// <summary>Which service events put a service's tasks on the watcher's fast listing path; no engine needed.</summary>
public sealed class ServiceMotionTests
{
    private static readonly ClusterService Held = new(
        "svc1", "web", "demo/app:1", "replicated", ReplicasDesired: 3, ReplicasRunning: 3, Stack: "shop", UpdateState: null, UpdateMessage: null,
        Labels.From(new Dictionary<string, string> { ["com.docker.stack.namespace"] = "shop" }), DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch)
    {
        ObjectVersion = 10,
    };

    [Fact]
    public void A_label_edit_alone_moves_no_task()
    {
        // As fetched: replicas running are derived by the store, so the listing maps them to 0.
        var fetched = Held with
        {
            Labels = Labels.From(new Dictionary<string, string> { ["com.docker.stack.namespace"] = "other", ["round"] = "7" }),
            Stack = "other",
            ReplicasRunning = 0,
            ObjectVersion = 11,
            UpdatedAt = DateTimeOffset.UnixEpoch.AddSeconds(1),
        };

        Assert.False(ClusterWatcher.MayMoveTasks(Held, fetched));
    }

    [Fact]
    public void A_new_service_a_scale_an_image_or_an_update_starting_may_move_tasks()
    {
        Assert.True(ClusterWatcher.MayMoveTasks(null, Held));
        Assert.True(ClusterWatcher.MayMoveTasks(Held, Held with { ReplicasDesired = 5, ObjectVersion = 11 }));
        Assert.True(ClusterWatcher.MayMoveTasks(Held, Held with { Image = "demo/app:2", ObjectVersion = 11 }));
        Assert.True(ClusterWatcher.MayMoveTasks(Held, Held with { UpdateState = "updating", ObjectVersion = 11 }));
    }
}
