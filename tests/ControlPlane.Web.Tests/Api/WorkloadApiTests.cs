using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;
using ControlPlane.Web.Tests.SecretFamilies;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Web.Tests.Api;

/// <summary>ControlPlane on the local swarm with every log line kept, so a test can look for a join token in them.</summary>
public sealed class WorkloadsAppFactory() : ControlPlaneAppFactory(new Dictionary<string, string?>
{
    ["ControlPlane:Clusters:0:Name"] = SwarmAppFactory.ClusterId,
    ["ControlPlane:Clusters:0:Endpoints:0"] = SwarmEnvironment.DockerHost,
    ["Logging:LogLevel:Default"] = "Debug",
})
{
    public CapturingLoggerProvider Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
    }
}

/// <summary>The app, an admin, and one user per role the workload tests need: an Operator of one stack, an Operator and a Viewer of the cluster.</summary>
public sealed class WorkloadsFixture : IAsyncLifetime
{
    public const string Cluster = SwarmAppFactory.ClusterId;
    private const string Password = "workloads-password-123";

    public WorkloadsAppFactory App { get; } = new();

    public string Run { get; } = Guid.NewGuid().ToString("N")[..6];

    public string StackX => $"hwx{Run}";

    public string StackY => $"hwy{Run}";

    public HttpClient Admin { get; private set; } = default!;

    public HttpClient StackOperator { get; private set; } = default!;

    public HttpClient ClusterOperator { get; private set; } = default!;

    public HttpClient Viewer { get; private set; } = default!;

    public string User(string role) => $"hw-{role}-{Run}";

    public async Task InitializeAsync()
    {
        Admin = App.CreateAdminClient();
        StackOperator = await UserAsync("stackop", "Operator", StackX);
        ClusterOperator = await UserAsync("op", "Operator", null);
        Viewer = await UserAsync("viewer", "Viewer", null);
        await Admin.GetUntilAsync($"/api/clusters/{Cluster}/nodes", (status, json) => status == HttpStatusCode.OK && json.GetArrayLength() >= 3, TimeSpan.FromSeconds(60));
    }

    private async Task<HttpClient> UserAsync(string role, string grant, string? stack)
    {
        var name = User(role);
        (await Admin.PostAsJsonAsync("/api/users", new { username = name, password = Password })).EnsureSuccessStatusCode();
        (await Admin.PostAsJsonAsync("/api/grants", new { subject = name, role = grant, scope = new { cluster = Cluster, stack } })).EnsureSuccessStatusCode();
        return await App.CreateSignedInClientAsync(name, Password);
    }

    public async Task DisposeAsync()
    {
        using var docker = Docker();
        foreach (var service in (await docker.Swarm.ListServicesAsync()).Where(s => s.Spec!.Name!.StartsWith($"hw-{Run}", StringComparison.Ordinal)))
        {
            await docker.Swarm.RemoveServiceAsync(service.ID!);
        }
        foreach (var client in new[] { Admin, StackOperator, ClusterOperator, Viewer })
        {
            client.Dispose();
        }
        await App.DisposeAsync();
    }

    public static DockerClient Docker() => new DockerClientBuilder().WithEndpoint(new Uri(SwarmEnvironment.DockerHost)).Build();
}

/// <summary>
/// Services created, edited, restarted and removed, node roles, labels and removal, and join tokens, through the API
/// on the real swarm: what reaches the swarm, who is refused (403, audited), and that a join token stays out of the
/// audit log and the logs.
/// </summary>
public sealed class WorkloadApiTests(WorkloadsFixture f) : IClassFixture<WorkloadsFixture>
{
    private const string Cluster = WorkloadsFixture.Cluster;
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(90);

    private string Services => $"/api/clusters/{Cluster}/services";

    private string Name(string what) => $"hw-{f.Run}-{what}";

