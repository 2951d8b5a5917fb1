using System.Text.Json.Nodes;
using ControlPlane.Core.Audit;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Secrets;
using ControlPlane.Core.Security;
using ControlPlane.Core.Tests.Changes;
using ControlPlane.Core.Tests.Images;
using ControlPlane.Core.Workloads;
using static ControlPlane.Core.Tests.Changes.CommandFixture;

namespace ControlPlane.Core.Tests.Workloads;

/// <summary>
/// Creating and editing services: the request checked and mapped onto an Engine API spec, the scope of a new service
/// from its namespace label and of an existing one from the store, what it uses needing the permission on its own
/// scope, and the restricted rule. Every refusal is audited and changes nothing.
/// </summary>
public sealed class ServiceWorkloadTests : IAsyncLifetime
{
    private readonly CommandFixture _f = new();
    private readonly FakeWorkloadChanges _workloads = new();
    private readonly FakeImageEngine _images = new();
    private readonly ServiceCommands _services;

    public ServiceWorkloadTests()
    {
        _services = new ServiceCommands(_f.Store, _f.Gate, _f.Swarm, new ChangeLimits { MaxReplicas = 50 }, _workloads, _f.Runner,
            new RestartPlans(_workloads, _images, TimeProvider.System), _images);
        _f.Add(
            Service("web", "shop"),
            Version(FileObjectKind.Secret, "db", 1, "shop"),
            Version(FileObjectKind.Secret, "db", 2, "shop"),
            Version(FileObjectKind.Secret, "billing-key", 1, "bill"),
            new ClusterNetwork("net-shop", "shop_back", "overlay", "swarm", false, true, false, Labels.From([new(StackLabel, "shop")]), Created),
            new ClusterNetwork("net-bill", "bill_back", "overlay", "swarm", false, true, false, Labels.From([new(StackLabel, "bill")]), Created),
            new ClusterNetwork("net-br", "bridge", "bridge", "local", false, false, false, Labels.Empty, Created));
        _workloads.Specs["id-web"] = JsonNode.Parse("""
            {"Name":"web","Labels":{"com.docker.stack.namespace":"shop"},
             "TaskTemplate":{"ContainerSpec":{"Image":"demo/app:1","Env":["A=1"]},"ForceUpdate":0},
             "Mode":{"Replicated":{"Replicas":1}}}
            """)!.AsObject();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private static ServiceRequest InShop(string name = "api") => new(Name: name, Image: "demo/app:2", Labels: new Dictionary<string, string> { [StackLabel] = "shop" });

    [Fact]
    public async Task A_stack_Operator_creates_a_service_in_the_stack_mapped_onto_the_Engine_API_spec()
    {
        var request = InShop() with
        {
            Replicas = 2,
            Command = ["sh", "-c", "sleep 1000"],
            Env = new Dictionary<string, string> { ["Z"] = "26", ["A"] = "1" },
            Ports = [new PortRequest(80, 8080)],
            Mounts = [new VolumeMountRequest("volume", "data", "/data")],
            Networks = ["shop_back"],
            Secrets = [new FileMountRequest("db", Mode: "0400")],
            Constraints = ["node.labels.zone==a"],
            Resources = new ResourcesRequest(CpuLimit: 0.5, MemoryLimitBytes: 64 * 1024 * 1024),
            Update = new Core.Images.UpdateSettings(Parallelism: 2, Order: "start-first"),
        };

        var result = await _services.CreateAsync(Caller(Role.Operator, "shop"), Cluster, request);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("api", result.Value!.Name);
        var spec = _workloads.Created!;
        var container = spec["TaskTemplate"]!["ContainerSpec"]!;
        Assert.Equal("demo/app:2@" + FakeImageEngine.Digest, (string?)container["Image"]);
        Assert.Equal(2, (long)spec["Mode"]!["Replicated"]!["Replicas"]!);
        Assert.Equal("""["sh","-c","sleep 1000"]""", container["Args"]!.ToJsonString());
        Assert.Equal("""["A=1","Z=26"]""", container["Env"]!.ToJsonString());
        Assert.Equal("""{"Protocol":"tcp","TargetPort":80,"PublishMode":"ingress","PublishedPort":8080}""", spec["EndpointSpec"]!["Ports"]![0]!.ToJsonString());
        Assert.Equal("net-shop", (string?)spec["TaskTemplate"]!["Networks"]![0]!["Target"]);
        // The family's current version, by id and name, at the family's name.
        Assert.Equal("""{"File":{"Name":"db","UID":"0","GID":"0","Mode":256},"SecretID":"id-db.v2","SecretName":"db.v2"}""", container["Secrets"]![0]!.ToJsonString());
        Assert.Equal(500_000_000, (long)spec["TaskTemplate"]!["Resources"]!["Limits"]!["NanoCPUs"]!);
        Assert.Equal("start-first", (string?)spec["UpdateConfig"]!["Order"]);
        Assert.Equal(2, (long)spec["UpdateConfig"]!["Parallelism"]!);
        Assert.Equal("shop", (string?)spec["Labels"]![StackLabel]);
        var audited = _f.Audit.Entries.Last();
        Assert.Equal(("services.create", "c1/shop/api", AuditResult.Succeeded), (audited.Action, audited.Target, audited.Result));
    }

    [Fact]
    public async Task An_Operator_of_one_stack_cannot_create_a_service_in_another()
    {
        var result = await _services.CreateAsync(Caller(Role.Operator, "shop"), Cluster, InShop() with { Labels = new Dictionary<string, string> { [StackLabel] = "bill" } });
        var outside = await _services.CreateAsync(Caller(Role.Operator, "shop"), Cluster, InShop() with { Labels = null });

        Assert.Equal((ChangeFailure.Forbidden, ChangeFailure.Forbidden), (result.Failure, outside.Failure));
        Assert.Contains("c1/bill", result.Message);
        Assert.Empty(_workloads.Calls);
        Assert.All(_f.Audit.Entries, e => Assert.Equal(AuditResult.Denied, e.Result));
        Assert.Equal(["c1/bill/api", "c1/api"], _f.Audit.Entries.Select(e => e.Target));
    }

    [Fact]
    public async Task What_a_service_uses_from_another_stack_needs_the_permission_there_too()
    {
        var secret = await _services.CreateAsync(Caller(Role.Operator, "shop"), Cluster, InShop() with { Secrets = [new FileMountRequest("billing-key")] });
        var network = await _services.CreateAsync(Caller(Role.Operator, "shop"), Cluster, InShop() with { Networks = ["bill_back"] });

        Assert.Equal(ChangeFailure.Forbidden, secret.Failure);
        Assert.Equal("You have no grant that allows 'services.create' on c1/bill.", secret.Message);
        Assert.Equal(ChangeFailure.Forbidden, network.Failure);
        Assert.Empty(_workloads.Calls);
        Assert.Equal(2, _f.Audit.Entries.Count(e => e.Result == AuditResult.Denied && e.Target == "c1/bill/api"));
    }

    [Fact]
    public async Task A_bind_mount_is_refused_to_an_Operator_naming_the_key_and_allowed_to_an_Admin_of_the_cluster()
    {
        var bind = InShop() with { Mounts = [new VolumeMountRequest("bind", "/etc", "/host-etc", true)] };

        var refused = await _services.CreateAsync(Caller(Role.Operator), Cluster, bind);
        var stackAdmin = await _services.CreateAsync(Caller(Role.Admin, "shop"), Cluster, bind);

        Assert.Equal(ChangeFailure.Forbidden, refused.Failure);
        Assert.Equal("api asks for a bind mount of the host path /etc (volumes), which only an Admin of the cluster may use: that needs 'services.unrestricted' on c1, which no grant of yours allows.", refused.Message);
        Assert.Equal(ChangeFailure.Forbidden, stackAdmin.Failure);
        Assert.Empty(_workloads.Calls);
        Assert.All(_f.Audit.Entries, e => Assert.Equal(AuditResult.Denied, e.Result));

        var allowed = await _services.CreateAsync(Caller(Role.Admin), Cluster, bind);

        Assert.True(allowed.Succeeded, allowed.Message);
        Assert.Equal("""{"Type":"bind","Target":"/host-etc","Source":"/etc","ReadOnly":true}""", _workloads.Created!["TaskTemplate"]!["ContainerSpec"]!["Mounts"]![0]!.ToJsonString());
    }

    [Fact]
    public async Task The_host_network_is_restricted_too()
    {
        var result = await _services.CreateAsync(Caller(Role.Operator, "shop"), Cluster, InShop() with { Networks = ["host"] });

        Assert.Equal(ChangeFailure.Forbidden, result.Failure);
        Assert.StartsWith("api asks for the host network (networks)", result.Message);
    }

    [Fact]
    public async Task Bad_input_is_refused_with_every_problem_named_after_the_permission_check()
    {
        var bad = new ServiceRequest(Name: "bad name!", Image: "Demo/App", Mode: "sometimes", Replicas: 3,
            Ports: [new PortRequest(0, 70000, "icmp")], Mounts: [new VolumeMountRequest("nfs", null, "relative")],
            Networks: ["nowhere", "bridge"], Secrets: [new FileMountRequest("nosuch")], Constraints: ["zone=a", "node.colour==red"],
            Env: new Dictionary<string, string> { ["A=B"] = "x" });

        var viewer = await _services.CreateAsync(Caller(Role.Viewer), Cluster, bad);
        var result = await _services.CreateAsync(Caller(Role.Admin), Cluster, bad);

        Assert.Equal(ChangeFailure.Forbidden, viewer.Failure);
        Assert.Equal(ChangeFailure.Invalid, result.Failure);
        Assert.Equal(["name", "image", "mode", "env", "ports[0]", "ports[0]", "ports[0]", "mounts[0]", "mounts[0]", "networks[0]", "networks[1]", "secrets[0]", "constraints[0]", "constraints[1]"],
            result.Problems.Select(p => p.Key));
        Assert.Contains("name 'bad name!' is not a service name", result.Message);
        Assert.Contains("'bridge' is a local network", result.Message);
        Assert.Contains("Cluster 'c1' has no secret family 'nosuch'.", result.Message);
        Assert.Empty(_workloads.Calls);
    }

    [Theory]
    [InlineData(-1, "replicas must be 0 or more")]
    [InlineData(51, "replicas may be at most 50")]
    public async Task Replicas_are_bounded(long replicas, string message)
    {
        var result = await _services.CreateAsync(Caller(Role.Admin), Cluster, InShop() with { Replicas = replicas });

        Assert.Equal(ChangeFailure.Invalid, result.Failure);
        Assert.Contains(message, result.Message);
    }

    [Fact]
    public void A_service_name_is_a_DNS_label_of_at_most_63_characters()
    {
        Assert.Null(ServiceSpecs.ValidateName("web-1_a"));
        Assert.NotNull(ServiceSpecs.ValidateName("web.1"));
        Assert.NotNull(ServiceSpecs.ValidateName("-web"));
        Assert.NotNull(ServiceSpecs.ValidateName(new string('a', 64)));
        Assert.Null(ServiceSpecs.ValidateName(new string('a', 63)));
    }

    [Fact]
    public async Task A_name_in_use_is_a_conflict()
    {
        var result = await _services.CreateAsync(Caller(Role.Operator, "shop"), Cluster, InShop("web"));

        Assert.Equal(ChangeFailure.Conflict, result.Failure);
        Assert.Empty(_workloads.Calls);
    }

    [Fact]
    public async Task An_edit_applies_only_the_fields_given_and_carries_the_diff()
    {
        var result = await _services.EditAsync(Caller(Role.Operator, "shop"), Cluster, "web", new ServiceRequest(Replicas: 3, Env: new Dictionary<string, string> { ["B"] = "2" }));

        Assert.True(result.Succeeded, result.Message);
        Assert.Contains("Mode.Replicated.Replicas: 1 → 3", result.Diff);
        Assert.Contains("TaskTemplate.ContainerSpec.Env[0]: \"A=1\" → \"B=2\"", result.Diff);
        Assert.Equal("demo/app:1", (string?)_workloads.Specs["id-web"]["TaskTemplate"]!["ContainerSpec"]!["Image"]);
        Assert.Contains("Mode.Replicated.Replicas: 1 → 3", _f.Audit.Entries.Last().Diff);
    }

    [Fact]
    public async Task An_edit_is_checked_on_the_services_stack_from_the_store_not_on_the_labels_asked_for()
    {
        var other = await _services.EditAsync(Caller(Role.Operator, "bill"), Cluster, "web", new ServiceRequest(Labels: new Dictionary<string, string> { [StackLabel] = "bill" }));
        var move = await _services.EditAsync(Caller(Role.Operator, "shop"), Cluster, "web", new ServiceRequest(Labels: new Dictionary<string, string> { [StackLabel] = "bill" }));
        var keep = await _services.EditAsync(Caller(Role.Operator, "shop"), Cluster, "web", new ServiceRequest(Labels: new Dictionary<string, string> { ["team"] = "a" }));

        Assert.Equal(ChangeFailure.Forbidden, other.Failure);
        Assert.Equal("c1/shop/web", _f.Audit.Entries[0].Target);
        Assert.Equal(ChangeFailure.Invalid, move.Failure);
        Assert.Contains("cannot move to another stack", move.Message);
        Assert.True(keep.Succeeded, keep.Message);
        Assert.Equal("shop", (string?)_workloads.Specs["id-web"]["Labels"]![StackLabel]);
    }

    [Fact]
    public async Task An_edit_made_again_after_a_concurrent_change_goes_ahead_unless_its_own_fields_moved()
    {
        _workloads.Meanwhile = spec => spec["Labels"]!["team"] = "b";
        var unrelated = await _services.EditAsync(Caller(Role.Operator, "shop"), Cluster, "web", new ServiceRequest(Replicas: 2));
        _workloads.Meanwhile = spec => spec["Mode"]!["Replicated"]!["Replicas"] = 7;
        var same = await _services.EditAsync(Caller(Role.Operator, "shop"), Cluster, "web", new ServiceRequest(Replicas: 4));

        Assert.True(unrelated.Succeeded, unrelated.Message);
        Assert.Equal("b", (string?)_workloads.Specs["id-web"]["Labels"]!["team"]);
        Assert.Equal(ChangeFailure.Conflict, same.Failure);
        Assert.Contains("Someone changed Mode of web meanwhile", same.Message);
        Assert.Equal(7, ServiceSpecs.Number(_workloads.Specs["id-web"]["Mode"]!["Replicated"]!["Replicas"]));
    }

    [Fact]
    public async Task An_Operator_may_not_edit_a_service_that_uses_the_host()
    {
        _workloads.Specs["id-web"]["TaskTemplate"]!["ContainerSpec"]!["CapabilityAdd"] = new JsonArray("NET_ADMIN");

        var result = await _services.EditAsync(Caller(Role.Operator, "shop"), Cluster, "web", new ServiceRequest(Image: "demo/app:2"));

        Assert.Equal(ChangeFailure.Forbidden, result.Failure);
        Assert.Contains("the capability NET_ADMIN (cap_add)", result.Message);
        Assert.Equal(AuditResult.Denied, _f.Audit.Entries.Last().Result);
        Assert.DoesNotContain(_workloads.Calls, c => c.StartsWith("update", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_edit_cannot_rename_or_change_the_mode_and_needs_a_field()
    {
        var rename = await _services.EditAsync(Caller(Role.Operator, "shop"), Cluster, "web", new ServiceRequest(Name: "web2"));
        var global = await _services.EditAsync(Caller(Role.Operator, "shop"), Cluster, "web", new ServiceRequest(Mode: "global"));
        var nothing = await _services.EditAsync(Caller(Role.Operator, "shop"), Cluster, "web", new ServiceRequest());

        Assert.Contains("cannot be renamed", rename.Message);
        Assert.Contains("cannot become global", global.Message);
        Assert.Contains("Nothing to change", nothing.Message);
        Assert.DoesNotContain(_workloads.Calls, c => c.StartsWith("update", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Removing_needs_the_remove_permission_on_the_services_stack()
    {
        var viewer = await _services.RemoveAsync(Caller(Role.Viewer), Cluster, "web");
        var other = await _services.RemoveAsync(Caller(Role.Operator, "bill"), Cluster, "web");
        var removed = await _services.RemoveAsync(Caller(Role.Operator, "shop"), Cluster, "web");

        Assert.Equal((ChangeFailure.Forbidden, ChangeFailure.Forbidden), (viewer.Failure, other.Failure));
        Assert.True(removed.Succeeded, removed.Message);
        Assert.Equal(["remove id-web"], _workloads.Calls);
    }
}
