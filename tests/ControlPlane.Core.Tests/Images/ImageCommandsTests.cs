using ControlPlane.Core.Audit;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Images;
using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Core.Tests.Changes;
using static ControlPlane.Core.Tests.State.Resources;

namespace ControlPlane.Core.Tests.Images;

/// <summary>
/// The image commands against a hand-built cluster and an engine that converges at once: what each refuses (and that
/// nothing reaches the swarm then), whose permission each needs, and what the swarm is asked when it goes ahead.
/// </summary>
public sealed class ImageCommandsTests : IAsyncDisposable
{
    private const string C1 = "c1";
    private const string Pinned = "demo/app:2@" + FakeImageEngine.Digest;

    private static readonly ClusterNode EuWorker = Node("n1") with { Labels = Zone("eu") };
    private static readonly ClusterNode UsWorker = Node("n2") with { Labels = Zone("us") };
    private static readonly ClusterNode Manager = Node("n3") with { Role = "manager", Labels = Zone("eu") };
    private static readonly ClusterService Web = Service("web", replicas: 2, name: "web") with { Stack = "shop" };
    private static readonly ClusterService Api = Service("api", name: "api") with { Stack = "shop", Image = "demo/api:1" };
    private static readonly ClusterService Cache = Service("cache", name: "cache") with
    {
        Image = "demo/app:1@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
        Details = ServiceDetails.Empty with { Constraints = ValueList<string>.From(["node.labels.zone==eu", "node.role==worker"]) },
    };

    private static readonly ChangeCaller Admin = CallerWith(Role.Admin, AccessScope.Everywhere);
    private static readonly ChangeCaller ShopOperator = CallerWith(Role.Operator, AccessScope.OfStack(C1, "shop"));
    private static readonly ChangeCaller ClusterOperator = CallerWith(Role.Operator, AccessScope.OfCluster(C1));

    private readonly ClusterStateStore _state = new();
    private readonly InMemoryOperationStore _operations = new();
    private readonly RecordingAuditLog _audit = new();
    private readonly FakeImageEngine _engine = new();
    private readonly OperationRunner _runner;
    private readonly ImageCommands _images;
    private readonly RolloutHistory _history;

    public ImageCommandsTests()
    {
        var locks = new ChangeLocks();
        _runner = new OperationRunner(_operations, new ChangeGate(_audit, locks, TimeProvider.System), TimeProvider.System);
        _history = new RolloutHistory(_operations);
        _images = new ImageCommands(_state, _runner, new RolloutPlans(_engine, locks, TimeProvider.System), new ImageDistribution(_engine, TimeProvider.System), _history);
        _state.Register(Cluster(C1));
        Put(EuWorker, UsWorker, Manager, Web, Api, Cache);
    }

    // Rollout

    [Fact]
    public async Task A_rollout_sets_the_image_pinned_to_the_registry_s_digest_with_the_settings_given_over_the_service_s_own()
    {
        var operation = await FinishedAsync(await _images.RolloutAsync(ShopOperator, C1, "web", " demo/app:2 ", new UpdateSettings(Parallelism: 2)));

        Assert.Equal(OperationStates.Succeeded, operation.State);
        Assert.Equal(["image web " + Pinned + " parallelism=2 order=stop-first"], _engine.Calls);
        Assert.Equal(("web", "shop"), (operation.Target, operation.Stack));
        Assert.Contains("\"previousImage\":\"demo/app:1\"", operation.Parameters);
    }

    [Fact]
    public async Task A_rollout_of_a_service_the_cluster_does_not_have_is_not_found() =>
        await AssertRefusedAsync(_images.RolloutAsync(Admin, C1, "nope", "demo/app:2", null), ChangeFailure.NotFound, "Cluster 'c1' has no service 'nope'.");

    [Fact]
    public async Task A_stack_operator_asking_for_a_service_outside_the_picture_is_refused_rather_than_told_it_is_missing() =>
        await AssertRefusedAsync(_images.RolloutAsync(ShopOperator, C1, "nope", "demo/app:2", null), ChangeFailure.Forbidden, "");

    [Theory]
    [InlineData("", "required")]
    [InlineData("Demo/App::2", "not a valid image reference")]
    [InlineData("demo/app:", "not a valid image reference")]
    public async Task A_malformed_image_reference_is_refused_before_the_registry_is_asked(string image, string message)
    {
        await AssertRefusedAsync(_images.RolloutAsync(Admin, C1, "web", image, null), ChangeFailure.Invalid, message);
        Assert.Empty(_engine.Checks);
    }

