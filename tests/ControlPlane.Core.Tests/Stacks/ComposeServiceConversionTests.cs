using ControlPlane.Core.Stacks;
using static ControlPlane.Core.Tests.Stacks.ComposeTestFiles;

namespace ControlPlane.Core.Tests.Stacks;

/// <summary>
/// Each Compose key's conversion to the Engine API service spec. The expected JSON is what the docker CLI 20.10's
/// convert package sends for the same file (checked against `docker stack deploy` on the local swarm).
/// </summary>
public sealed class ComposeServiceConversionTests
{
    [Fact]
    public void A_minimal_service_is_named_in_the_stack_labelled_and_attached_to_the_default_network_with_its_alias()
    {
        var spec = Spec(Web(""));

        AssertJson("""
            {
              "Name": "shop_web",
              "Labels": { "com.docker.stack.image": "10.99.0.1:5000/demo/app:1", "com.docker.stack.namespace": "shop" },
              "TaskTemplate": {
                "ContainerSpec": {
                  "Image": "10.99.0.1:5000/demo/app:1",
                  "Labels": { "com.docker.stack.namespace": "shop" },
                  "Privileges": { "CredentialSpec": null, "SELinuxContext": null }
                },
                "Resources": {},
                "Placement": {},
                "Networks": [ { "Target": "shop_default", "Aliases": [ "web" ] } ],
                "ForceUpdate": 0
              },
              "Mode": { "Replicated": {} },
              "EndpointSpec": {}
            }
            """, spec);
    }

    [Fact]
    public void Entrypoint_and_command_are_split_as_a_shell_would_and_become_Command_and_Args()
    {
        var container = Container(Web("""
                entrypoint: /bin/sh -c
                command: echo "two words" 'single quoted' back\ slash
            """));

        AssertJson("""["/bin/sh", "-c"]""", container["Command"]);
        AssertJson("""["echo", "two words", "single quoted", "back slash"]""", container["Args"]);
    }

    [Fact]
    public void Environment_in_list_or_map_form_is_sorted_and_a_key_without_value_takes_the_variable_or_stays_bare()
    {
        var list = Container(Web("""
                environment:
                  - ZED=last
                  - ALPHA=a=b
                  - FROM_VARS
                  - BARE
            """));
        var map = Spec(Web("""
                environment:
                  NUMBER: 1.5
                  FLAG: "yes"
                  EMPTY: ""
                  FROM_VARS:
            """), variables: new Dictionary<string, string> { ["FROM_VARS"] = "given", ["EMPTY"] = "filled" })["TaskTemplate"]!["ContainerSpec"]!;

        AssertJson("""["ALPHA=a=b", "BARE", "FROM_VARS", "ZED=last"]""", list["Env"]);
        // A number is printed as Go's fmt.Sprint prints it; an empty value takes the variable too.
        AssertJson("""["EMPTY=filled", "FLAG=yes", "FROM_VARS=given", "NUMBER=1.5"]""", map["Env"]);
    }

    [Fact]
    public void Labels_of_the_service_and_of_the_container_come_from_deploy_labels_and_labels_with_the_stack_label()
    {
        var spec = Spec(Web("""
                labels: [com.example.a=1, com.example.flag]
                deploy:
                  labels:
                    com.example.b: 2
            """));

        AssertJson("""{"com.example.b": "2", "com.docker.stack.namespace": "shop", "com.docker.stack.image": "10.99.0.1:5000/demo/app:1"}""", spec["Labels"]);
        AssertJson("""{"com.example.a": "1", "com.example.flag": "", "com.docker.stack.namespace": "shop"}""", spec["TaskTemplate"]!["ContainerSpec"]!["Labels"]);
    }

    [Fact]
    public void Short_ports_expand_ranges_and_protocols_long_ports_keep_their_mode_and_all_are_sorted_by_published_port()
    {
        var endpoint = Spec(Web("""
                ports:
                  - "8080:80"
                  - "9000-9001:90-91/udp"
                  - 443
                  - "7000-7001:70"
                  - target: 22
                    published: 2222
                    mode: host
                  - target: 23
            """))["EndpointSpec"];

        AssertJson("""
            {"Ports": [
              {"Protocol": "tcp", "TargetPort": 443, "PublishMode": "ingress"},
              {"TargetPort": 23},
              {"TargetPort": 22, "PublishedPort": 2222, "PublishMode": "host"},
              {"Protocol": "tcp", "TargetPort": 70, "PublishedPort": 7000, "PublishMode": "ingress"},
              {"Protocol": "tcp", "TargetPort": 70, "PublishedPort": 7001, "PublishMode": "ingress"},
              {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "ingress"},
              {"Protocol": "udp", "TargetPort": 90, "PublishedPort": 9000, "PublishMode": "ingress"},
              {"Protocol": "udp", "TargetPort": 91, "PublishedPort": 9001, "PublishMode": "ingress"}
            ]}
            """, endpoint);
    }

