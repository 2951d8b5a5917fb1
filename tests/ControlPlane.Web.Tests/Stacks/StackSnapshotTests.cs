using System.Text.Json.Nodes;

// Not ControlPlane.Web.Tests.Stacks: that namespace would hide the Stacks page type from the component tests.
namespace ControlPlane.Web.Tests.StackConformance;

/// <summary>The normaliser that compares two deployments of one Compose file, on the engine's own JSON shapes.</summary>
public sealed class StackSnapshotTests
{
    private static JsonArray Services(string stack, string networkId, string secretId, string version) => JsonNode.Parse("""
        [{
          "ID": "id-@stack@", "Version": {"Index": @version@}, "CreatedAt": "2026-01-01T00:00:00Z", "UpdatedAt": "2026-01-01T00:00:0@version@Z",
          "Spec": {
            "Name": "@stack@_web",
            "Labels": {"com.docker.stack.namespace": "@stack@", "com.docker.stack.image": "app:1"},
            "TaskTemplate": {
              "ContainerSpec": {
                "Image": "app:1@sha256:abc",
                "Secrets": [{"File": {"Name": "token", "UID": "0", "GID": "0", "Mode": 292}, "SecretID": "@secretId@", "SecretName": "token"}]
              },
              "Networks": [{"Target": "@networkId@", "Aliases": ["web"]}]
            },
            "Mode": {"Replicated": {"Replicas": 2}}
          },
          "Endpoint": {"Spec": {}, "VirtualIPs": [{"NetworkID": "@networkId@", "Addr": "10.0.@version@.2/24"}]}
        },
        {"ID": "other", "Spec": {"Name": "elsewhere_web", "Labels": {"com.docker.stack.namespace": "elsewhere"}}}]
        """.Replace("@stack@", stack, StringComparison.Ordinal).Replace("@networkId@", networkId, StringComparison.Ordinal)
            .Replace("@secretId@", secretId, StringComparison.Ordinal).Replace("@version@", version, StringComparison.Ordinal))!.AsArray();

    private static JsonArray Networks(string stack, string networkId, string subnet) => JsonNode.Parse("""
        [{"Name": "@stack@_default", "Id": "@networkId@", "Created": "now", "Scope": "swarm", "Driver": "overlay",
          "IPAM": {"Driver": "default", "Options": null, "Config": [{"Subnet": "@subnet@", "Gateway": "10.0.0.1"}]},
          "Options": {"com.docker.network.driver.overlay.vxlanid_list": "4097"}, "Labels": {"com.docker.stack.namespace": "@stack@"}},
         {"Name": "ingress", "Id": "ingress-id", "Labels": {}}]
        """.Replace("@stack@", stack, StringComparison.Ordinal).Replace("@networkId@", networkId, StringComparison.Ordinal)
            .Replace("@subnet@", subnet, StringComparison.Ordinal))!.AsArray();

    [Fact]
    public void Two_deployments_of_one_file_under_different_names_and_ids_compare_equal()
    {
        var cli = StackSnapshot.Normalise("cli1", Services("cli1", "n1", "s1", "1"), Networks("cli1", "n1", "10.0.1.0/24"), [], []);
        var controlPlane = StackSnapshot.Normalise("cp1", Services("cp1", "n2", "s2", "2"), Networks("cp1", "n2", "10.0.2.0/24"), [], []);

        Assert.Equal(StackSnapshot.Text(cli), StackSnapshot.Text(controlPlane));
        Assert.Equal("<stack>_default", (string?)cli["services"]!["<stack>_web"]!["TaskTemplate"]!["Networks"]![0]!["Target"]);
        Assert.Equal("<stack>", (string?)cli["services"]!["<stack>_web"]!["Labels"]!["com.docker.stack.namespace"]);
        Assert.Null(cli["services"]!["elsewhere_web"]);
        Assert.Null(cli["networks"]!["ingress"]);
    }

    [Fact]
    public void A_difference_in_what_was_decided_shows()
    {
        var services = Services("cp1", "n2", "s2", "2");
        services[0]!["Spec"]!["Mode"]!["Replicated"]!["Replicas"] = 3;

        var cli = StackSnapshot.Normalise("cli1", Services("cli1", "n1", "s1", "1"), Networks("cli1", "n1", "10.0.1.0/24"), [], []);
        var controlPlane = StackSnapshot.Normalise("cp1", services, Networks("cp1", "n2", "10.0.2.0/24"), [], []);

        Assert.NotEqual(StackSnapshot.Text(cli), StackSnapshot.Text(controlPlane));
    }
}