    [Fact]
    public async Task An_image_the_registry_does_not_have_is_refused() =>
        await AssertRefusedAsync(_images.RolloutAsync(Admin, C1, "web", "demo/app:missing", null), ChangeFailure.Invalid, "The registry has no demo/app:missing.");

    [Theory]
    [InlineData(-1L, null, null, null, "parallelism")]
    [InlineData(null, 1.5, null, null, "maxFailureRatio")]
    [InlineData(null, null, "explode", null, "failureAction")]
    [InlineData(null, null, null, "sideways", "order")]
    public async Task Update_settings_docker_would_refuse_are_refused(long? parallelism, double? ratio, string? failureAction, string? order, string message) =>
        await AssertRefusedAsync(_images.RolloutAsync(Admin, C1, "web", "demo/app:2", new UpdateSettings(parallelism, null, failureAction, null, ratio, order)),
            ChangeFailure.Invalid, message);

    [Fact]
    public async Task A_viewer_cannot_roll_out_and_the_refusal_is_audited()
    {
        await AssertRefusedAsync(_images.RolloutAsync(CallerWith(Role.Viewer, AccessScope.Everywhere), C1, "web", "demo/app:2", null), ChangeFailure.Forbidden, "");
        Assert.Equal(AuditResult.Denied, Assert.Single(_audit.Entries).Result);
    }

    [Fact]
    public async Task An_operator_of_another_stack_cannot_roll_out_a_service_of_this_one() =>
        await AssertRefusedAsync(_images.RolloutAsync(CallerWith(Role.Operator, AccessScope.OfStack(C1, "billing")), C1, "web", "demo/app:2", null), ChangeFailure.Forbidden, "");

    [Fact]
    public async Task A_service_docker_is_already_updating_is_a_conflict()
    {
        Put(Web with { UpdateState = "updating" });

        await AssertRefusedAsync(_images.RolloutAsync(Admin, C1, "web", "demo/app:2", null), ChangeFailure.Conflict, "Docker is updating web already");
    }

    // Resume and rollback

    [Fact]
    public async Task Only_a_paused_update_can_be_resumed() =>
        await AssertRefusedAsync(_images.ResumeAsync(Admin, C1, "web"), ChangeFailure.Invalid, "web has no paused update to resume (its update state is none).");

    [Fact]
    public async Task A_paused_update_is_resumed_and_followed_to_its_end()
    {
        Put(Web with { UpdateState = "paused" });

        var operation = await FinishedAsync(await _images.ResumeAsync(ShopOperator, C1, "web"));

        Assert.Equal(OperationStates.Succeeded, operation.State);
        Assert.Equal(["resume web"], _engine.Calls);
    }

    [Fact]
    public async Task A_service_without_a_previous_spec_cannot_be_rolled_back() =>
        await AssertRefusedAsync(_images.RollbackAsync(Admin, C1, "web"), ChangeFailure.Invalid, "web has no previous spec to roll back to.");

    [Fact]
    public async Task A_rollback_asks_docker_for_the_previous_spec()
    {
        Put(Web with { Details = ServiceDetails.Empty with { PreviousImage = "demo/app:0" } });

        var operation = await FinishedAsync(await _images.RollbackAsync(ShopOperator, C1, "web"));

        Assert.Equal(OperationStates.Succeeded, operation.State);
        Assert.Equal(["rollback web"], _engine.Calls);
    }

    [Fact]
    public async Task When_docker_s_previous_spec_runs_the_same_image_and_no_rollout_recorded_one_the_rollback_is_refused()
    {
        Put(Web with { Details = ServiceDetails.Empty with { PreviousImage = "demo/app:1" } });

        await AssertRefusedAsync(_images.RollbackAsync(Admin, C1, "web"), ChangeFailure.Invalid, "no ControlPlane rollout recorded the image before it");
    }

    [Fact]
    public async Task After_a_resume_the_rollback_sets_the_image_the_last_rollout_recorded()
    {
        await FinishedAsync(await _images.RolloutAsync(Admin, C1, "web", "demo/app:2", null));
        // A resume wrote the same spec again: Docker's previous spec is now the rolled-out one.
        Put(Web with { Image = Pinned, Details = ServiceDetails.Empty with { PreviousImage = Pinned } });

        var operation = await FinishedAsync(await _images.RollbackAsync(Admin, C1, "web"));

        Assert.Equal(OperationStates.Succeeded, operation.State);
        Assert.Equal("image web demo/app:1 parallelism=1 order=stop-first", _engine.Calls[^1]);
        Assert.DoesNotContain("rollback web", _engine.Calls);
    }

    // Waves