    [Fact]
    public void Endpoint_mode_is_lowercased()
    {
        AssertJson("""{"Mode": "dnsrr"}""", Spec(Web("""
                deploy: {endpoint_mode: DNSRR}
            """))["EndpointSpec"]);
    }

    [Theory]
    [InlineData("deploy: {replicas: 3}", """{"Replicated": {"Replicas": 3}}""")]
    [InlineData("deploy: {mode: replicated}", """{"Replicated": {}}""")]
    [InlineData("deploy: {mode: global}", """{"Global": {}}""")]
    [InlineData("deploy: {mode: replicated-job, replicas: 4}", """{"ReplicatedJob": {"MaxConcurrent": 4, "TotalCompletions": 4}}""")]
    [InlineData("deploy: {mode: global-job}", """{"GlobalJob": {}}""")]
    public void Deploy_modes(string deploy, string expected)
    {
        AssertJson(expected, Spec(Web($"    {deploy}"))["Mode"]);
    }

    [Fact]
    public void Resources_convert_cpus_to_nano_cpus_and_memory_units_to_bytes()
    {
        var resources = Spec(Web("""
                deploy:
                  resources:
                    limits: {cpus: "1.5", memory: 512M, pids: 100}
                    reservations:
                      cpus: "0.25"
                      memory: 1.5g
                      generic_resources:
                        - discrete_resource_spec: {kind: gpu, value: 2}
            """))["TaskTemplate"]!["Resources"];

        AssertJson("""
            {"Limits": {"NanoCPUs": 1500000000, "MemoryBytes": 536870912, "Pids": 100},
             "Reservations": {"NanoCPUs": 250000000, "MemoryBytes": 1610612736,
                              "GenericResources": [{"DiscreteResourceSpec": {"Kind": "gpu", "Value": 2}}]}}
            """, resources);
    }

    [Fact]
    public void Restart_update_and_rollback_policies_take_go_durations_in_nanoseconds()
    {
        var spec = Spec(Web("""
                deploy:
                  restart_policy: {condition: on-failure, delay: 1m30s, max_attempts: 3, window: 0s}
                  update_config: {parallelism: 2, delay: 10s, failure_action: rollback, monitor: 500ms, max_failure_ratio: 0.25, order: start-first}
                  rollback_config: {}
            """));

        AssertJson("""{"Condition": "on-failure", "Delay": 90000000000, "MaxAttempts": 3, "Window": 0}""", spec["TaskTemplate"]!["RestartPolicy"]);
        AssertJson("""{"Parallelism": 2, "Delay": 10000000000, "FailureAction": "rollback", "Monitor": 500000000, "MaxFailureRatio": 0.25, "Order": "start-first"}""", spec["UpdateConfig"]);
        // An empty rollback_config still gets the CLI's default parallelism of 1.
        AssertJson("""{"Parallelism": 1, "MaxFailureRatio": 0, "Order": ""}""", spec["RollbackConfig"]);
    }

    [Theory]
    [InlineData("always", """{"Condition": "any"}""")]
    [InlineData("unless-stopped", """{"Condition": "any"}""")]
    [InlineData("on-failure:4", """{"Condition": "on-failure", "MaxAttempts": 4}""")]
    [InlineData("\"no\"", null)]
    public void The_legacy_restart_key_still_sets_the_restart_policy_as_the_cli_does(string restart, string? expected)
    {
        var policy = Spec(Web($"    restart: {restart}"))["TaskTemplate"]!["RestartPolicy"];

        if (expected is null)
        {
            Assert.Null(policy);
        }
        else
        {
            AssertJson(expected, policy);
        }
    }

    [Fact]
    public void Placement_has_constraints_spread_preferences_and_max_replicas_per_node()
    {
        AssertJson("""
            {"Constraints": ["node.role == worker"], "Preferences": [{"Spread": {"SpreadDescriptor": "node.labels.zone"}}], "MaxReplicas": 2}
            """, Spec(Web("""
                deploy:
                  placement:
                    constraints: [node.role == worker]
                    preferences: [{spread: node.labels.zone}]
                    max_replicas_per_node: 2
            """))["TaskTemplate"]!["Placement"]);
    }

