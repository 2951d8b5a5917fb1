using ControlPlane.Core.Stacks;
using static ControlPlane.Core.Tests.Stacks.ComposeTestFiles;

namespace ControlPlane.Core.Tests.Stacks;

/// <summary>The stack's networks, references, warnings and restricted uses.</summary>
public sealed class ComposePlanTests
{
    [Fact]
    public void The_default_network_is_made_only_when_a_service_names_no_network_and_unused_networks_are_not()
    {
        var file = """
            version: "3.9"
            services:
              web:
                image: a
                networks: [front]
              {0}
            networks:
              front:
                attachable: true
                internal: true
                driver_opts: {encrypted: ""}
                labels: {tier: front}
                ipam:
                  driver: default
                  config: [{subnet: 10.20.0.0/24}]
              unused: {}
              outside:
                external: true
            """;
        var without = Plan(file.Replace("{0}", "", StringComparison.Ordinal));
        var with = Plan(file.Replace("{0}", "worker:\n    image: b", StringComparison.Ordinal));

        AssertJson("""
            {"Name": "shop_front", "Driver": "overlay", "Internal": true, "Attachable": true, "Options": {"encrypted": ""},
             "Labels": {"com.docker.stack.namespace": "shop", "tier": "front"},
             "IPAM": {"Driver": "default", "Config": [{"Subnet": "10.20.0.0/24"}]}}
            """, Assert.Single(without.Networks).Create);
        Assert.Equal(["shop_default", "shop_front"], with.Networks.Select(n => n.Name));
        AssertJson("""{"Name": "shop_default", "Driver": "overlay", "Internal": false, "Attachable": false, "Labels": {"com.docker.stack.namespace": "shop"}}""", with.Networks[0].Create);
        Assert.Empty(without.References);
    }

    [Fact]
    public void An_external_network_is_a_reference_by_name_and_the_target_of_the_attachment()
    {
        var plan = Plan(Web("    networks: [out]", """
            networks:
              out:
                external: true
                name: shared-net
            """));

        var reference = Assert.Single(plan.References);
        Assert.Equal((ReferenceKind.Network, "shared-net", 7, 3, "networks.out"), (reference.Kind, reference.Name, reference.Line, reference.Column, reference.Key));
        Assert.Empty(plan.Networks);
        Assert.Equal("shared-net", (string?)plan.Services[0].Spec["TaskTemplate"]!["Networks"]![0]!["Target"]);
    }

    [Fact]
    public void Ignored_keys_give_the_clis_warnings_word_for_word()
    {
        var plan = Plan(Web("""
                build: .
                restart: always
                privileged: true
                container_name: x
                expose: [80]
                depends_on: [db]
                tmpfs: /run
            """));

        Assert.Equal(
            [
                "Ignoring unsupported options: build, privileged, restart",
                "Ignoring deprecated options:\n\ncontainer_name: Setting the container name is not supported.\n\nexpose: Exposing ports is unnecessary - services on the same network can access each other's containers on any port.",
                "services.web.tmpfs is ignored by docker stack deploy, and so here; mount a volume of type tmpfs instead",
            ],
            plan.Warnings);
    }

    [Fact]
    public void Restricted_uses_name_the_key_and_line_of_each_host_use()
    {
        var plan = Plan(Web("""
                volumes:
                  - data:/data
                  - /var/run/docker.sock:/var/run/docker.sock
                cap_add: [SYS_ADMIN]
                sysctls: {net.core.somaxconn: 1024}
                devices: ["/dev/fuse:/dev/fuse"]
                networks: [hostnet]
            """, """
            volumes:
              data:
            networks:
              hostnet:
                external: true
                name: host
            """));

        Assert.Equal(
            [
                (7, 9, "services.web.volumes.1", "a bind mount of the host path /var/run/docker.sock"),
                (9, 5, "services.web.sysctls", "sysctls (net.core.somaxconn)"),
                (8, 5, "services.web.cap_add", "the capability CAP_SYS_ADMIN"),
                (10, 5, "services.web.devices", "devices (/dev/fuse:/dev/fuse), which docker stack deploy ignores"),
                (11, 16, "services.web.networks", "the host network"),
            ],
            plan.Services[0].Restricted.Select(r => (r.Line, r.Column, r.Key, r.Message)));
        Assert.Contains("Ignoring unsupported options: devices", plan.Warnings);
    }

    [Fact]
    public void A_service_with_no_host_use_has_no_restricted_uses()
    {
        Assert.Empty(Plan(Web("    volumes: [\"/data\"]")).Services[0].Restricted);
    }

    [Fact]
    public void The_service_line_is_where_it_is_defined()
    {
        var plan = Plan("version: \"3.9\"\nservices:\n  web:\n    image: a\n  api:\n    image: b\n");

        Assert.Equal([("shop_web", 3), ("shop_api", 5)], plan.Services.Select(s => (s.Name, s.Line)));
    }
}
