using System.Text.Json.Nodes;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Secrets;
using ControlPlane.Core.Security;
using ControlPlane.Core.Stacks;
using ControlPlane.Core.State;
using ControlPlane.Core.Tests.Changes;

namespace ControlPlane.Core.Tests.Stacks;

/// <summary>An engine holding one stack's objects and the cluster's secrets, configs and networks, answering digests for known images.</summary>
internal sealed class FakeStackEngine : IStackChanges
{
    public List<EngineService> Services { get; } = [];
    public List<EngineObject> Networks { get; } = [];
    public List<EngineObject> Secrets { get; } = [];
    public List<EngineObject> Configs { get; } = [];
    public Dictionary<string, string> Digests { get; } = new() { ["10.0.0.1:5000/app:1"] = "sha256:aaa", ["10.0.0.1:5000/app:2"] = "sha256:bbb" };
    public List<string> Calls { get; } = [];

    public Task<EngineStack> ReadStackAsync(string clusterId, string stack, CancellationToken ct) => Task.FromResult(new EngineStack(
        Services.Where(s => (string?)s.Spec["Labels"]?[ClusterVisibility.StackLabel] == stack).ToList(),
        Networks.Where(n => n.Labels.GetValueOrDefault(ClusterVisibility.StackLabel) == stack).ToList(),
        Secrets.Where(n => n.Labels.GetValueOrDefault(ClusterVisibility.StackLabel) == stack).ToList(),
        Configs.Where(n => n.Labels.GetValueOrDefault(ClusterVisibility.StackLabel) == stack).ToList()));

    public Task<IReadOnlyList<EngineObject>> ListAsync(string clusterId, ReferenceKind kind, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<EngineObject>>(kind switch { ReferenceKind.Secret => Secrets, ReferenceKind.Config => Configs, _ => Networks });

    public Task<PinnedImage?> ResolveImageAsync(string clusterId, string image, CancellationToken ct) =>
        Task.FromResult(Digests.TryGetValue(image, out var digest)
            ? new PinnedImage($"{image}@{digest}", [new JsonObject { ["Architecture"] = "amd64", ["OS"] = "linux" }])
            : null);

    public Task<EngineService?> InspectServiceAsync(string clusterId, string serviceId, CancellationToken ct) => Task.FromResult(Services.FirstOrDefault(s => s.Id == serviceId));

    public Task<string> CreateServiceAsync(string clusterId, JsonObject spec, CancellationToken ct)
    {
        Calls.Add($"create {(string?)spec["Name"]}");
        return Task.FromResult("new");
    }

    public Task UpdateServiceAsync(string clusterId, string serviceId, long version, JsonObject spec, CancellationToken ct)
    {
        Calls.Add($"update {serviceId}@{version}");
        return Task.CompletedTask;
    }

    public Task RemoveServiceAsync(string clusterId, string serviceId, CancellationToken ct)
    {
        Calls.Add($"remove {serviceId}");
        return Task.CompletedTask;
    }

    public Task<string> CreateNetworkAsync(string clusterId, JsonObject create, CancellationToken ct)
    {
        Calls.Add($"network {(string?)create["Name"]}");
        return Task.FromResult($"net-{(string?)create["Name"]}");
    }

    public Task RemoveNetworkAsync(string clusterId, string networkId, CancellationToken ct) => Task.CompletedTask;

    public Task RemoveFileObjectAsync(string clusterId, FileObjectKind kind, string id, CancellationToken ct) => Task.CompletedTask;
}

public sealed class StackWorkTests
{
    private const string Stack = "shop";

    private static JsonObject Spec(string name, string image, int replicas = 1, string network = "shop_default", string? secret = null)
    {
        var container = new JsonObject { ["Image"] = image, ["Labels"] = new JsonObject { [ClusterVisibility.StackLabel] = Stack } };
        if (secret is not null)
        {
            container["Secrets"] = new JsonArray(new JsonObject { ["SecretName"] = secret, ["SecretID"] = "", ["File"] = new JsonObject { ["Name"] = secret, ["UID"] = "0", ["GID"] = "0", ["Mode"] = 292 } });
        }
        return new JsonObject
        {
            ["Name"] = name,
            ["Labels"] = new JsonObject { [ClusterVisibility.StackLabel] = Stack, [StackSpecs.ImageLabel] = image },
            ["TaskTemplate"] = new JsonObject
            {
                ["ContainerSpec"] = container,
                ["Networks"] = new JsonArray(new JsonObject { ["Target"] = network, ["Aliases"] = new JsonArray(name[(Stack.Length + 1)..]) }),
            },
            ["Mode"] = new JsonObject { ["Replicated"] = new JsonObject { ["Replicas"] = replicas } },
        };
    }

