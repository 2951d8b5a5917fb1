using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;
using Docker.DotNet;
using Docker.DotNet.Models;
using static ControlPlane.Web.Tests.Rollouts.ImageSwarm;

namespace ControlPlane.Web.Tests.Rollouts;

/// <summary>
/// Distribution on the real swarm, checked through each node's own engine: ControlPlane reaches only the manager, so
/// a pull on a node is a one-task swarm job pinned to it.
/// </summary>
[Collection(ImageSwarmCollection.Name)]
public sealed class DistributionApiTests(SwarmAppFactory factory)
{
    private readonly HttpClient _client = factory.CreateAdminClient();

    [Fact]
    public async Task Distributing_demo_app_2_puts_it_on_every_node_and_leaves_no_job_behind()
    {
        var image = Demo("2");
        foreach (var endpoint in NodeEndpoints)
        {
            using var node = new DockerClientBuilder().WithEndpoint(new Uri(endpoint)).Build();
            try
            {
                // Force: a running container keeps its image, only the tag goes, so the node must pull again.
                await node.Images.DeleteImageAsync(image, new ImageDeleteParameters { Force = true });
            }
            catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
            }
            await Assert.ThrowsAsync<DockerImageNotFoundException>(() => node.Images.InspectImageAsync(image));
        }

        var operationId = await StartAsync(_client, $"/api/clusters/{Cluster}/images/distribute", new { image, nodes = (string[]?)null });
        var (operation, progress) = await FollowAsync(_client, operationId, TimeSpan.FromMinutes(3));

        Assert.True(operation.GetProperty("state").GetString() == "succeeded", operation.ToString());
        Assert.Equal(NodeEndpoints.Count, operation.GetProperty("progress").GetProperty("total").GetInt32());
        Assert.Equal(NodeEndpoints.Count, progress[^1]);
        var steps = operation.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(NodeEndpoints.Count, steps.Count);
        Assert.All(steps, s => Assert.Equal("succeeded", s.GetProperty("state").GetString()));
        foreach (var endpoint in NodeEndpoints)
        {
            using var node = new DockerClientBuilder().WithEndpoint(new Uri(endpoint)).Build();
            var pulled = await node.Images.InspectImageAsync(image);
            Assert.Contains(image, pulled.RepoTags!);
        }
        await AssertNoJobLeftAsync(operationId);
    }

    [Fact]
    public async Task An_image_the_registry_lacks_fails_on_each_node_with_its_error_and_changes_nothing_else()
    {
        using var docker = Manager();

        var operationId = await StartAsync(_client, $"/api/clusters/{Cluster}/images/distribute", new { image = Demo("nope"), nodes = new[] { "cp-node2", "cp-node3" } });
        var (operation, _) = await FollowAsync(_client, operationId, TimeSpan.FromMinutes(3));

        Assert.True(operation.GetProperty("state").GetString() == "failed", operation.ToString());
        var steps = operation.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(["cp-node2", "cp-node3"], steps.Select(s => s.GetProperty("node").GetString()!).ToArray());
        Assert.All(steps, s =>
        {
            Assert.Equal("failed", s.GetProperty("state").GetString());
            Assert.Contains("no such image", s.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        });
        Assert.Contains("2 of 2 nodes", operation.GetProperty("error").GetString());
        await AssertNoJobLeftAsync(operationId);
        // Nothing else changed: no service runs the missing image, and the pull jobs are gone (above). Other test
        // classes create and remove their own services on the shared swarm meanwhile, so the list is not compared.
        var after = await docker.Swarm.ListServicesAsync();
        Assert.DoesNotContain(after, s => s.Spec!.TaskTemplate!.ContainerSpec!.Image!.Contains(":nope", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Distributing_for_a_service_pulls_on_the_nodes_its_placement_allows_only()
    {
        using var docker = Manager();
        var spec = Spec($"dist-pl-{Guid.NewGuid():N}"[..16], 0, "1");
        spec.TaskTemplate!.Placement!.Constraints = ["node.hostname==cp-node3"];
        var id = (await docker.Swarm.CreateServiceAsync(new ServiceCreateParameters { Service = spec })).ID!;
        try
        {
            await _client.GetUntilAsync($"/api/clusters/{Cluster}/services/{spec.Name}", (status, _) => status == HttpStatusCode.OK, TimeSpan.FromSeconds(60));

            var operationId = await StartAsync(_client, $"/api/clusters/{Cluster}/images/distribute", new { image = Demo("1"), nodes = (string[]?)null, service = spec.Name });
            var (operation, _) = await FollowAsync(_client, operationId, TimeSpan.FromMinutes(3));

            Assert.True(operation.GetProperty("state").GetString() == "succeeded", operation.ToString());
            var step = Assert.Single(operation.GetProperty("steps").EnumerateArray());
            Assert.Equal("cp-node3", step.GetProperty("node").GetString());
            Assert.Equal(spec.Name, operation.GetProperty("parameters").GetProperty("service").GetString());
        }
        finally
        {
            await RemoveQuietlyAsync(docker, id);
        }
    }

    [Fact]
    public async Task Bad_distribution_requests_are_refused_before_anything_starts()
    {
        await AssertProblemAsync(new { image = "team/App:2" }, HttpStatusCode.BadRequest, "not a valid image reference");
        await AssertProblemAsync(new { image = Demo("2"), nodes = new[] { "no-such-node" } }, HttpStatusCode.BadRequest, "no-such-node");
        await AssertProblemAsync(new { image = Demo("2"), service = "no-such-service" }, HttpStatusCode.NotFound, "no-such-service");
    }

    private async Task AssertProblemAsync(object body, HttpStatusCode status, string detail)
    {
        using var response = await _client.PostAsJsonAsync($"/api/clusters/{Cluster}/images/distribute", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {text}");
        Assert.Contains(detail, JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString());
    }

    private static async Task AssertNoJobLeftAsync(string operationId)
    {
        using var docker = Manager();
        var left = await docker.Swarm.ListServicesAsync(new ServiceListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"controlplane.distribution={operationId}"] = true } },
        });
        Assert.Empty(left);
    }
}
