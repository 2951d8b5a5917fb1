using System.Text.Json.Nodes;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Security;

namespace ControlPlane.Core.Tests.Changes;

public sealed class RestrictedRuleTests
{
    private static JsonObject Spec(string taskTemplate) => new() { ["Name"] = "web", ["TaskTemplate"] = JsonNode.Parse(taskTemplate) };

    [Fact]
    public void A_plain_service_uses_nothing_of_the_host()
    {
        var spec = Spec("""{"ContainerSpec":{"Image":"a","Mounts":[{"Type":"volume","Source":"data","Target":"/d"},{"Type":"tmpfs","Target":"/t"}]},"Networks":[{"Target":"front"}]}""");

        Assert.Empty(RestrictedRule.Find(spec));
    }

    [Fact]
    public void Each_host_use_is_found_with_its_compose_key()
    {
        var spec = Spec("""
            {"ContainerSpec":{"Image":"a","Mounts":[{"Type":"bind","Source":"/var/run/docker.sock","Target":"/s"}],
             "CapabilityAdd":["NET_ADMIN"],"Sysctls":{"net.core.somaxconn":"1024"}},
             "Networks":[{"Target":"host"}]}
            """);

        var uses = RestrictedRule.Find(spec);

        Assert.Equal(["volumes", "networks", "cap_add", "sysctls"], uses.Select(u => u.Key));
        Assert.Contains("/var/run/docker.sock", uses[0].What);
    }

    [Fact]
    public void The_host_network_is_found_by_its_id_in_a_spec_the_engine_returned()
    {
        var spec = Spec("""{"ContainerSpec":{"Image":"a"},"Networks":[{"Target":"k3vq0hostnetid"}]}""");

        Assert.Empty(RestrictedRule.Find(spec));
        Assert.Equal("networks", Assert.Single(RestrictedRule.Find(spec, new HashSet<string> { "k3vq0hostnetid" })).Key);
    }

    [Fact]
    public void A_host_use_needs_the_unrestricted_permission_on_the_cluster_itself()
    {
        var need = Assert.Single(RestrictedRule.Needs("c1", "shop_web", [new RestrictedUse("cap_add", "the capability NET_ADMIN")]));

        Assert.Equal(Permissions.Services.Unrestricted, need.Permission);
        Assert.Equal(AccessTarget.InCluster("c1"), need.Target);
        Assert.Contains("cap_add", need.Reason);
        Assert.False(AccessPolicy.IsAllowed([new Grant(1, "ann", Role.Admin, AccessScope.OfStack("c1", "shop"))], need.Permission, need.Target));
        Assert.True(AccessPolicy.IsAllowed([new Grant(1, "ann", Role.Admin, AccessScope.OfCluster("c1"))], need.Permission, need.Target));
    }
}