    private static StackPlan Plan(params PlannedService[] services) => new(Stack,
        [new PlannedNetwork("shop_default", new JsonObject { ["Name"] = "shop_default", ["Driver"] = "overlay", ["Labels"] = new JsonObject { [ClusterVisibility.StackLabel] = Stack } })],
        services, [], []);

    /// <summary>What the engine answers for a service the deploy made: ids for names, the image pinned, the engine's own defaults filled in.</summary>
    private static EngineService Running(string id, string name, string image, int replicas = 1)
    {
        var spec = Spec(name, image, replicas, network: "net-shop");
        var task = (JsonObject)spec["TaskTemplate"]!;
        ((JsonObject)task["ContainerSpec"]!)["Image"] = $"{image}@sha256:{(image.EndsWith(":1", StringComparison.Ordinal) ? "aaa" : "bbb")}";
        ((JsonObject)task["ContainerSpec"]!)["Isolation"] = "default";
        task["Placement"] = new JsonObject { ["Platforms"] = new JsonArray(new JsonObject { ["Architecture"] = "amd64", ["OS"] = "linux" }) };
        task["Resources"] = new JsonObject { ["Limits"] = new JsonObject(), ["Reservations"] = new JsonObject() };
        task["ForceUpdate"] = 3;
        task["Runtime"] = "container";
        spec["EndpointSpec"] = new JsonObject { ["Mode"] = "vip" };
        return new EngineService(id, name, 17, spec);
    }

    private static FakeStackEngine Engine()
    {
        var engine = new FakeStackEngine();
        engine.Networks.Add(new EngineObject("net-shop", "shop_default", new Dictionary<string, string> { [ClusterVisibility.StackLabel] = Stack }) { Scope = "swarm" });
        engine.Services.Add(Running("s-web", "shop_web", "10.0.0.1:5000/app:1"));
        engine.Services.Add(Running("s-api", "shop_api", "10.0.0.1:5000/app:1"));
        engine.Services.Add(Running("s-old", "shop_old", "10.0.0.1:5000/app:1"));
        return engine;
    }

    [Fact]
    public async Task Each_service_is_created_updated_left_unchanged_or_pruned_as_it_compares_with_the_running_one()
    {
        var engine = Engine();
        var plan = Plan(
            new PlannedService("shop_web", Spec("shop_web", "10.0.0.1:5000/app:1"), 3),
            new PlannedService("shop_api", Spec("shop_api", "10.0.0.1:5000/app:2", replicas: 2), 6),
            new PlannedService("shop_new", Spec("shop_new", "10.0.0.1:5000/app:1"), 9));

        var work = await StackWork.PlanAsync(engine, "c1", plan, prune: true, CancellationToken.None);
        var changes = work.Preview().Changes;

        Assert.Equal(
            ["network shop_default unchanged", "service shop_web unchanged", "service shop_api update", "service shop_new create", "service shop_old remove"],
            changes.Select(c => $"{c.Kind} {c.Name} {c.Action}"));
        var diff = changes.Single(c => c.Name == "shop_api").Diff!;
        Assert.Contains("Mode.Replicated.Replicas: 1 → 2", diff);
        Assert.Contains("app:1@sha256:aaa", diff);
        Assert.Contains("app:2@sha256:bbb", diff);
        // The update keeps the running service's force counter, as the CLI does, so only real changes restart tasks.
        Assert.Equal(3, (int?)work.Services.Single(s => s.Name == "shop_api").Spec["TaskTemplate"]!["ForceUpdate"]);
        Assert.Empty(engine.Calls);
    }

    [Fact]
    public async Task Without_prune_services_the_file_no_longer_names_are_left_alone()
    {
        var work = await StackWork.PlanAsync(Engine(), "c1", Plan(new PlannedService("shop_web", Spec("shop_web", "10.0.0.1:5000/app:1"), 3)), prune: false, CancellationToken.None);

        Assert.DoesNotContain(work.Preview().Changes, c => c.Action == StackActions.Remove);
    }

