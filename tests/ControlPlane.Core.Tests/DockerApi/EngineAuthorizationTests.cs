using System.Text.Json.Nodes;
using ControlPlane.Core.Changes;
using ControlPlane.Core.DockerApi;
using ControlPlane.Core.Model;
using ControlPlane.Core.Secrets;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using static ControlPlane.Core.Tests.State.Resources;

namespace ControlPlane.Core.Tests.DockerApi;

/// <summary>The Engine API route table and the rules on it, without HTTP: what the docker CLI sends, written out.</summary>
public class EngineAuthorizationTests
{
    private const string C = "c1";
    private static readonly DateTimeOffset At = DateTimeOffset.UnixEpoch;

    private static readonly ClusterState State = ClusterState.Empty(Cluster(C)).Apply(new IClusterResource[]
    {
        new ClusterService("svc-shop", "shop_web", "app:1", "replicated", 1, 1, "shop", null, null, Labels.From(new Dictionary<string, string> { [EngineAuthorization.StackLabel] = "shop" }), At, At),
        new ClusterService("svc-billing", "billing_api", "app:1", "replicated", 1, 1, "billing", null, null, Labels.From(new Dictionary<string, string> { [EngineAuthorization.StackLabel] = "billing" }), At, At),
        new ClusterFileObject(FileObjectKind.Secret, "sec-billing", "billing_db", Labels.From(new Dictionary<string, string> { [EngineAuthorization.StackLabel] = "billing" }), At, At),
    }.Select(ResourceChange.Upsert)).State;

    private static readonly IReadOnlyList<Grant> ShopOperator = [new Grant(1, "alice", Role.Operator, AccessScope.OfStack(C, "shop"))];

