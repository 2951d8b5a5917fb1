using ControlPlane.Core.Audit;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using static ControlPlane.Core.Tests.Changes.CommandFixture;

namespace ControlPlane.Core.Tests.Changes;

/// <summary>Scaling services and draining nodes: the target found in the store, its scope checked, refusals changing nothing.</summary>
public sealed class ServiceAndNodeCommandsTests : IAsyncLifetime
{
    private readonly CommandFixture _f = new();
    private readonly ServiceCommands _services;
    private readonly NodeCommands _nodes;

    public ServiceAndNodeCommandsTests()
    {
        var workloads = new Workloads.FakeWorkloadChanges();
        var images = new Images.FakeImageEngine();
        _services = new ServiceCommands(_f.Store, _f.Gate, _f.Swarm, new ChangeLimits { MaxReplicas = 500 }, workloads, _f.Runner,
            new Core.Workloads.RestartPlans(workloads, images, TimeProvider.System), images);
        _nodes = new NodeCommands(_f.Store, _f.Gate, _f.Swarm, workloads);
        _f.Add(Service("web", "shop"), new ClusterNode("n1", "host-1", "worker", "active", "ready", null, false, "20.10.24", "10.0.0.1", 1, 1, Labels.Empty, Created, Created));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _f.DisposeAsync();

    [Fact]
    public async Task An_Operator_of_the_stack_scales_its_service_by_name()
    {
        var result = await _services.ScaleAsync(Caller(Role.Operator, "shop"), Cluster, "web", 3);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(["scale id-web 3"], _f.Swarm.Calls);
    }

    [Fact]
    public async Task Scaling_needs_replicas_and_a_known_service()
    {
        var missing = await _services.ScaleAsync(Caller(Role.Operator), Cluster, "web", null);
        var unknown = await _services.ScaleAsync(Caller(Role.Operator), Cluster, "ghost", 1);

        Assert.Equal((ChangeFailure.Invalid, ChangeFailure.NotFound), (missing.Failure, unknown.Failure));
        Assert.Equal("Cluster 'c1' has no service 'ghost'.", unknown.Message);
        Assert.Empty(_f.Swarm.Calls);
    }

    [Fact]
    public async Task Replicas_are_bounded_below_by_zero_and_above_by_the_configured_maximum()
    {
        var huge = await _services.ScaleAsync(Caller(Role.Operator, "shop"), Cluster, "web", 10_000_000);
        var negative = await _services.ScaleAsync(Caller(Role.Operator, "shop"), Cluster, "web", -1);
        var most = await _services.ScaleAsync(Caller(Role.Operator, "shop"), Cluster, "web", 500);

        Assert.Equal((ChangeFailure.Invalid, "replicas may be at most 500 (ControlPlane:Limits:MaxReplicas); 10000000 was asked for."), (huge.Failure, huge.Message));
        Assert.Equal(ChangeFailure.Invalid, negative.Failure);
        Assert.True(most.Succeeded, most.Message);
        Assert.Single(_f.Swarm.Calls);
    }

    [Theory]
    [InlineData(Role.Viewer, null)]
    [InlineData(Role.SecretsAdmin, null)]
    [InlineData(Role.Operator, "bill")]
    public async Task Scaling_without_the_permission_on_the_services_stack_is_refused_and_audited(Role role, string? stack)
    {
        var result = await _services.ScaleAsync(Caller(role, stack), Cluster, "web", 3);

        Assert.Equal(ChangeFailure.Forbidden, result.Failure);
        Assert.Empty(_f.Swarm.Calls);
        Assert.Equal(AuditResult.Denied, Assert.Single(_f.Audit.Entries).Result);
    }

    [Fact]
    public async Task An_Admin_drains_a_node_by_hostname_and_an_unknown_node_is_not_found()
    {
        var drained = await _nodes.SetAvailabilityAsync(Caller(Role.Admin), Cluster, "host-1", " Drain ");
        var unknown = await _nodes.SetAvailabilityAsync(Caller(Role.Admin), Cluster, "host-9", "drain");

        Assert.True(drained.Succeeded, drained.Message);
        Assert.Equal(ChangeFailure.NotFound, unknown.Failure);
        Assert.Equal(["availability n1 drain"], _f.Swarm.Calls);
    }

    [Theory]
    [InlineData(Role.Operator, null)]
    [InlineData(Role.Admin, "shop")]
    public async Task Node_changes_need_Admin_on_the_cluster(Role role, string? stack)
    {
        var result = await _nodes.SetAvailabilityAsync(Caller(role, stack), Cluster, "n1", "drain");

        Assert.Equal(ChangeFailure.Forbidden, result.Failure);
        Assert.Empty(_f.Swarm.Calls);
    }
}
