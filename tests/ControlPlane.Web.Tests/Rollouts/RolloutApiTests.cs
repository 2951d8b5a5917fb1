using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;
using static ControlPlane.Web.Tests.Rollouts.ImageSwarm;

namespace ControlPlane.Web.Tests.Rollouts;

/// <summary>Rollouts through the API on the real swarm: progress task by task, Docker's own rollback, the history, and bad input.</summary>
[Collection(ImageSwarmCollection.Name)]
public sealed class RolloutApiTests(SwarmAppFactory factory, Xunit.Abstractions.ITestOutputHelper output)
{
    private readonly HttpClient _client = factory.CreateAdminClient();

    [Fact]
    public async Task Rolling_demo_app_1_to_2_over_three_nodes_moves_task_by_task_and_lands_in_the_history()
    {
        using var docker = Manager();
        var name = $"ro-ok-{Guid.NewGuid():N}"[..14];
        string? id = null;
        try
        {
            id = await CreateRunningAsync(_client, docker, Spec(name, 3, "1"));
            var nodes = (await docker.Tasks.ListAsync(new global::Docker.DotNet.Models.TasksListParameters())).Where(t => t.ServiceID == id && t.Status!.State.ToString()!.Equals("running", StringComparison.OrdinalIgnoreCase)).Select(t => t.NodeID).Distinct().Count();
            Assert.Equal(3, nodes);

            var operationId = await StartAsync(_client, $"/api/clusters/{Cluster}/services/{name}/rollout",
                new { image = Demo("2"), update = new { parallelism = 1, delaySeconds = 0, monitorSeconds = 1 } });
            var (operation, progress) = await FollowAsync(_client, operationId, TimeSpan.FromMinutes(3));

            output.WriteLine($"progress seen: {string.Join(" → ", progress)}");
            Assert.True(operation.GetProperty("state").GetString() == "succeeded", operation.ToString());
            Assert.Equal(3, operation.GetProperty("progress").GetProperty("total").GetInt32());
            Assert.Equal(0, progress[0]);
            Assert.Equal(3, progress[^1]);
            Assert.True(progress.Zip(progress.Skip(1)).All(p => p.First < p.Second), $"progress went {string.Join(" → ", progress)}");
            var steps = operation.GetProperty("steps").EnumerateArray().ToList();
            foreach (var slot in new[] { "slot 1", "slot 2", "slot 3" })
            {
                var step = steps.Single(s => s.GetProperty("name").GetString() == slot);
                Assert.Equal("succeeded", step.GetProperty("state").GetString());
                Assert.Contains($"running {Demo("2")}", step.GetProperty("message").GetString());
                Assert.StartsWith("cp-node", step.GetProperty("node").GetString());
            }
            Assert.Contains(steps, s => s.GetProperty("name").GetString() == "docker update" && s.GetProperty("state").GetString() == "succeeded");
            // Parallelism 1: three batches of one slot each, in the order Docker moved them.
            Assert.Equal(["batch 1", "batch 2", "batch 3"], steps.Select(s => s.GetProperty("name").GetString()!).Where(n => n.StartsWith("batch", StringComparison.Ordinal)).Order().ToArray());
            Assert.All(steps.Where(s => s.GetProperty("name").GetString()!.StartsWith("batch", StringComparison.Ordinal)), s => Assert.Equal("succeeded", s.GetProperty("state").GetString()));
            var images = await RunningImagesAsync(docker, id);
            Assert.Equal(3, images.Count);
            Assert.All(images, image => Assert.StartsWith(Demo("2") + "@sha256:", image));

            // The watcher's picture catches up within a task relist; then every node runs the digest the spec asks for.
            var drift = await _client.GetUntilAsync($"/api/clusters/{Cluster}/services/{name}/drift",
                (_, json) => json.GetProperty("cells").GetArrayLength() == 3 && json.GetProperty("differingNodes").GetInt32() == 0
                    && json.GetProperty("cells").EnumerateArray().All(c => c.GetProperty("digest").GetString() == json.GetProperty("wantedDigest").GetString()),
                TimeSpan.FromSeconds(30));
            Assert.Equal(3, drift.GetProperty("cells").EnumerateArray().Select(c => c.GetProperty("nodeHostname").GetString()).Distinct().Count());

            var history = await _client.GetFromJsonAsync<JsonElement>($"/api/clusters/{Cluster}/services/{name}/rollouts");
            var entry = history.EnumerateArray().Single(h => h.GetProperty("id").GetString() == operationId);
            Assert.Equal("succeeded", entry.GetProperty("state").GetString());
            Assert.Equal("admin", entry.GetProperty("actor").GetString());
            Assert.Equal(Demo("2"), entry.GetProperty("parameters").GetProperty("image").GetString());
            Assert.Equal(1, entry.GetProperty("parameters").GetProperty("update").GetProperty("parallelism").GetInt32());
            Assert.True(entry.GetProperty("durationSeconds").GetDouble() > 0);
        }
        finally
        {
            await RemoveQuietlyAsync(docker, id);
        }
    }