    public static TheoryData<string, string, string, EngineAccess, string?> Routes() => new()
    {
        // method, path as the CLI sends it, the route matched, its access, the object id it names
        { "GET", "/_ping", "/_ping", EngineAccess.Open, null },
        { "HEAD", "/_ping", "/_ping", EngineAccess.Open, null },
        { "GET", "/v1.41/version", "/version", EngineAccess.Open, null },
        { "GET", "/v1.41/services", "/services", EngineAccess.List, null },
        { "GET", "/v1.41/services/web", "/services/{id}", EngineAccess.Read, "web" },
        { "POST", "/v1.41/services/abc/update", "/services/{id}/update", EngineAccess.Change, "abc" },
        { "DELETE", "/v1.41/services/abc", "/services/{id}", EngineAccess.Change, "abc" },
        { "POST", "/v1.41/services/create", "/services/create", EngineAccess.Change, null },
        { "GET", "/v1.41/distribution/10.99.0.1:5000/demo/app:1/json", "/distribution/{name*}/json", EngineAccess.Open, "10.99.0.1:5000/demo/app:1" },
        { "POST", "/v1.41/swarm/leave", "/swarm/{op*}", EngineAccess.Change, "leave" },
        { "POST", "/v1.41/nodes/n1/update", "/nodes/{id}/update", EngineAccess.Change, "n1" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public void The_cli_s_requests_match_their_routes(string method, string path, string pattern, EngineAccess access, string? id)
    {
        var call = EngineRoutes.Classify(method, path);

        Assert.True(call.Route.Classified);
        Assert.Equal(pattern, call.Route.Pattern);
        Assert.Equal(access, call.Route.Access);
        Assert.Equal(id, call.ObjectId);
    }

    [Theory]
    [InlineData("POST", "/v1.41/containers/create")]
    [InlineData("POST", "/v1.41/plugins/pull")]
    [InlineData("GET", "/v1.41/system/df")]
    [InlineData("POST", "/v1.41/build")]
    public void Routes_not_in_the_table_are_for_the_cluster_s_admin_alone(string method, string path)
    {
        var call = EngineRoutes.Classify(method, path);

        Assert.False(call.Route.Classified);
        Assert.Equal(Permissions.Swarm.Engine, call.Route.Permission);
        Assert.False(AccessPolicy.IsAllowed([new Grant(1, "o", Role.Operator, AccessScope.OfCluster(C))], call.Route.Permission, AccessTarget.InCluster(C)));
        Assert.True(AccessPolicy.IsAllowed([new Grant(1, "a", Role.Admin, AccessScope.OfCluster(C))], call.Route.Permission, AccessTarget.InCluster(C)));
    }

    [Fact]
    public void An_inspect_is_asked_on_the_stack_of_the_object_in_the_picture_not_on_the_name_typed()
    {
        var verdict = EngineAuthorization.Decide(EngineRoutes.Classify("GET", "/v1.41/services/svc-bil"), C, State, ShopOperator, null);

        Assert.Equal(AccessTarget.InCluster(C, "billing"), verdict.Intent.Target);
        Assert.Equal("service billing_api", verdict.Intent.Subject);
    }

    [Fact]
    public void A_stack_user_s_create_without_the_stack_label_is_refused_naming_the_label()
    {
        var spec = JsonNode.Parse("""{"Name":"loose","TaskTemplate":{"ContainerSpec":{"Image":"app:1"}}}""")!.AsObject();

        var verdict = EngineAuthorization.Decide(EngineRoutes.Classify("POST", "/v1.41/services/create"), C, State, ShopOperator, spec);

        Assert.Contains(EngineAuthorization.StackLabel, verdict.Refusal);
    }

    [Fact]
    public void A_create_in_the_caller_s_stack_needs_unrestricted_for_a_bind_mount_and_the_scope_of_a_secret_it_uses()
    {
        var spec = JsonNode.Parse("""
            {"Name":"shop_api","Labels":{"com.docker.stack.namespace":"shop"},
             "TaskTemplate":{"ContainerSpec":{"Image":"app:1","Mounts":[{"Type":"bind","Source":"/etc","Target":"/x"}],
               "Secrets":[{"SecretID":"sec-billing","SecretName":"billing_db"}]}}}
            """)!.AsObject();

        var verdict = EngineAuthorization.Decide(EngineRoutes.Classify("POST", "/v1.41/services/create"), C, State, ShopOperator, spec);

        Assert.Null(verdict.Refusal);
        Assert.Equal(AccessTarget.InCluster(C, "shop"), verdict.Intent.Target);
        Assert.Equal([AccessTarget.InCluster(C, "billing")], verdict.Intent.AlsoOn);
        var need = Assert.Single(verdict.Intent.AlsoNeeds);
        Assert.Equal(Permissions.Services.Unrestricted, need.Permission);
        Assert.Contains("bind mount of the host path /etc", need.Reason);
    }

    [Fact]
    public void A_create_takes_no_lock_and_an_update_or_remove_takes_the_service_s_own()
    {
        var spec = JsonNode.Parse("""{"Name":"shop_web","Labels":{"com.docker.stack.namespace":"shop"},"TaskTemplate":{"ContainerSpec":{"Image":"app:2"}}}""")!.AsObject();

        var create = EngineAuthorization.Decide(EngineRoutes.Classify("POST", "/v1.41/services/create"), C, State, ShopOperator, spec);
        var update = EngineAuthorization.Decide(EngineRoutes.Classify("POST", "/v1.41/services/svc-shop/update"), C, State, ShopOperator, spec);
        var remove = EngineAuthorization.Decide(EngineRoutes.Classify("DELETE", "/v1.41/services/svc-shop"), C, State, ShopOperator, null);

        Assert.Null(create.Refusal);
        Assert.False(create.Intent.Exclusive);
        Assert.True(update.Intent.Exclusive);
        Assert.Equal(ChangeLocks.ServiceKey(C, "shop", "shop_web"), update.Intent.Lock);
        Assert.True(remove.Intent.Exclusive);
        Assert.Equal(ChangeLocks.ServiceKey(C, "shop", "shop_web"), remove.Intent.Lock);
    }

    [Fact]
    public void An_update_that_moves_a_service_to_another_stack_is_asked_on_that_stack_too()
    {
        var spec = JsonNode.Parse("""{"Name":"shop_web","Labels":{"com.docker.stack.namespace":"billing"},"TaskTemplate":{"ContainerSpec":{"Image":"app:2"}}}""")!.AsObject();

        var verdict = EngineAuthorization.Decide(EngineRoutes.Classify("POST", "/v1.41/services/svc-shop/update"), C, State, ShopOperator, spec);

        Assert.Equal(AccessTarget.InCluster(C, "shop"), verdict.Intent.Target);
        Assert.Equal([AccessTarget.InCluster(C, "billing")], verdict.Intent.AlsoOn);
    }

    [Fact]
    public void A_list_keeps_what_the_caller_may_see_by_the_picture_or_by_a_new_object_s_label()
    {
        var visibility = ClusterVisibility.For(ShopOperator, C);
        var known = JsonNode.Parse("""{"ID":"svc-billing","Spec":{"Name":"billing_api"}}""")!.AsObject();
        var mine = JsonNode.Parse("""{"ID":"svc-shop","Spec":{"Name":"shop_web"}}""")!.AsObject();
        var fresh = JsonNode.Parse("""{"ID":"new","Spec":{"Name":"shop_new","Labels":{"com.docker.stack.namespace":"shop"}}}""")!.AsObject();

        Assert.False(EngineAuthorization.Visible(known, ResourceKind.Service, State, visibility));
        Assert.True(EngineAuthorization.Visible(mine, ResourceKind.Service, State, visibility));
        Assert.True(EngineAuthorization.Visible(fresh, ResourceKind.Service, State, visibility));
    }

    [Fact]
    public void A_secret_s_data_never_reaches_the_audited_body()
    {
        var body = JsonNode.Parse("""{"Name":"db","Data":"c2VjcmV0","Labels":{}}""")!.AsObject();

        var audited = EngineAuthorization.ForAudit(EngineRoutes.Classify("POST", "/v1.41/secrets/create"), body);

        Assert.DoesNotContain("c2VjcmV0", audited);
        Assert.Contains("\"Name\":\"db\"", audited);
    }
}