    [Fact]
    public async Task A_service_is_created_edited_restarted_and_removed_through_the_api()
    {
        var name = Name("life");
        using var created = await f.Admin.PostAsJsonAsync(Services, new
        {
            name,
            image = SwarmEnvironment.DemoImage,
            replicas = 1,
            env = new Dictionary<string, string> { ["GREETING"] = "hello" },
            labels = new Dictionary<string, string> { ["team"] = "hw" },
            update = new { parallelism = 1, order = "stop-first" },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var service = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(name, service.GetProperty("name").GetString());
        // Pinned to the registry's digest, as docker service create pins it.
        Assert.Contains("@sha256:", service.GetProperty("image").GetString());
        await f.Admin.GetUntilAsync($"{Services}/{name}", (status, json) => status == HttpStatusCode.OK && json.GetProperty("replicasRunning").GetInt32() == 1, Converge);

        using var edited = await f.Admin.PatchAsJsonAsync($"{Services}/{name}", new { replicas = 2, env = new Dictionary<string, string> { ["GREETING"] = "bye" } });
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        var diff = (await edited.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("diff").GetString();
        Assert.Contains("Mode.Replicated.Replicas: 1 → 2", diff);
        Assert.Contains("TaskTemplate.ContainerSpec.Env[0]: \"GREETING=hello\" → \"GREETING=bye\"", diff);
        using (var docker = WorkloadsFixture.Docker())
        {
            var spec = (await docker.Swarm.InspectServiceAsync(name)).Spec!;
            Assert.Equal(["GREETING=bye"], spec.TaskTemplate!.ContainerSpec!.Env);
            Assert.Equal("hw", spec.Labels!["team"]);
        }
        await f.Admin.GetUntilAsync($"{Services}/{name}", (_, json) => json.GetProperty("replicasRunning").GetInt32() == 2 && json.GetProperty("updateState").GetString() is null or "completed", Converge);
        var before = await RunningTasksAsync(name);

        using var restart = await f.Admin.PostAsync($"{Services}/{name}/restart", null);
        Assert.Equal(HttpStatusCode.Accepted, restart.StatusCode);
        var operationId = (await restart.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("operationId").GetString();
        var operation = await f.Admin.GetUntilAsync($"/api/operations/{operationId}", (_, json) => json.GetProperty("state").GetString() is not ("running" or "pending"), Converge);
        Assert.Equal("succeeded", operation.GetProperty("state").GetString());
        Assert.Equal((2, 2), (operation.GetProperty("progress").GetProperty("done").GetInt32(), operation.GetProperty("progress").GetProperty("total").GetInt32()));
        var after = await RunningTasksAsync(name);
        Assert.Equal(2, after.Count);
        Assert.Empty(after.Intersect(before));

        using var removed = await f.Admin.DeleteAsync($"{Services}/{name}");
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        await f.Admin.GetUntilAsync($"{Services}/{name}", (status, _) => status == HttpStatusCode.NotFound, Converge);

        var audit = await f.Admin.GetFromJsonAsync<JsonElement>("/api/audit?actor=admin&limit=500");
        string[] actions = ["services.create", "services.edit", "services.restart", "services.remove"];
        foreach (var action in actions)
        {
            Assert.Contains(audit.EnumerateArray(), a => a.GetProperty("action").GetString() == action && a.GetProperty("target").GetString() == $"{Cluster}/{name}" && a.GetProperty("result").GetString() == "succeeded");
        }
        Assert.Contains(audit.EnumerateArray(), a => a.GetProperty("action").GetString() == "services.edit" && a.GetProperty("diff").GetString()?.Contains("Mode.Replicated.Replicas: 1 → 2") == true);
    }

    [Fact]
    public async Task A_stack_Operator_creates_only_in_their_stack_and_only_an_Admin_of_the_cluster_binds_a_host_path()
    {
        var inX = Name("inx");
        using var allowed = await f.StackOperator.PostAsJsonAsync(Services, Request(inX, f.StackX));
        Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);
        Assert.Equal(f.StackX, (await allowed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("stack").GetString());

        using var other = await f.StackOperator.PostAsJsonAsync(Services, Request(Name("iny"), f.StackY));
        await AssertProblemAsync(other, HttpStatusCode.Forbidden, $"{Cluster}/{f.StackY}");

        var bind = new
        {
            name = Name("bind"),
            image = SwarmEnvironment.DemoImage,
            replicas = 0,
            labels = new Dictionary<string, string> { ["com.docker.stack.namespace"] = f.StackX },
            mounts = new[] { new { type = "bind", source = "/tmp", target = "/host-tmp" } },
        };
        using var refused = await f.StackOperator.PostAsJsonAsync(Services, bind);
        await AssertProblemAsync(refused, HttpStatusCode.Forbidden, "a bind mount of the host path /tmp (volumes), which only an Admin of the cluster may use");
        using var admin = await f.Admin.PostAsJsonAsync(Services, bind);
        Assert.Equal(HttpStatusCode.Created, admin.StatusCode);

        // Editing the stack's service is theirs; editing the bind-mounted one is not, though it is in their stack.
        // Both are found in ControlPlane's picture, which the watcher brings up to date within moments.
        foreach (var created in new[] { inX, bind.name })
        {
            await f.Admin.GetUntilAsync($"{Services}/{created}", (status, _) => status == HttpStatusCode.OK, Converge);
        }
        using var edit = await f.StackOperator.PatchAsJsonAsync($"{Services}/{inX}", new { replicas = 0 });
        Assert.Equal(HttpStatusCode.OK, edit.StatusCode);
        using var editBind = await f.StackOperator.PatchAsJsonAsync($"{Services}/{bind.name}", new { replicas = 0 });
        await AssertProblemAsync(editBind, HttpStatusCode.Forbidden, "(volumes)");

        using var removeX = await f.StackOperator.DeleteAsync($"{Services}/{inX}");
        Assert.Equal(HttpStatusCode.OK, removeX.StatusCode);
        using var removeBind = await f.Admin.DeleteAsync($"{Services}/{bind.name}");
        Assert.Equal(HttpStatusCode.OK, removeBind.StatusCode);

        var audit = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/audit?actor={f.User("stackop")}&limit=200");
        Assert.Contains(audit.EnumerateArray(), a => a.GetProperty("action").GetString() == "services.create" && a.GetProperty("result").GetString() == "denied"
            && a.GetProperty("target").GetString() == $"{Cluster}/{f.StackY}/{Name("iny")}");
        Assert.Contains(audit.EnumerateArray(), a => a.GetProperty("action").GetString() == "services.create" && a.GetProperty("result").GetString() == "denied"
            && a.GetProperty("detail").GetString()!.Contains("(volumes)"));
        Assert.Contains(audit.EnumerateArray(), a => a.GetProperty("action").GetString() == "services.edit" && a.GetProperty("result").GetString() == "denied");
    }

    [Fact]
    public async Task Bad_input_is_a_400_naming_each_problem_and_creates_nothing()
    {
        using var response = await f.Admin.PostAsJsonAsync(Services, new { name = "Bad Name", image = "demo/UpperCase", mode = "sometimes", ports = new[] { new { target = 0 } }, networks = new[] { "no-such-network" } });

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "name 'Bad Name' is not a service name");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["name", "image", "mode", "ports[0]", "networks[0]"], problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("key").GetString()));
    }

    [Fact]
    public async Task A_Viewer_is_refused_every_workload_change_and_each_refusal_is_audited()
    {
        var calls = new (HttpMethod Method, string Path, object? Body)[]
        {
            (HttpMethod.Post, Services, Request(Name("viewer"), null)),
            (HttpMethod.Patch, $"{Services}/{Name("viewer")}", new { replicas = 1 }),
            (HttpMethod.Post, $"{Services}/{Name("viewer")}/restart", null),
            (HttpMethod.Delete, $"{Services}/{Name("viewer")}", null),
            (HttpMethod.Post, $"/api/clusters/{Cluster}/nodes/cp-node2/role", new { role = "manager" }),
            (HttpMethod.Put, $"/api/clusters/{Cluster}/nodes/cp-node2/labels", new { labels = new Dictionary<string, string>() }),
            (HttpMethod.Delete, $"/api/clusters/{Cluster}/nodes/cp-node2", null),
            (HttpMethod.Get, $"/api/clusters/{Cluster}/swarm/join-tokens", null),
            (HttpMethod.Post, $"/api/clusters/{Cluster}/swarm/join-tokens/rotate", new { role = "worker" }),
        };
        foreach (var (method, path, body) in calls)
        {
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
            using var response = await f.Viewer.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        var audit = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/audit?actor={f.User("viewer")}&limit=200");
        var denied = audit.EnumerateArray().Where(a => a.GetProperty("result").GetString() == "denied").Select(a => a.GetProperty("action").GetString()).ToList();
        Assert.Equal(
            new[] { "services.create", "services.edit", "services.restart", "services.remove", "nodes.role", "nodes.labels", "nodes.remove", "swarm.jointokens.view", "swarm.jointokens.rotate" }.Order(),
            denied.Order());
    }

    [Fact]
    public async Task Node_labels_set_through_the_api_place_a_task_by_constraint_and_are_put_back()
    {
        using var docker = WorkloadsFixture.Docker();
        var node = await docker.Swarm.InspectNodeAsync("cp-node3");
        var original = new Dictionary<string, string>(node.Spec!.Labels ?? new Dictionary<string, string>());
        var name = Name("placed");
        try
        {
            using var set = await f.Admin.PutAsJsonAsync($"/api/clusters/{Cluster}/nodes/cp-node3/labels", new { labels = new Dictionary<string, string>(original) { ["hw-zone"] = f.Run } });
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
            Assert.Contains($"Labels.hw-zone: (none) → \"{f.Run}\"", (await set.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("diff").GetString());
            using var bad = await f.Admin.PutAsJsonAsync($"/api/clusters/{Cluster}/nodes/cp-node3/labels", new { labels = new Dictionary<string, string> { ["bad key"] = "x" } });
            await AssertProblemAsync(bad, HttpStatusCode.BadRequest, "may not hold spaces");

            using var created = await f.Admin.PostAsJsonAsync(Services, new { name, image = SwarmEnvironment.DemoImage, replicas = 1, constraints = new[] { $"node.labels.hw-zone=={f.Run}" } });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var tasks = await f.Admin.GetUntilAsync($"/api/clusters/{Cluster}/tasks?service={name}",
                (_, json) => json.ValueKind == JsonValueKind.Array && json.EnumerateArray().Any(t => t.GetProperty("state").GetString() == "running"), Converge);
            Assert.All(tasks.EnumerateArray().Where(t => t.GetProperty("state").GetString() == "running"), t => Assert.Equal(node.ID, t.GetProperty("nodeId").GetString()));
        }
        finally
        {
            using var removed = await f.Admin.DeleteAsync($"{Services}/{name}");
            using var restored = await f.Admin.PutAsJsonAsync($"/api/clusters/{Cluster}/nodes/cp-node3/labels", new { labels = original });
            Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
        }
        Assert.Equal(original, (await docker.Swarm.InspectNodeAsync("cp-node3")).Spec!.Labels ?? new Dictionary<string, string>());
    }

    [Fact]
    public async Task Removing_a_node_that_is_up_is_refused_with_what_to_do_first()
    {
        using var response = await f.Admin.DeleteAsync($"/api/clusters/{Cluster}/nodes/cp-node3");

        await AssertProblemAsync(response, HttpStatusCode.Conflict, "cp-node3 is ready, not down: drain it");
        using var docker = WorkloadsFixture.Docker();
        Assert.Equal(3, (await docker.Swarm.ListNodesAsync()).Count);
    }

    [Fact]
    public async Task Join_tokens_are_for_Admins_and_never_reach_the_audit_log_or_the_logs()
    {
        using var operatorRead = await f.ClusterOperator.GetAsync($"/api/clusters/{Cluster}/swarm/join-tokens");
        Assert.Equal(HttpStatusCode.Forbidden, operatorRead.StatusCode);

        var tokens = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/clusters/{Cluster}/swarm/join-tokens");
        var worker = tokens.GetProperty("worker").GetString()!;
        var manager = tokens.GetProperty("manager").GetString()!;
        Assert.StartsWith("SWMTKN-", worker);
        Assert.StartsWith("SWMTKN-", manager);
        Assert.Contains("10.99.0.11:2377", tokens.GetProperty("managerAddresses").EnumerateArray().Select(a => a.GetString()));

        using var rotate = await f.Admin.PostAsJsonAsync($"/api/clusters/{Cluster}/swarm/join-tokens/rotate", new { role = "worker" });
        Assert.Equal(HttpStatusCode.OK, rotate.StatusCode);
        var rotated = await f.Admin.GetFromJsonAsync<JsonElement>($"/api/clusters/{Cluster}/swarm/join-tokens");
        var newWorker = rotated.GetProperty("worker").GetString()!;
        Assert.NotEqual(worker, newWorker);
        Assert.Equal(manager, rotated.GetProperty("manager").GetString());

        var audit = await f.Admin.GetStringAsync("/api/audit?limit=1000");
        Assert.Contains("\"swarm.jointokens.view\"", audit);
        Assert.Contains("join tokens viewed", audit);
        Assert.Contains("worker join token rotated", audit);
        Assert.Contains("\"denied\"", audit);
        // The secret part of a token is its last segment; the prefix is shared by every token of the swarm.
        foreach (var token in new[] { worker, manager, newWorker })
        {
            var secret = token.Split('-')[^1];
            Assert.DoesNotContain(secret, audit);
            Assert.DoesNotContain(f.App.Logs.Lines, line => line.Contains(secret, StringComparison.Ordinal));
        }
    }

    /// <summary>Puts a node back to worker whatever the test left it as; its spec moves while Docker reconciles a role, so a write can meet "update out of sequence".</summary>
    internal static async Task DemoteAsync(DockerClient docker, string hostname)
    {
        for (var attempt = 1; ; attempt++)
        {
            var node = await docker.Swarm.InspectNodeAsync(hostname);
            if (node.Spec!.Role == "worker")
            {
                return;
            }
            try
            {
                await docker.Swarm.UpdateNodeAsync(node.ID!, node.Version!.Index!.Value, new NodeUpdateParameters { Name = node.Spec.Name, Labels = node.Spec.Labels, Availability = node.Spec.Availability, Role = "worker" });
            }
            catch (DockerApiException) when (attempt < 20)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }
    }

    internal static JsonElement? Node(JsonElement nodes, string hostname) =>
        nodes.ValueKind == JsonValueKind.Array ? nodes.EnumerateArray().Cast<JsonElement?>().FirstOrDefault(n => n!.Value.GetProperty("hostname").GetString() == hostname) : null;

    private async Task<List<string>> RunningTasksAsync(string service)
    {
        using var docker = WorkloadsFixture.Docker();
        var tasks = await docker.Tasks.ListAsync(new TasksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = new Dictionary<string, bool> { [service] = true }, ["desired-state"] = new Dictionary<string, bool> { ["running"] = true } },
        });
        return tasks.Where(t => t.Status?.State.ToString()?.Equals("running", StringComparison.OrdinalIgnoreCase) == true).Select(t => t.ID!).ToList();
    }

    private static object Request(string name, string? stack) => new
    {
        name,
        image = SwarmEnvironment.DemoImage,
        replicas = 0,
        labels = stack is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["com.docker.stack.namespace"] = stack },
    };

