using System.Text.Json.Nodes;
using ControlPlane.Core.DockerApi;
using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using Microsoft.Extensions.Time.Testing;
using static ControlPlane.Core.Tests.State.Resources;

namespace ControlPlane.Core.Tests.DockerApi;

/// <summary>Exec and attach, events and info for stack users: the rules of the Docker API endpoint's sessions, without HTTP.</summary>
public class EngineSessionRulesTests
{
    private const string C = "c1";
    private static readonly DateTimeOffset At = DateTimeOffset.UnixEpoch;

    private static readonly ClusterState State = ClusterState.Empty(Cluster(C)).Apply(new IClusterResource[]
    {
        new ClusterService("svc-shop", "shop_web", "app:1", "replicated", 1, 1, "shop", null, null, Labels.From(new Dictionary<string, string> { [EngineAuthorization.StackLabel] = "shop" }), At, At),
        new ClusterService("svc-billing", "billing_api", "app:1", "replicated", 1, 1, "billing", null, null, Labels.From(new Dictionary<string, string> { [EngineAuthorization.StackLabel] = "billing" }), At, At),
        new ClusterContainer("ctr-shop", "/shop_web.1.x", "app:1", "running", "Up", "n1", "svc-shop", "t1", Labels.From(new Dictionary<string, string>()), At),
        new ClusterContainer("ctr-billing", "/billing_api.1.y", "app:1", "running", "Up", "n1", "svc-billing", "t2", Labels.From(new Dictionary<string, string>()), At),
    }.Select(ResourceChange.Upsert)).State;

    private static readonly IReadOnlyList<Grant> ShopAdmin = [new Grant(1, "alice", Role.Admin, AccessScope.OfStack(C, "shop"))];
    private static readonly IReadOnlyList<Grant> ShopOperator = [new Grant(2, "bob", Role.Operator, AccessScope.OfStack(C, "shop"))];

    [Theory]
    [InlineData("POST", "/v1.41/containers/abc/exec", "/containers/{id}/exec", false)]
    [InlineData("POST", "/v1.41/exec/e1/start", "/exec/{id}/start", true)]
    [InlineData("POST", "/v1.41/containers/abc/attach", "/containers/{id}/attach", true)]
    [InlineData("GET", "/v1.41/exec/e1/json", "/exec/{id}/json", false)]
    [InlineData("POST", "/v1.41/containers/abc/wait", "/containers/{id}/wait", false)]
    public void Exec_and_attach_routes_are_classified_and_the_hijacking_ones_are_marked(string method, string path, string pattern, bool hijacks)
    {
        var call = EngineRoutes.Classify(method, path);
        Assert.True(call.Route.Classified);
        Assert.Equal(pattern, call.Route.Pattern);
        Assert.Equal(hijacks, call.Route.Hijacks);
    }

    [Fact]
    public void An_exec_start_is_authorized_on_the_stack_of_the_container_it_was_created_for_and_an_unknown_exec_is_refused_to_stack_users()
    {
        var execs = new ExecRecords(new FakeTimeProvider(At));
        execs.Add(C, "exec-shop", "ctr-shop");
        execs.Add(C, "exec-billing", "ctr-billing");

        var own = EngineAuthorization.Decide(EngineRoutes.Classify("POST", "/v1.41/exec/exec-shop/start"), C, State, ShopAdmin, null, execs);
        Assert.Null(own.Refusal);
        Assert.Equal(AccessTarget.InCluster(C, "shop"), own.Intent.Target);
        Assert.Equal(Permissions.Services.Exec, own.Intent.Permission);
        Assert.True(AccessPolicy.IsAllowed(ShopAdmin, own.Intent.Permission, own.Intent.Target));

        var other = EngineAuthorization.Decide(EngineRoutes.Classify("POST", "/v1.41/exec/exec-billing/start"), C, State, ShopAdmin, null, execs);
        Assert.Equal(AccessTarget.InCluster(C, "billing"), other.Intent.Target);
        Assert.False(AccessPolicy.IsAllowed(ShopAdmin, other.Intent.Permission, other.Intent.Target));

        var unknown = EngineAuthorization.Decide(EngineRoutes.Classify("POST", "/v1.41/exec/made-elsewhere/start"), C, State, ShopAdmin, null, execs);
        Assert.Contains("was not created through ControlPlane", unknown.Refusal);
        var clusterAdmin = EngineAuthorization.Decide(EngineRoutes.Classify("POST", "/v1.41/exec/made-elsewhere/start"), C, State,
            [new Grant(3, "root", Role.Admin, AccessScope.OfCluster(C))], null, execs);
        Assert.Null(clusterAdmin.Refusal);
    }

