using ControlPlane.Core.Changes;
using ControlPlane.Core.Health;
using ControlPlane.Core.Images;
using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using static ControlPlane.Core.Tests.State.Resources;

namespace ControlPlane.Core.Tests.Images;

public class ImageReferenceSyntaxTests
{
    [Theory]
    [InlineData("nginx")]
    [InlineData("nginx:1.27")]
    [InlineData("10.99.0.1:5000/demo/app:2")]
    [InlineData("registry.example.com/team/app_x:v2.1-rc")]
    [InlineData("demo/app@sha256:0780df34979e4dacc3e3d8e764562934ba30b24a2afada8e26e80a3b00722144")]
    [InlineData("demo/app:2@sha256:0780df34979e4dacc3e3d8e764562934ba30b24a2afada8e26e80a3b00722144")]
    public void Docker_s_reference_forms_are_accepted(string reference) => Assert.Null(ImageReferenceSyntax.Validate(reference));

    [Theory]
    [InlineData("", "required")]
    [InlineData("Demo/App::2", "not a valid image reference")]
    [InlineData("team/App:2", "lower-case")]
    [InlineData("demo/app:", "not a valid image reference")]
    [InlineData("demo/app@sha256:xyz", "not a valid image reference")]
    [InlineData("demo app:1", "not a valid image reference")]
    public void Malformed_references_get_a_message(string reference, string message) =>
        Assert.Contains(message, ImageReferenceSyntax.Validate(reference));

    [Fact]
    public void A_repository_takes_a_tag_or_a_digest()
    {
        Assert.Equal("10.99.0.1:5000/demo/app:2", ImageReferenceSyntax.WithTagOrDigest("10.99.0.1:5000/demo/app", "2"));
        Assert.Equal("demo/app@sha256:abc", ImageReferenceSyntax.WithTagOrDigest("demo/app", "sha256:abc"));
        Assert.Equal("10.99.0.1:5000/demo/app", ImageReferenceSyntax.RepositoryOf("10.99.0.1:5000/demo/app:2@sha256:abc"));
        Assert.Equal("sha256:abc", ImageReferenceSyntax.DigestOf("demo/app:2@sha256:abc"));
        Assert.Equal("demo/app:2@sha256:abc", new ImageCheck("demo/app:2", "sha256:abc", null).Pinned);
    }
}

public class UpdateSettingsTests
{
    private static readonly UpdatePolicy Current = new(2, TimeSpan.FromSeconds(3), "rollback", TimeSpan.FromSeconds(4), 0.25, "start-first");

    [Fact]
    public void Settings_left_out_keep_the_service_s_own() =>
        Assert.Equal(Current with { Parallelism = 1, Order = "stop-first" }, new UpdateSettings(Parallelism: 1, Order: "Stop-First").Apply(Current));

    [Theory]
    [InlineData(-1L, null, null, null, "parallelism")]
    [InlineData(null, 1.5, null, null, "maxFailureRatio")]
    [InlineData(null, null, "explode", null, "failureAction")]
    [InlineData(null, null, null, "sideways", "order")]
    public void Values_docker_would_refuse_are_invalid(long? parallelism, double? ratio, string? failureAction, string? order, string message)
    {
        var refused = Assert.Throws<ChangeRejectedException>(() => new UpdateSettings(parallelism, null, failureAction, null, ratio, order).Apply(Current));
        Assert.Equal(ChangeFailure.Invalid, refused.Reason);
        Assert.Contains(message, refused.Message);
    }
}

public class RolloutViewTests
{
    private const string Old = "demo/app:1";
    private const string New = "demo/app:2@sha256:" + "b" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde";

    [Fact]
    public void Progress_counts_slots_whose_newest_task_runs_the_target_and_names_the_failing_task()
    {
        var service = Service("s", replicas: 3);
        var t = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        ClusterTask Task(string id, long slot, string state, string desired, string image, int minute, string node = "n1", string? error = null) =>
            TaskOf(id, "s", state, desired, node) with { Slot = slot, Image = image, CreatedAt = t.AddMinutes(minute), Error = error };
        var status = new RolloutStatus(service with { UpdateState = "updating" },
        [
            Task("a1", 1, "shutdown", "shutdown", Old, 0), Task("a2", 1, "running", "running", New, 1, "n2"),
            Task("b1", 2, "running", "running", Old, 0),
            Task("c1", 3, "shutdown", "shutdown", Old, 0), Task("c2", 3, "failed", "shutdown", New, 2, "n3", "task: non-zero exit (3)"),
        ]);

        var view = RolloutView.Of(status, New, id => $"host-{id}");

        Assert.Equal((1, 3), (view.Done, view.Total));
        Assert.Equal(["slot 1", "slot 2", "slot 3"], view.Slots.Select(s => s.Name).ToArray());
        Assert.Equal(["succeeded", "pending", "failed"], view.Slots.Select(s => s.State).ToArray());
        Assert.Equal("slot 1 on host-n2: running demo/app:2", view.Slots[0].Message);
        Assert.Contains("slot 3 on host-n3 failed running demo/app:2: task: non-zero exit (3)", view.FailingTaskError);
    }
}

public class DriftTests
{
    private const string A = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string B = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    [Fact]
    public void Tasks_on_another_digest_than_the_spec_s_count_per_node_and_warn_on_the_overview()
    {
        var web = Service("web", replicas: 3, name: "web") with { Image = $"demo/app:2@{A}", ReplicasRunning = 3 };
        var state = ClusterState.Empty(Cluster()).Apply(new IClusterResource[]
        {
            Node("n1"), Node("n2"), Node("n3"), web,
            TaskOf("t1", "web", node: "n1") with { Image = $"demo/app:2@{A}" },
            TaskOf("t2", "web", node: "n2") with { Image = $"demo/app:2@{B}", Slot = 2 },
            TaskOf("t3", "web", node: "n3") with { Image = $"demo/app:2@{B}", Slot = 3 },
        }.Select(ResourceChange.Upsert), Cluster() with { Status = ClusterStatus.Synced }).State;

        var drift = ServiceDrift.Of(state, web);

        Assert.Equal(2, drift.DifferingNodes);
        Assert.Equal([A, B], drift.Digests.ToArray());
        Assert.Equal(["host-n1", "host-n2", "host-n3"], drift.Cells.Select(c => c.NodeHostname).ToArray());
        Assert.Contains(ClusterHealth.Evaluate(state, DateTimeOffset.UtcNow).Reasons, r => r.StartsWith("web: image differs on 2 nodes", StringComparison.Ordinal));
    }

    [Fact]
    public void A_service_whose_tasks_all_run_the_wanted_digest_has_no_drift()
    {
        var web = Service("web", replicas: 1, name: "web") with { Image = $"demo/app:2@{A}", ReplicasRunning = 1 };
        var state = ClusterState.Empty(Cluster()).Apply(new IClusterResource[] { Node("n1"), web, TaskOf("t1", "web") with { Image = $"demo/app:2@{A}" } }
            .Select(ResourceChange.Upsert), Cluster() with { Status = ClusterStatus.Synced }).State;

        Assert.Equal(0, ServiceDrift.Of(state, web).DifferingNodes);
        Assert.Empty(ServiceDrift.Drifting(state));
    }
}