    internal static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detail)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Contains(detail, JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString());
    }
}

/// <summary>
/// Runs alone: a swarm of two managers needs both for every write while the new one catches up, so the other suites'
/// changes on the shared swarm would time out meanwhile ("context deadline exceeded").
/// </summary>
[CollectionDefinition(nameof(SwarmTopologyCollection), DisableParallelization = true)]
public sealed class SwarmTopologyCollection;

/// <summary>A node's role changed through the API on the real swarm, and the quorum kept.</summary>
[Collection(nameof(SwarmTopologyCollection))]
public sealed class NodeRoleTests(WorkloadsFixture f) : IClassFixture<WorkloadsFixture>
{
    private const string Cluster = WorkloadsFixture.Cluster;
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_worker_is_promoted_with_a_warning_and_demoted_back_and_the_only_manager_is_never_demoted()
    {
        using var docker = WorkloadsFixture.Docker();
        try
        {
            using var only = await f.Admin.PostAsJsonAsync($"/api/clusters/{Cluster}/nodes/cp-node1/role", new { role = "worker" });
            await WorkloadApiTests.AssertProblemAsync(only, HttpStatusCode.Conflict, "cp-node1 is the only manager");

            using var promote = await f.Admin.PostAsJsonAsync($"/api/clusters/{Cluster}/nodes/cp-node2/role", new { role = "manager" });
            Assert.Equal(HttpStatusCode.OK, promote.StatusCode);
            var promoted = await promote.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains("2 managers, an even number", promoted.GetProperty("message").GetString());
            Assert.Contains("Role: \"worker\" → \"manager\"", promoted.GetProperty("diff").GetString());
            await f.Admin.GetUntilAsync($"/api/clusters/{Cluster}/nodes", (_, json) => WorkloadApiTests.Node(json, "cp-node2") is { } n
                && n.GetProperty("role").GetString() == "manager" && n.GetProperty("managerReachability").GetString() == "reachable", Converge);

            using var demote = await f.Admin.PostAsJsonAsync($"/api/clusters/{Cluster}/nodes/cp-node2/role", new { role = "worker" });
            Assert.True(demote.StatusCode == HttpStatusCode.OK, $"demote: {(int)demote.StatusCode} {await demote.Content.ReadAsStringAsync()}");
            Assert.Equal("worker", (await docker.Swarm.InspectNodeAsync("cp-node2")).Spec!.Role);
            await f.Admin.GetUntilAsync($"/api/clusters/{Cluster}/nodes", (_, json) => WorkloadApiTests.Node(json, "cp-node2")?.GetProperty("role").GetString() == "worker", Converge);
        }
        finally
        {
            await WorkloadApiTests.DemoteAsync(docker, "cp-node2");
        }
        var audit = await f.Admin.GetFromJsonAsync<JsonElement>("/api/audit?actor=admin&action=nodes.role&limit=100");
        Assert.Contains(audit.EnumerateArray(), a => a.GetProperty("result").GetString() == "failed" && a.GetProperty("detail").GetString()!.Contains("only manager"));
    }
}