    [Fact]
    public void Healthchecks_in_every_form()
    {
        var file = """
            version: "3.9"
            services:
              shell:
                image: a
                healthcheck: {test: curl -f localhost, interval: 10s, timeout: 2s, retries: 3, start_period: 1m}
              exec:
                image: a
                healthcheck: {test: [CMD, "true"]}
              disabled:
                image: a
                healthcheck: {disable: true}
            """;

        AssertJson("""{"Test": ["CMD-SHELL", "curl -f localhost"], "Interval": 10000000000, "Timeout": 2000000000, "StartPeriod": 60000000000, "Retries": 3}""",
            Spec(file, "shell")["TaskTemplate"]!["ContainerSpec"]!["Healthcheck"]);
        AssertJson("""{"Test": ["CMD", "true"]}""", Spec(file, "exec")["TaskTemplate"]!["ContainerSpec"]!["Healthcheck"]);
        AssertJson("""{"Test": ["NONE"]}""", Spec(file, "disabled")["TaskTemplate"]!["ContainerSpec"]!["Healthcheck"]);
    }

    [Fact]
    public void Container_settings_map_to_their_spec_fields()
    {
        var container = Container(Web("""
                hostname: box
                user: "1000:1000"
                working_dir: /srv
                stop_signal: SIGINT
                stop_grace_period: 1m
                init: false
                tty: true
                stdin_open: true
                read_only: true
                isolation: default
                dns: [1.1.1.1, 8.8.8.8]
                dns_search: example.com
                extra_hosts: ["db:10.0.0.5", "cache:10.0.0.6"]
            """));

        AssertJson("""
            {
              "Image": "10.99.0.1:5000/demo/app:1",
              "Labels": {"com.docker.stack.namespace": "shop"},
              "Hostname": "box",
              "Dir": "/srv",
              "User": "1000:1000",
              "Privileges": {"CredentialSpec": null, "SELinuxContext": null},
              "Init": false,
              "StopSignal": "SIGINT",
              "TTY": true,
              "OpenStdin": true,
              "ReadOnly": true,
              "StopGracePeriod": 60000000000,
              "Hosts": ["10.0.0.5 db", "10.0.0.6 cache"],
              "DNSConfig": {"Nameservers": ["1.1.1.1", "8.8.8.8"], "Search": ["example.com"]},
              "Isolation": "default"
            }
            """, container);
    }

    [Fact]
    public void Extra_hosts_as_a_mapping_are_sorted_by_host()
    {
        AssertJson("""["10.0.0.2 zeta", "10.0.0.1 alpha"]""", Container(Web("""
                extra_hosts: ["zeta:10.0.0.2", "alpha:10.0.0.1"]
            """))["Hosts"]);
        AssertJson("""["10.0.0.1 alpha", "10.0.0.2 zeta"]""", Container(Web("""
                extra_hosts: {zeta: 10.0.0.2, alpha: 10.0.0.1}
            """))["Hosts"]);
    }

    [Fact]
    public void Capabilities_are_normalised_deduplicated_sorted_and_an_added_one_is_not_dropped()
    {
        var container = Container(Web("""
                cap_add: [sys_time, NET_ADMIN, CAP_NET_ADMIN]
                cap_drop: [MKNOD, net_admin]
            """));

        AssertJson("""["CAP_NET_ADMIN", "CAP_SYS_TIME"]""", container["CapabilityAdd"]);
        AssertJson("""["CAP_MKNOD"]""", container["CapabilityDrop"]);
    }

    [Fact]
    public void Sysctls_ulimits_and_logging()
    {
        var spec = Spec(Web("""
                sysctls: [net.core.somaxconn=1024]
                ulimits:
                  nproc: 65535
                  nofile: {soft: 20000, hard: 40000}
                logging:
                  driver: json-file
                  options: {max-size: 10m, max-file: 3}
            """));

        AssertJson("""{"net.core.somaxconn": "1024"}""", spec["TaskTemplate"]!["ContainerSpec"]!["Sysctls"]);
        AssertJson("""[{"Name": "nofile", "Hard": 40000, "Soft": 20000}, {"Name": "nproc", "Hard": 65535, "Soft": 65535}]""", spec["TaskTemplate"]!["ContainerSpec"]!["Ulimits"]);
        AssertJson("""{"Name": "json-file", "Options": {"max-file": "3", "max-size": "10m"}}""", spec["TaskTemplate"]!["LogDriver"]);
    }