    [Theory]
    [InlineData("shop", "demo/app", "2", 1, "Give either stack or repository, not both and not neither.")]
    [InlineData(null, null, "demo/app:2", 1, "Give either stack or repository, not both and not neither.")]
    [InlineData(null, "demo/app", null, 1, "image is required: the tag or digest the repository's services move to.")]
    [InlineData("shop", null, " ", 1, "image is required: the reference every service of the stack moves to.")]
    [InlineData(null, "demo/app", "2", 0, "waveSize must be 1 or more")]
    [InlineData(null, "demo/app", "2", null, "waveSize must be 1 or more")]
    [InlineData("nothing-here", null, "demo/app:2", 1, "No service matches stack nothing-here.")]
    [InlineData("shop", null, "Demo/App::2", 1, "not a valid image reference")]
    public async Task Waves_refuse_input_that_does_not_say_which_services_move_where(string? stack, string? repository, string? image, int? waveSize, string message) =>
        await AssertRefusedAsync(_images.WavesAsync(Admin, C1, stack, repository, image, waveSize, null), ChangeFailure.Invalid, message);

    [Fact]
    public async Task Waves_on_a_cluster_the_store_does_not_know_are_not_found() =>
        await AssertRefusedAsync(_images.WavesAsync(Admin, "c9", "shop", null, "demo/app:2", 1, null), ChangeFailure.NotFound, "No cluster has the id 'c9'.");

    [Fact]
    public async Task Waves_by_repository_move_every_service_from_it_whatever_its_tag_and_no_other()
    {
        var operation = await FinishedAsync(await _images.WavesAsync(ClusterOperator, C1, null, "demo/app", "2", 1, null));

        Assert.Equal(OperationStates.Succeeded, operation.State);
        Assert.Equal(["image cache " + Pinned, "image web " + Pinned], _engine.Calls.Select(c => string.Join(' ', c.Split(' ')[..3])).ToArray());
        Assert.Equal(["wave 1", "wave 2"], operation.Steps.Where(s => s.Name.StartsWith("wave", StringComparison.Ordinal)).Select(s => s.Name).ToArray());
    }

    [Fact]
    public async Task A_stack_operator_may_move_their_stack_in_waves_but_not_a_repository_that_may_span_stacks()
    {
        await AssertRefusedAsync(_images.WavesAsync(ShopOperator, C1, null, "demo/app", "2", 1, null), ChangeFailure.Forbidden, "");

        var operation = await FinishedAsync(await _images.WavesAsync(ShopOperator, C1, "shop", null, "demo/app:2", 2, null));

        Assert.Equal(OperationStates.Succeeded, operation.State);
        Assert.Equal(["image api " + Pinned, "image web " + Pinned], _engine.Calls.Select(c => string.Join(' ', c.Split(' ')[..3])).ToArray());
    }

    // Distribution

    [Fact]
    public async Task Distribution_pulls_onto_the_nodes_named_by_id_or_hostname_once_each()
    {
        var operation = await FinishedAsync(await _images.DistributeAsync(ClusterOperator, C1, " demo/app:2 ", ["host-n2", "n2", "n1"], null));

        Assert.Equal(OperationStates.Succeeded, operation.State);
        Assert.Equal(["pull demo/app:2 on n1", "pull demo/app:2 on n2"], _engine.Calls.Where(c => c.StartsWith("pull", StringComparison.Ordinal)).Order().ToArray());
        Assert.Equal(["remove job-n1", "remove job-n2"], _engine.Calls.Where(c => c.StartsWith("remove", StringComparison.Ordinal)).Order().ToArray());
        Assert.Equal(["host-n1", "host-n2"], operation.Steps.Select(s => s.Name).Order().ToArray());
    }

    [Fact]
    public async Task Distribution_for_a_service_pulls_onto_the_nodes_its_placement_allows()
    {
        var operation = await FinishedAsync(await _images.DistributeAsync(Admin, C1, "demo/app:2", null, "cache"));

        Assert.Equal(OperationStates.Succeeded, operation.State);
        Assert.Equal(["pull demo/app:2 on n1"], _engine.Calls.Where(c => c.StartsWith("pull", StringComparison.Ordinal)).ToArray());
    }

    [Fact]
    public async Task A_node_that_cannot_pull_fails_its_step_and_the_operation_says_which()
    {
        Put(Manager with { Availability = "drain" });

        var operation = await FinishedAsync(await _images.DistributeAsync(Admin, C1, "demo/app:2", null, null));

        Assert.Equal(OperationStates.Failed, operation.State);
        Assert.Equal("1 of 3 nodes do not have demo/app:2: host-n3: node is drained: the swarm schedules no new task there, so it cannot pull", operation.Error);
        Assert.DoesNotContain("pull demo/app:2 on n3", _engine.Calls);
    }