    [Fact]
    public async Task A_global_service_rolls_node_by_node_with_one_step_per_node()
    {
        using var docker = Manager();
        var spec = Spec($"ro-gl-{Guid.NewGuid():N}"[..14], 0, "1");
        spec.Mode = new global::Docker.DotNet.Models.ServiceMode { Global = new global::Docker.DotNet.Models.GlobalService() };
        spec.TaskTemplate!.Placement = null;
        string? id = null;
        try
        {
            id = (await docker.Swarm.CreateServiceAsync(new global::Docker.DotNet.Models.ServiceCreateParameters { Service = spec })).ID!;
            await _client.GetUntilAsync($"/api/clusters/{Cluster}/services/{spec.Name}", (status, json) => status == HttpStatusCode.OK && json.GetProperty("replicasRunning").GetInt32() == 3,
                TimeSpan.FromSeconds(120));

            var operationId = await StartAsync(_client, $"/api/clusters/{Cluster}/services/{spec.Name}/rollout", new { image = Demo("2"), update = new { monitorSeconds = 1 } });
            var (operation, progress) = await FollowAsync(_client, operationId, TimeSpan.FromMinutes(3));

            Assert.True(operation.GetProperty("state").GetString() == "succeeded", operation.ToString());
            Assert.Equal(3, operation.GetProperty("progress").GetProperty("total").GetInt32());
            Assert.Equal(3, progress[^1]);
            var nodes = operation.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("name").GetString()!).Where(n => n.StartsWith("node ", StringComparison.Ordinal)).Order().ToArray();
            Assert.Equal(["node cp-node1", "node cp-node2", "node cp-node3"], nodes);
            Assert.All(await RunningImagesAsync(docker, id), image => Assert.StartsWith(Demo("2") + "@sha256:", image));
        }
        finally
        {
            await RemoveQuietlyAsync(docker, id);
        }
    }

    [Fact]
    public async Task A_broken_image_with_failure_action_rollback_ends_rolledback_on_the_previous_image_with_the_task_error()
    {
        using var docker = Manager();
        var name = $"ro-bad-{Guid.NewGuid():N}"[..15];
        string? id = null;
        try
        {
            id = await CreateRunningAsync(_client, docker, Spec(name, 2, "1"));

            var operationId = await StartAsync(_client, $"/api/clusters/{Cluster}/services/{name}/rollout",
                new { image = Demo("broken"), update = new { parallelism = 1, failureAction = "rollback", monitorSeconds = 2 } });
            var (operation, _) = await FollowAsync(_client, operationId, TimeSpan.FromMinutes(3));

            Assert.True(operation.GetProperty("state").GetString() == "rolledback", operation.ToString());
            var error = operation.GetProperty("error").GetString()!;
            Assert.Contains("rolled", error);
            Assert.Contains("exit", error);
            var spec = (await docker.Swarm.InspectServiceAsync(id)).Spec!;
            Assert.Equal(Demo("1"), spec.TaskTemplate!.ContainerSpec!.Image);
            Assert.Contains(operation.GetProperty("steps").EnumerateArray(), s => s.GetProperty("state").GetString() == "failed" && s.GetProperty("message").GetString()!.Contains("broken"));

            var history = await _client.GetFromJsonAsync<JsonElement>($"/api/clusters/{Cluster}/services/{name}/rollouts");
            Assert.Contains(history.EnumerateArray(), h => h.GetProperty("id").GetString() == operationId && h.GetProperty("state").GetString() == "rolledback");
        }
        finally
        {
            await RemoveQuietlyAsync(docker, id);
        }
    }

    [Fact]
    public async Task A_paused_update_reports_failed_resumes_and_can_then_be_rolled_back()
    {
        using var docker = Manager();
        var name = $"ro-pause-{Guid.NewGuid():N}"[..16];
        string? id = null;
        try
        {
            id = await CreateRunningAsync(_client, docker, Spec(name, 2, "1"));

            var rollout = await StartAsync(_client, $"/api/clusters/{Cluster}/services/{name}/rollout",
                new { image = Demo("broken"), update = new { failureAction = "pause", monitorSeconds = 2 } });
            var (paused, _) = await FollowAsync(_client, rollout, TimeSpan.FromMinutes(3));
            Assert.True(paused.GetProperty("state").GetString() == "failed", paused.ToString());
            Assert.Contains("paused", paused.GetProperty("error").GetString());
            Assert.Contains("exit", paused.GetProperty("error").GetString());

            // Resuming writes the spec again, which clears Docker's pause. The broken image still fails, so the resumed
            // follow ends failed too: paused again, or (when Docker had already moved every slot) no update and failing tasks.
            await _client.GetUntilAsync($"/api/clusters/{Cluster}/services/{name}", (_, json) => json.GetProperty("updateState").GetString() == "paused", TimeSpan.FromSeconds(30));
            var resume = await StartAsync(_client, $"/api/clusters/{Cluster}/services/{name}/rollout/resume", new { });
            var (resumed, _) = await FollowAsync(_client, resume, TimeSpan.FromMinutes(3));
            Assert.True(resumed.GetProperty("state").GetString() == "failed", resumed.ToString());
            Assert.Contains("exit", resumed.GetProperty("error").GetString());
            Assert.Equal(Demo("broken"), (await docker.Swarm.InspectServiceAsync(id)).PreviousSpec!.TaskTemplate!.ContainerSpec!.Image!.Split('@')[0]);

            // Docker's previous spec is now the resumed one, so the rollback restores the image before the rollout.
            var rollback = await StartAsync(_client, $"/api/clusters/{Cluster}/services/{name}/rollback", new { });
            var (rolledBack, _) = await FollowAsync(_client, rollback, TimeSpan.FromMinutes(3));
            Assert.True(rolledBack.GetProperty("state").GetString() == "succeeded", rolledBack.ToString());
            Assert.All(await RunningImagesAsync(docker, id), image => Assert.Equal(Demo("1"), ImageWithoutDigest(image)));

            var history = await _client.GetFromJsonAsync<JsonElement>($"/api/clusters/{Cluster}/services/{name}/rollouts");
            Assert.Equal([rollback, resume, rollout], history.EnumerateArray().Select(h => h.GetProperty("id").GetString()!).ToArray());
        }
        finally
        {
            await RemoveQuietlyAsync(docker, id);
        }
    }

    [Fact]
    public async Task Bad_input_is_refused_before_anything_changes()
    {
        using var docker = Manager();
        var name = $"ro-val-{Guid.NewGuid():N}"[..15];
        string? id = null;
        try
        {
            id = await CreateRunningAsync(_client, docker, Spec(name, 1, "1"));
            var version = (await docker.Swarm.InspectServiceAsync(id)).Version!.Index;
            var path = $"/api/clusters/{Cluster}/services/{name}/rollout";

            await AssertProblemAsync(path, new { image = "Demo/App::2" }, HttpStatusCode.BadRequest, "not a valid image reference");
            await AssertProblemAsync(path, new { image = Demo("nope") }, HttpStatusCode.BadRequest, $"The registry has no {Demo("nope")}");
            await AssertProblemAsync(path, new { image = "10.99.0.250:5000/demo/app:2" }, HttpStatusCode.BadRequest, "cannot be reached from the manager");
            await AssertProblemAsync(path, new { image = Demo("2"), update = new { parallelism = -1 } }, HttpStatusCode.BadRequest, "parallelism");
            await AssertProblemAsync(path, new { image = Demo("2"), update = new { maxFailureRatio = 1.5 } }, HttpStatusCode.BadRequest, "maxFailureRatio");
            await AssertProblemAsync(path, new { image = Demo("2"), update = new { failureAction = "explode" } }, HttpStatusCode.BadRequest, "failureAction");
            await AssertProblemAsync($"/api/clusters/{Cluster}/services/no-such-service/rollout", new { image = Demo("2") }, HttpStatusCode.NotFound, "no-such-service");
            await AssertProblemAsync($"/api/clusters/{Cluster}/services/{name}/rollout/resume", new { }, HttpStatusCode.BadRequest, "no paused update");
            await AssertProblemAsync($"/api/clusters/{Cluster}/services/{name}/rollback", new { }, HttpStatusCode.BadRequest, "no previous spec");
            Assert.Equal(version, (await docker.Swarm.InspectServiceAsync(id)).Version!.Index);

            var first = await StartAsync(_client, path, new { image = Demo("2"), update = new { monitorSeconds = 1 } });
            await AssertProblemAsync(path, new { image = Demo("1") }, HttpStatusCode.Conflict, "running");
            await AssertProblemAsync($"/api/clusters/{Cluster}/services/{name}/scale", new { replicas = 2 }, HttpStatusCode.Conflict, "running");
            var (operation, _) = await FollowAsync(_client, first, TimeSpan.FromMinutes(2));
            Assert.Equal("succeeded", operation.GetProperty("state").GetString());
            Assert.All(await RunningImagesAsync(docker, id), image => Assert.StartsWith(Demo("2"), image));
        }
        finally
        {
            await RemoveQuietlyAsync(docker, id);
        }
    }

    private static string ImageWithoutDigest(string image) => image.Split('@')[0];

    private async Task AssertProblemAsync(string path, object body, HttpStatusCode status, string detail)
    {
        using var response = await _client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"POST {path} {JsonSerializer.Serialize(body)}: expected {(int)status}, got {(int)response.StatusCode} {text}");
        Assert.Contains(detail, JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString());
    }
}