    [Fact]
    public void Volumes_named_bind_anonymous_and_tmpfs_become_mounts()
    {
        var mounts = Container(Web("""
                volumes:
                  - data:/data:ro
                  - /srv/www:/www:ro,rshared
                  - /anonymous
                  - cache:/cache:nocopy
                  - type: tmpfs
                    target: /run
                    tmpfs: {size: 1000}
                  - type: volume
                    source: outside
                    target: /outside
                  - type: bind
                    source: /etc/hosts
                    target: /hosts
                    consistency: cached
            """, """
            volumes:
              data:
                driver: local
                driver_opts: {type: tmpfs, device: tmpfs}
                labels: [com.example.kind=data]
              cache:
                name: shared-cache
              outside:
                external: true
                name: made-elsewhere
            """))["Mounts"];

        AssertJson("""
            [
              {"Type": "volume", "Source": "shop_data", "Target": "/data", "ReadOnly": true,
               "VolumeOptions": {"Labels": {"com.docker.stack.namespace": "shop", "com.example.kind": "data"},
                                 "DriverConfig": {"Name": "local", "Options": {"device": "tmpfs", "type": "tmpfs"}}}},
              {"Type": "bind", "Source": "/srv/www", "Target": "/www", "ReadOnly": true, "BindOptions": {"Propagation": "rshared"}},
              {"Type": "volume", "Target": "/anonymous"},
              {"Type": "volume", "Source": "shared-cache", "Target": "/cache",
               "VolumeOptions": {"NoCopy": true, "Labels": {"com.docker.stack.namespace": "shop"}}},
              {"Type": "tmpfs", "Target": "/run", "TmpfsOptions": {"SizeBytes": 1000}},
              {"Type": "volume", "Source": "made-elsewhere", "Target": "/outside", "VolumeOptions": {}},
              {"Type": "bind", "Source": "/etc/hosts", "Target": "/hosts", "Consistency": "cached"}
            ]
            """, mounts);
    }

    [Fact]
    public void Secrets_and_configs_reference_external_names_with_the_cli_defaults_sorted_by_name()
    {
        var plan = Plan(Web("""
                secrets:
                  - zeta
                  - source: alpha
                    target: /run/alpha.pem
                    uid: "100"
                    gid: "101"
                    mode: 0400
                configs:
                  - source: conf
                    target: /etc/app.conf
            """, """
            secrets:
              zeta: {external: true}
              alpha:
                external: true
                name: tls-alpha
            configs:
              conf:
                external:
                  name: app-conf
            """));
        var container = plan.Services[0].Spec["TaskTemplate"]!["ContainerSpec"]!;

        AssertJson("""
            [
              {"File": {"Name": "/run/alpha.pem", "UID": "100", "GID": "101", "Mode": 256}, "SecretID": "", "SecretName": "tls-alpha"},
              {"File": {"Name": "zeta", "UID": "0", "GID": "0", "Mode": 292}, "SecretID": "", "SecretName": "zeta"}
            ]
            """, container["Secrets"]);
        AssertJson("""[{"File": {"Name": "/etc/app.conf", "UID": "0", "GID": "0", "Mode": 292}, "ConfigID": "", "ConfigName": "app-conf"}]""", container["Configs"]);
        Assert.Equal(
            [(ReferenceKind.Secret, "tls-alpha", 17, 3, "secrets.alpha"), (ReferenceKind.Secret, "zeta", 16, 3, "secrets.zeta"), (ReferenceKind.Config, "app-conf", 21, 3, "configs.conf")],
            plan.References.Select(r => (r.Kind, r.Name, r.Line, r.Column, r.Key)).OrderBy(r => r.Kind).ThenBy(r => r.Name));
    }

    [Fact]
    public void Networks_with_aliases_sorted_by_target_and_no_alias_on_builtin_networks()
    {
        var networks = Spec(Web("""
                networks:
                  front:
                    aliases: [www]
                  back:
                  outside:
            """, """
            networks:
              front:
              back:
              outside:
                external: true
                name: host
            """))["TaskTemplate"]!["Networks"];

        AssertJson("""
            [
              {"Target": "host"},
              {"Target": "shop_back", "Aliases": ["web"]},
              {"Target": "shop_front", "Aliases": ["www", "web"]}
            ]
            """, networks);
    }
}