    [Fact]
    public void An_operator_may_not_exec_and_a_privileged_exec_needs_the_unrestricted_permission()
    {
        var create = EngineRoutes.Classify("POST", "/v1.41/containers/ctr-shop/exec");
        var verdict = EngineAuthorization.Decide(create, C, State, ShopOperator, new JsonObject { ["Cmd"] = new JsonArray("sh") });
        Assert.False(AccessPolicy.IsAllowed(ShopOperator, verdict.Intent.Permission, verdict.Intent.Target));

        var privileged = EngineAuthorization.Decide(create, C, State, ShopAdmin, new JsonObject { ["Privileged"] = true });
        var need = Assert.Single(privileged.Intent.AlsoNeeds);
        Assert.Equal(Permissions.Services.Unrestricted, need.Permission);
        Assert.False(AccessPolicy.IsAllowed(ShopAdmin, need.Permission, need.Target));
        Assert.False(privileged.Intent.Exclusive);
    }

    [Fact]
    public void A_stack_user_sees_the_events_of_their_stack_only()
    {
        var visibility = ClusterVisibility.For(ShopOperator, C);
        JsonObject Event(string type, string id, string? stack = null) => new()
        {
            ["Type"] = type,
            ["Actor"] = new JsonObject { ["ID"] = id, ["Attributes"] = stack is null ? new JsonObject() : new JsonObject { [EngineAuthorization.StackLabel] = stack } },
        };
        Assert.True(EngineAuthorization.VisibleEvent(Event("service", "svc-shop"), State, visibility));
        Assert.False(EngineAuthorization.VisibleEvent(Event("service", "svc-billing"), State, visibility));
        Assert.True(EngineAuthorization.VisibleEvent(Event("container", "ctr-shop"), State, visibility));
        // Not in the picture (yet, or any more): the stack label the event carries decides.
        Assert.True(EngineAuthorization.VisibleEvent(Event("container", "new", "shop"), State, visibility));
        Assert.False(EngineAuthorization.VisibleEvent(Event("container", "new", "billing"), State, visibility));
        Assert.False(EngineAuthorization.VisibleEvent(Event("node", "n1"), State, visibility));
        Assert.False(EngineAuthorization.VisibleEvent(Event("daemon", "d"), State, visibility));
    }

    [Fact]
    public void Docker_info_for_stack_users_keeps_what_the_cli_needs_and_drops_the_engine_s_details()
    {
        var info = new JsonObject
        {
            ["ServerVersion"] = "20.10.24",
            ["OSType"] = "linux",
            ["KernelVersion"] = "6.1",
            ["Plugins"] = new JsonObject { ["Volume"] = new JsonArray("local") },
            ["Swarm"] = new JsonObject
            {
                ["NodeID"] = "n1", ["LocalNodeState"] = "active", ["ControlAvailable"] = true,
                ["RemoteManagers"] = new JsonArray(new JsonObject { ["Addr"] = "10.0.0.1:2377" }), ["NodeAddr"] = "10.0.0.1",
            },
        };
        var shown = EngineAuthorization.ForStackUsers(info);
        Assert.Equal("20.10.24", (string?)shown["ServerVersion"]);
        Assert.Equal("active", (string?)shown["Swarm"]!["LocalNodeState"]);
        Assert.True((bool)shown["Swarm"]!["ControlAvailable"]!);
        Assert.Null(shown["KernelVersion"]);
        Assert.Null(shown["Plugins"]);
        Assert.Null(shown["Swarm"]!["RemoteManagers"]);
        Assert.Null(shown["Swarm"]!["NodeAddr"]);
    }
}