    [Fact]
    public async Task Distribution_refuses_an_unknown_node() =>
        await AssertRefusedAsync(_images.DistributeAsync(Admin, C1, "demo/app:2", ["n1", "n9"], null), ChangeFailure.Invalid, "Cluster 'c1' has no node 'n9'.");

    [Fact]
    public async Task Distribution_refuses_an_unknown_service() =>
        await AssertRefusedAsync(_images.DistributeAsync(Admin, C1, "demo/app:2", null, "nope"), ChangeFailure.NotFound, "Cluster 'c1' has no service 'nope'.");

    [Fact]
    public async Task Distribution_refuses_a_service_whose_placement_allows_no_node()
    {
        Put(Api with { Details = ServiceDetails.Empty with { Constraints = ValueList<string>.From(["node.labels.zone==asia"]) } });

        await AssertRefusedAsync(_images.DistributeAsync(Admin, C1, "demo/app:2", null, "api"), ChangeFailure.Invalid, "api's placement allows no node.");
    }

    [Fact]
    public async Task Distribution_refuses_a_malformed_image() =>
        await AssertRefusedAsync(_images.DistributeAsync(Admin, C1, "demo app:2", null, null), ChangeFailure.Invalid, "not a valid image reference");

    [Fact]
    public async Task Distribution_on_a_cluster_the_store_does_not_know_is_not_found() =>
        await AssertRefusedAsync(_images.DistributeAsync(Admin, "c9", "demo/app:2", null, null), ChangeFailure.NotFound, "No cluster has the id 'c9'.");

    [Fact]
    public async Task Distribution_needs_the_permission_on_the_whole_cluster()
    {
        await AssertRefusedAsync(_images.DistributeAsync(CallerWith(Role.Viewer, AccessScope.OfCluster(C1)), C1, "demo/app:2", null, null), ChangeFailure.Forbidden, "");
        await AssertRefusedAsync(_images.DistributeAsync(ShopOperator, C1, "demo/app:2", null, "web"), ChangeFailure.Forbidden, "");
    }

    // History

    [Fact]
    public async Task A_service_s_history_holds_its_rollouts_and_rollbacks_newest_first_and_nothing_else()
    {
        var rollout = await FinishedAsync(await _images.RolloutAsync(Admin, C1, "web", "demo/app:2", null));
        await FinishedAsync(await _images.RolloutAsync(Admin, C1, "api", "demo/api:2", null));
        await FinishedAsync(await _images.DistributeAsync(Admin, C1, "demo/app:2", null, "web"));
        Put(Web with { Image = Pinned, Details = ServiceDetails.Empty with { PreviousImage = "demo/app:1" } });
        var rollback = await FinishedAsync(await _images.RollbackAsync(Admin, C1, "web"));

        var history = await _history.ListAsync(C1, "web");

        Assert.Equal([rollback.Id, rollout.Id], history.Select(o => o.Id).ToArray());
        Assert.Equal("demo/app:1", await _history.ImageBeforeLastRolloutAsync(C1, "web"));
    }

    public ValueTask DisposeAsync() => _runner.DisposeAsync();

    private static Labels Zone(string zone) => Labels.From(new Dictionary<string, string> { ["zone"] = zone });

    private static ChangeCaller CallerWith(Role role, AccessScope scope) => new("alice", [new Grant(1, "alice", role, scope)], "10.0.0.9");

    private void Put(params IClusterResource[] resources)
    {
        _state.Apply(C1, resources.Select(ResourceChange.Upsert));
        foreach (var service in resources.OfType<ClusterService>())
        {
            _engine.Know(service);
        }
    }

    private async Task<Operation> FinishedAsync(ChangeResult start)
    {
        Assert.True(start.Started, start.Message);
        await _runner.WhenFinishedAsync(start.OperationId!);
        return (await _operations.FindAsync(start.OperationId!))!;
    }

    /// <summary>The command was refused for <paramref name="failure"/> with <paramref name="message"/>, and nothing reached the swarm or the operation history.</summary>
    private async Task AssertRefusedAsync(Task<ChangeResult> starting, ChangeFailure failure, string message)
    {
        var start = await starting;

        Assert.False(start.Started);
        Assert.Equal(failure, start.Failure);
        Assert.Contains(message, start.Message);
        Assert.Empty(_engine.Calls);
        Assert.Empty(await _operations.ListAsync(new OperationQuery()));
    }
}
