using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ControlPlane.Web.Tests.Api;

/// <summary>The public HTTP API of a ControlPlane watching the real local swarm.</summary>
public sealed class SwarmApiTests(SwarmAppFactory factory) : IClassFixture<SwarmAppFactory>
{
    private const string Cluster = SwarmAppFactory.ClusterId;
    private static readonly TimeSpan SyncTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ConvergeTimeout = TimeSpan.FromSeconds(120);

    private readonly HttpClient _client = factory.CreateAdminClient();

    [Fact]
    public async Task Healthz_answers_200_at_once()
    {
        var response = await _client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Readyz_answers_200_with_the_database_reachable_once_the_cluster_is_synced()
    {
        var body = await _client.GetUntilAsync("/readyz", (status, _) => status == HttpStatusCode.OK, SyncTimeout);

        Assert.True(body.GetProperty("ready").GetBoolean());
        Assert.Equal("reachable", body.GetProperty("database").GetString());
        var cluster = Assert.Single(body.GetProperty("clusters").EnumerateArray());
        Assert.Equal(Cluster, cluster.GetProperty("id").GetString());
        Assert.Equal("synced", cluster.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Clusters_lists_the_swarm_as_synced_with_its_engine_version_and_endpoint()
    {
        var clusters = await _client.GetUntilAsync("/api/clusters", (_, json) => StatusOf(json) == "synced", SyncTimeout);

        var cluster = Assert.Single(clusters.EnumerateArray());
        Assert.Equal(Cluster, cluster.GetProperty("id").GetString());
        Assert.Equal(Cluster, cluster.GetProperty("name").GetString());
        Assert.Equal("synced", cluster.GetProperty("status").GetString());
        Assert.False(string.IsNullOrWhiteSpace(cluster.GetProperty("engineVersion").GetString()));
        Assert.Equal(new Uri(SwarmEnvironment.DockerHost), new Uri(cluster.GetProperty("endpoint").GetString()!));
        Assert.Equal(JsonValueKind.Null, cluster.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task Nodes_lists_one_ready_manager_and_two_ready_workers_with_the_public_fields()
    {
        await WaitUntilSyncedAsync();

        // Other test projects restart nodes of the shared swarm; give a restarted node time to report ready.
        var nodes = await _client.GetUntilAsync($"/api/clusters/{Cluster}/nodes",
            (status, json) => status == HttpStatusCode.OK && json.GetArrayLength() == 3
                && json.EnumerateArray().All(n => n.GetProperty("state").GetString() == "ready" && n.GetProperty("availability").GetString() == "active"),
            ConvergeTimeout);

        var all = nodes.EnumerateArray().ToList();
        foreach (var node in all)
        {
            foreach (var field in new[] { "id", "hostname", "role", "availability", "state", "managerReachability", "engineVersion", "labels" })
            {
                Assert.True(node.TryGetProperty(field, out _), $"node JSON lacks '{field}': {node}");
            }
            Assert.Equal("ready", node.GetProperty("state").GetString());
            Assert.Equal("active", node.GetProperty("availability").GetString());
            Assert.False(string.IsNullOrWhiteSpace(node.GetProperty("engineVersion").GetString()));
            Assert.Equal(JsonValueKind.Object, node.GetProperty("labels").ValueKind);
        }
        var manager = Assert.Single(all, n => n.GetProperty("role").GetString() == "manager");
        Assert.Equal("reachable", manager.GetProperty("managerReachability").GetString());
        var workers = all.Where(n => n.GetProperty("role").GetString() == "worker").ToList();
        Assert.Equal(2, workers.Count);
        Assert.All(workers, w => Assert.Equal(JsonValueKind.Null, w.GetProperty("managerReachability").ValueKind));
        Assert.Equal(3, all.Select(n => n.GetProperty("hostname").GetString()).Distinct().Count());
    }

    [Fact]
    public async Task A_service_created_in_docker_shows_in_services_and_tasks_and_is_found_by_name_and_id()
    {
        await WaitUntilSyncedAsync();
        var name = $"webtest-{Guid.NewGuid().ToString("N")[..8]}";
        using var docker = new DockerClientBuilder().WithEndpoint(new Uri(SwarmEnvironment.DockerHost)).Build();
        var created = await docker.Swarm.CreateServiceAsync(new ServiceCreateParameters
        {
            Service = new ServiceSpec
            {
                Name = name,
                TaskTemplate = new TaskSpec { ContainerSpec = new ContainerSpec { Image = SwarmEnvironment.DemoImage } },
                Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = 2 } },
            },
        });
        var id = created.ID ?? throw new InvalidOperationException("Docker created the service without an id.");
        try
        {
            var services = await _client.GetUntilAsync($"/api/clusters/{Cluster}/services",
                (_, json) => FindByName(json, name) is { } s && s.GetProperty("replicasRunning").GetInt32() == 2,
                ConvergeTimeout);
            var service = FindByName(services, name)!.Value;
            Assert.Equal(id, service.GetProperty("id").GetString());
            Assert.Equal(SwarmEnvironment.DemoImage, service.GetProperty("image").GetString());
            Assert.Equal("replicated", service.GetProperty("mode").GetString());
            Assert.Equal(2, service.GetProperty("replicasDesired").GetInt64());

            var tasks = await _client.GetUntilAsync($"/api/clusters/{Cluster}/tasks?service={name}",
                (_, json) => json.ValueKind == JsonValueKind.Array
                    && json.EnumerateArray().Count(t => t.GetProperty("state").GetString() == "running") == 2,
                ConvergeTimeout);
            Assert.All(tasks.EnumerateArray(), t =>
            {
                Assert.Equal(id, t.GetProperty("serviceId").GetString());
                Assert.Equal(name, t.GetProperty("serviceName").GetString());
            });
            var running = tasks.EnumerateArray().Where(t => t.GetProperty("state").GetString() == "running").ToList();
            Assert.Equal([1L, 2L], running.Select(t => t.GetProperty("slot").GetInt64()).Order());
            Assert.All(running, t =>
            {
                Assert.False(string.IsNullOrEmpty(t.GetProperty("nodeId").GetString()));
                Assert.False(string.IsNullOrEmpty(t.GetProperty("containerId").GetString()));
            });

            var byName = await _client.GetFromJsonAsync<JsonElement>($"/api/clusters/{Cluster}/services/{name}");
            Assert.Equal(id, byName.GetProperty("id").GetString());
            var byId = await _client.GetFromJsonAsync<JsonElement>($"/api/clusters/{Cluster}/services/{id}");
            Assert.Equal(name, byId.GetProperty("name").GetString());
        }
        finally
        {
            await docker.Swarm.RemoveServiceAsync(id);
        }

        // And the removal reaches the API as well.
        await _client.GetUntilAsync($"/api/clusters/{Cluster}/services/{name}",
            (status, _) => status == HttpStatusCode.NotFound, SyncTimeout);
    }

    [Fact]
    public async Task An_unknown_cluster_answers_404_problem_details_that_say_which_cluster()
    {
        var response = await _client.GetAsync("/api/clusters/no-such-cluster/nodes");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
        Assert.Contains("no-such-cluster", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_unknown_service_answers_404_problem_details()
    {
        await WaitUntilSyncedAsync();

        var response = await _client.GetAsync($"/api/clusters/{Cluster}/services/no-such-service-{Guid.NewGuid():N}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("no-such-service", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task The_openapi_document_is_served_and_lists_the_clusters_endpoint()
    {
        var document = await _client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/clusters", paths);
        Assert.Contains("/api/clusters/{cluster}/nodes", paths);
    }

    private Task WaitUntilSyncedAsync() =>
        _client.GetUntilAsync("/api/clusters", (_, json) => StatusOf(json) == "synced", SyncTimeout);

    private static string? StatusOf(JsonElement clusters) =>
        clusters.ValueKind == JsonValueKind.Array
            ? clusters.EnumerateArray().FirstOrDefault(c => c.GetProperty("id").GetString() == Cluster) is { ValueKind: JsonValueKind.Object } c
                ? c.GetProperty("status").GetString()
                : null
            : null;

    private static JsonElement? FindByName(JsonElement services, string name) =>
        services.ValueKind == JsonValueKind.Array
            ? services.EnumerateArray().Where(s => s.GetProperty("name").GetString() == name).Select(s => (JsonElement?)s).FirstOrDefault()
            : null;
}