    [Fact]
    public async Task Images_are_pinned_to_the_registry_digest_with_its_platforms_and_an_unreachable_one_is_a_warning()
    {
        var engine = new FakeStackEngine();
        var plan = Plan(
            new PlannedService("shop_web", Spec("shop_web", "10.0.0.1:5000/app:1"), 3),
            new PlannedService("shop_hub", Spec("shop_hub", "nginx"), 6));

        var work = await StackWork.PlanAsync(engine, "c1", plan, prune: false, CancellationToken.None);

        var web = work.Services.Single(s => s.Name == "shop_web").Spec;
        Assert.Equal("10.0.0.1:5000/app:1@sha256:aaa", StackSpecs.ImageOf(web));
        Assert.Equal("amd64", (string?)web["TaskTemplate"]!["Placement"]!["Platforms"]![0]!["Architecture"]);
        Assert.Equal("10.0.0.1:5000/app:1", (string?)web["Labels"]![StackSpecs.ImageLabel]);
        Assert.Equal("nginx:latest", StackSpecs.ImageOf(work.Services.Single(s => s.Name == "shop_hub").Spec));
        Assert.Contains(work.Warnings, w => w.Contains("nginx:latest could not be accessed on a registry", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_external_secret_resolves_to_itself_else_to_the_newest_version_of_the_family_of_that_name_and_a_missing_one_is_a_problem_at_its_line()
    {
        var engine = new FakeStackEngine();
        engine.Secrets.Add(new EngineObject("id-plain", "plain", new Dictionary<string, string>()));
        foreach (var version in new[] { 1, 2, 10 })
        {
            engine.Secrets.Add(new EngineObject($"id-db.v{version}", $"db.v{version}", new Dictionary<string, string> { [FileObjectList.FamilyLabel] = "db", [FileObjectList.VersionLabel] = $"{version}" }));
        }
        var plan = Plan(
            new PlannedService("shop_a", Spec("shop_a", "10.0.0.1:5000/app:1", secret: "plain"), 3),
            new PlannedService("shop_b", Spec("shop_b", "10.0.0.1:5000/app:1", secret: "db"), 8)) with
        {
            References = [new PlannedReference(ReferenceKind.Secret, "plain", 20, 5, "secrets.plain"), new PlannedReference(ReferenceKind.Secret, "db", 22, 5, "secrets.db")],
        };

        var work = await StackWork.PlanAsync(engine, "c1", plan, prune: false, CancellationToken.None);

        Assert.Equal("id-plain", (string?)work.Services[0].Spec["TaskTemplate"]!["ContainerSpec"]!["Secrets"]![0]!["SecretID"]);
        var family = work.Services[1].Spec["TaskTemplate"]!["ContainerSpec"]!["Secrets"]![0]!;
        Assert.Equal(("id-db.v10", "db.v10"), ((string?)family["SecretID"], (string?)family["SecretName"]));

        var missing = plan with { References = [.. plan.References, new PlannedReference(ReferenceKind.Network, "nowhere", 30, 7, "networks.nowhere")] };
        var refused = await Assert.ThrowsAsync<ChangeRejectedException>(() => StackWork.PlanAsync(engine, "c1", missing, prune: false, CancellationToken.None));
        Assert.Equal(ChangeFailure.Invalid, refused.Reason);
        var problem = Assert.Single(refused.Problems);
        Assert.Equal((30, 7, "networks.nowhere"), (problem.Line, problem.Column, problem.Key));
    }

    [Fact]
    public void A_reference_belongs_to_its_family_or_objects_stack_and_an_unknown_one_to_the_cluster()
    {
        var fixture = new CommandFixture();
        fixture.Add(CommandFixture.Version(FileObjectKind.Secret, "billing-key", 1, stack: "billing"), CommandFixture.Plain(FileObjectKind.Config, "shared"));
        var plan = Plan() with
        {
            References =
            [
                new PlannedReference(ReferenceKind.Secret, "billing-key", 1, 1, "secrets.a"),
                new PlannedReference(ReferenceKind.Secret, "billing-key.v1", 2, 1, "secrets.b"),
                new PlannedReference(ReferenceKind.Config, "shared", 3, 1, "configs.c"),
                new PlannedReference(ReferenceKind.Network, "unknown", 4, 1, "networks.d"),
                new PlannedReference(ReferenceKind.Network, "host", 5, 1, "networks.e"),
            ],
        };

        var scopes = StackReferences.ScopesOf(fixture.Store.GetState(CommandFixture.Cluster), CommandFixture.Cluster, plan);

        Assert.Equal([AccessTarget.InCluster(CommandFixture.Cluster, "billing"), AccessTarget.InCluster(CommandFixture.Cluster)], scopes);
    }

    [Theory]
    [InlineData("nginx", "nginx:latest")]
    [InlineData("docker.io/library/nginx:1.25", "nginx:1.25")]
    [InlineData("10.99.0.1:5000/demo/app", "10.99.0.1:5000/demo/app:latest")]
    [InlineData("10.99.0.1:5000/demo/app:1", "10.99.0.1:5000/demo/app:1")]
    [InlineData("app@sha256:abc", "app@sha256:abc")]
    public void Images_are_tagged_as_the_docker_client_sends_them(string written, string sent) =>
        Assert.Equal(sent, StackSpecs.Tagged(written));
}
