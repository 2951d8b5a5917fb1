using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ControlPlane.Web.Tests.Api;

/// <summary>Changes through the API reach the real swarm, are audited with a spec diff, and bad input changes nothing.</summary>
public sealed class ChangeApiTests(SwarmAppFactory factory) : IClassFixture<SwarmAppFactory>
{
    private const string Cluster = SwarmAppFactory.ClusterId;
    private readonly HttpClient _client = factory.CreateAdminClient();

    [Fact]
    public async Task Scaling_a_service_reaches_the_swarm_and_the_audit_log_holds_the_spec_diff()
    {
        using var docker = new DockerClientBuilder().WithEndpoint(new Uri(SwarmEnvironment.DockerHost)).Build();
        var name = $"scale-{Guid.NewGuid():N}"[..14];
        var id = (await docker.Swarm.CreateServiceAsync(new ServiceCreateParameters { Service = Spec(name, 1) })).ID!;
        try
        {
            await _client.GetUntilAsync($"/api/clusters/{Cluster}/services/{name}", (status, json) => status == HttpStatusCode.OK && json.GetProperty("replicasRunning").GetInt32() == 1,
                TimeSpan.FromSeconds(90));

            using var scaled = await _client.PostAsJsonAsync($"/api/clusters/{Cluster}/services/{name}/scale", new { replicas = 2 });

            Assert.Equal(HttpStatusCode.OK, scaled.StatusCode);
            Assert.Contains("Mode.Replicated.Replicas: 1 → 2", (await scaled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("diff").GetString());
            Assert.Equal(2UL, (await docker.Swarm.InspectServiceAsync(id)).Spec!.Mode!.Replicated!.Replicas);
            await _client.GetUntilAsync($"/api/clusters/{Cluster}/services/{name}", (_, json) => json.GetProperty("replicasRunning").GetInt32() == 2, TimeSpan.FromSeconds(90));
            var audit = await _client.GetFromJsonAsync<JsonElement>("/api/audit?action=services.scale&actor=admin");
            var record = audit.EnumerateArray().First(a => a.GetProperty("target").GetString()!.EndsWith(name) && a.GetProperty("result").GetString() == "succeeded");
            Assert.Contains("Mode.Replicated.Replicas: 1 → 2", record.GetProperty("diff").GetString());
            Assert.Contains(audit.EnumerateArray(), a => a.GetProperty("target").GetString()!.EndsWith(name) && a.GetProperty("result").GetString() == "started");
        }
        finally
        {
            await docker.Swarm.RemoveServiceAsync(id);
        }
    }

    [Fact]
    public async Task Bad_input_gets_a_clear_problem_and_changes_nothing()
    {
        using var docker = new DockerClientBuilder().WithEndpoint(new Uri(SwarmEnvironment.DockerHost)).Build();
        var name = $"bad-{Guid.NewGuid():N}"[..12];
        var id = (await docker.Swarm.CreateServiceAsync(new ServiceCreateParameters { Service = Spec(name, 0) })).ID!;
        var globalSpec = Spec($"{name}-g", 0);
        globalSpec.Mode = new ServiceMode { Global = new GlobalService() };
        var global = (await docker.Swarm.CreateServiceAsync(new ServiceCreateParameters { Service = globalSpec })).ID!;
        try
        {
            await _client.GetUntilAsync($"/api/clusters/{Cluster}/services/{name}-g", (status, _) => status == HttpStatusCode.OK, TimeSpan.FromSeconds(60));
            var version = (await docker.Swarm.InspectServiceAsync(id)).Version!.Index;

            await AssertProblemAsync($"/api/clusters/{Cluster}/services/{name}/scale", new { replicas = -1 }, HttpStatusCode.BadRequest, "0 or more");
            await AssertProblemAsync($"/api/clusters/{Cluster}/services/{name}/scale", new { }, HttpStatusCode.BadRequest, "replicas is required");
            // A stack Operator must not be able to swamp the managers (issue 11 item 10): the bound is configurable.
            await AssertProblemAsync($"/api/clusters/{Cluster}/services/{name}/scale", new { replicas = 10_000_000 }, HttpStatusCode.BadRequest, "at most 1000");
            await AssertProblemAsync($"/api/clusters/{Cluster}/services/{name}-g/scale", new { replicas = 2 }, HttpStatusCode.BadRequest, "global service");
            await AssertProblemAsync($"/api/clusters/{Cluster}/services/no-such-service/scale", new { replicas = 1 }, HttpStatusCode.NotFound, "no-such-service");
            await AssertProblemAsync($"/api/clusters/{Cluster}/nodes/cp-node2/availability", new { availability = "sleep" }, HttpStatusCode.BadRequest, "active, pause or drain");
            await AssertProblemAsync($"/api/clusters/{Cluster}/nodes/no-such-node/availability", new { availability = "pause" }, HttpStatusCode.NotFound, "no-such-node");

            Assert.Equal(version, (await docker.Swarm.InspectServiceAsync(id)).Version!.Index);
            Assert.Equal("active", (await docker.Swarm.InspectNodeAsync("cp-node2")).Spec!.Availability?.ToString()?.ToLowerInvariant());
        }
        finally
        {
            await docker.Swarm.RemoveServiceAsync(id);
            await docker.Swarm.RemoveServiceAsync(global);
        }
    }

    private async Task AssertProblemAsync(string path, object body, HttpStatusCode status, string detail)
    {
        using var response = await _client.PostAsJsonAsync(path, body);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(detail, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    private static ServiceSpec Spec(string name, ulong replicas) => new()
    {
        Name = name,
        TaskTemplate = new TaskSpec { ContainerSpec = new ContainerSpec { Image = SwarmEnvironment.DemoImage } },
        Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = replicas } },
    };
}
