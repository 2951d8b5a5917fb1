using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;
using Docker.DotNet.Models;
using static ControlPlane.Web.Tests.Rollouts.ImageSwarm;

namespace ControlPlane.Web.Tests.Rollouts;

/// <summary>Waves across a stack on the real swarm, and who may roll out, roll back and distribute.</summary>
[Collection(ImageSwarmCollection.Name)]
public sealed class WaveAndPermissionTests(SwarmAppFactory factory)
{
    private const string Password = "rollout-password-123";
    private readonly HttpClient _admin = factory.CreateAdminClient();

    [Fact]
    public async Task A_stack_wide_wave_rollout_stops_at_the_first_failing_wave_and_leaves_later_waves_untouched()
    {
        using var docker = Manager();
        var run = Guid.NewGuid().ToString("N")[..6];
        var stack = $"wv{run}";
        // b runs only on version 1: on demo/app:2 it exits 4 at once, so its wave fails and Docker rolls it back.
        var onlyVersion1 = new List<string> { "/bin/sh", "-c", "[ \"$APP_VERSION\" = 1 ] && exec /entrypoint.sh; exit 4" };
        var ids = new List<string>();
        try
        {
            ids.Add(await CreateRunningAsync(_admin, docker, Spec($"{stack}-a", 1, "1", stack)));
            ids.Add(await CreateRunningAsync(_admin, docker, Spec($"{stack}-b", 1, "1", stack, onlyVersion1)));
            ids.Add(await CreateRunningAsync(_admin, docker, Spec($"{stack}-c", 1, "1", stack)));

            var operationId = await StartAsync(_admin, $"/api/clusters/{Cluster}/rollouts/waves",
                new { stack, image = Demo("2"), waveSize = 1, update = new { failureAction = "rollback", monitorSeconds = 2 } });
            var (operation, _) = await FollowAsync(_admin, operationId, TimeSpan.FromMinutes(3));

            Assert.True(operation.GetProperty("state").GetString() == "failed", operation.ToString());
            Assert.Contains("Wave 2 of 3 failed", operation.GetProperty("error").GetString());
            Assert.Equal(1, operation.GetProperty("progress").GetProperty("done").GetInt32());
            var steps = operation.GetProperty("steps").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("state").GetString());
            Assert.Equal("succeeded", steps[$"{stack}-a"]);
            Assert.Equal("rolledback", steps[$"{stack}-b"]);
            Assert.Equal("skipped", steps[$"{stack}-c"]);
            Assert.Equal("failed", steps["wave 2"]);
            Assert.False(steps.ContainsKey("wave 3"));

            Assert.All(await RunningImagesAsync(docker, ids[0]), image => Assert.StartsWith(Demo("2") + "@sha256:", image));
            Assert.Equal(Demo("1"), (await docker.Swarm.InspectServiceAsync(ids[1])).Spec!.TaskTemplate!.ContainerSpec!.Image);
            var untouched = await docker.Swarm.InspectServiceAsync(ids[2]);
            Assert.Equal(Demo("1"), untouched.Spec!.TaskTemplate!.ContainerSpec!.Image);
            Assert.Null(untouched.PreviousSpec);
        }
        finally
        {
            foreach (var id in ids)
            {
                await RemoveQuietlyAsync(docker, id);
            }
        }
    }

    [Fact]
    public async Task A_repository_wave_moves_every_service_from_that_repository_across_stacks_and_no_other()
    {
        using var docker = Manager();
        var run = Guid.NewGuid().ToString("N")[..6];
        // A repository of this test's own in the local registry, so a repository-wide rollout moves no other test's service.
        var repository = $"{Registry}/wv{run}/app";
        foreach (var tag in new[] { "1", "2" })
        {
            await docker.Images.CreateImageAsync(new ImagesCreateParameters { FromImage = Demo(tag) }, null, new Progress<JSONMessage>());
            await docker.Images.TagImageAsync(Demo(tag), new ImageTagParameters { RepositoryName = repository, Tag = tag });
            await docker.Images.PushImageAsync($"{repository}:{tag}", new ImagePushParameters(), new AuthConfig(), new Progress<JSONMessage>());
        }
        var ids = new List<string>();
        try
        {
            foreach (var (name, stack) in new[] { ($"wr{run}-a", $"wra{run}"), ($"wr{run}-b", $"wrb{run}") })
            {
                var spec = Spec(name, 1, "1", stack);
                spec.TaskTemplate!.ContainerSpec!.Image = $"{repository}:1";
                ids.Add(await CreateRunningAsync(_admin, docker, spec));
            }
            var bystander = await CreateRunningAsync(_admin, docker, Spec($"wr{run}-other", 1, "1"));
            ids.Add(bystander);

            var operationId = await StartAsync(_admin, $"/api/clusters/{Cluster}/rollouts/waves", new { repository, image = "2", waveSize = 1, update = new { monitorSeconds = 1 } });
            var (operation, _) = await FollowAsync(_admin, operationId, TimeSpan.FromMinutes(3));

            Assert.True(operation.GetProperty("state").GetString() == "succeeded", operation.ToString());
            Assert.Equal(2, operation.GetProperty("progress").GetProperty("done").GetInt32());
            foreach (var id in ids[..2])
            {
                Assert.All(await RunningImagesAsync(docker, id), image => Assert.StartsWith($"{repository}:2@sha256:", image));
            }
            Assert.Equal(Demo("1"), (await docker.Swarm.InspectServiceAsync(bystander)).Spec!.TaskTemplate!.ContainerSpec!.Image);
        }
        finally
        {
            foreach (var id in ids)
            {
                await RemoveQuietlyAsync(docker, id);
            }
        }
    }

    [Fact]
    public async Task A_viewer_cannot_roll_out_roll_back_or_distribute_and_a_stack_operator_cannot_touch_another_stack()
    {
        using var docker = Manager();
        var run = Guid.NewGuid().ToString("N")[..6];
        var (mine, theirs) = ($"pm{run}a", $"pm{run}b");
        var ids = new List<string>();
        try
        {
            foreach (var stack in new[] { mine, theirs })
            {
                ids.Add((await docker.Swarm.CreateServiceAsync(new() { Service = Spec($"{stack}-svc", 0, "1", stack) })).ID!);
            }
            await _admin.GetUntilAsync($"/api/clusters/{Cluster}/services/{theirs}-svc", (status, _) => status == HttpStatusCode.OK, TimeSpan.FromSeconds(60));
            using var viewer = await UserAsync($"rv{run}", "Viewer", null);
            using var operator_ = await UserAsync($"ro{run}", "Operator", mine);
            var version = (await docker.Swarm.InspectServiceAsync(ids[1])).Version!.Index;

            foreach (var (path, body) in new (string, object)[]
            {
                ($"/api/clusters/{Cluster}/services/{mine}-svc/rollout", new { image = Demo("2") }),
                ($"/api/clusters/{Cluster}/services/{mine}-svc/rollback", new { }),
                ($"/api/clusters/{Cluster}/services/{mine}-svc/rollout/resume", new { }),
                ($"/api/clusters/{Cluster}/images/distribute", new { image = Demo("2") }),
                ($"/api/clusters/{Cluster}/rollouts/waves", new { stack = mine, image = Demo("2"), waveSize = 1 }),
            })
            {
                using var refused = await viewer.PostAsJsonAsync(path, body);
                Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"viewer POST {path}: {(int)refused.StatusCode} {await refused.Content.ReadAsStringAsync()}");
            }
            foreach (var (path, body) in new (string, object)[]
            {
                ($"/api/clusters/{Cluster}/services/{theirs}-svc/rollout", new { image = Demo("2") }),
                ($"/api/clusters/{Cluster}/services/{theirs}-svc/rollback", new { }),
                ($"/api/clusters/{Cluster}/rollouts/waves", new { stack = theirs, image = Demo("2"), waveSize = 1 }),
                ($"/api/clusters/{Cluster}/rollouts/waves", new { repository = $"{Registry}/demo/app", image = "2", waveSize = 1 }),
            })
            {
                using var refused = await operator_.PostAsJsonAsync(path, body);
                Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"stack operator POST {path}: {(int)refused.StatusCode} {await refused.Content.ReadAsStringAsync()}");
            }
            // The same operator passes the guard on their own stack (and is stopped by the input check instead).
            using var own = await operator_.PostAsJsonAsync($"/api/clusters/{Cluster}/services/{mine}-svc/rollout", new { image = "Not A Reference" });
            Assert.Equal(HttpStatusCode.BadRequest, own.StatusCode);
            Assert.Equal(version, (await docker.Swarm.InspectServiceAsync(ids[1])).Version!.Index);

            var audit = await _admin.GetFromJsonAsync<JsonElement>($"/api/audit?actor=ro{run}&action=services.rollout");
            Assert.Contains(audit.EnumerateArray(), a => a.GetProperty("result").GetString() == "denied" && a.GetProperty("target").GetString()!.Contains(theirs));
        }
        finally
        {
            foreach (var id in ids)
            {
                await RemoveQuietlyAsync(docker, id);
            }
        }
    }

    private async Task<HttpClient> UserAsync(string name, string role, string? stack)
    {
        (await _admin.PostAsJsonAsync("/api/users", new { username = name, password = Password })).EnsureSuccessStatusCode();
        (await _admin.PostAsJsonAsync("/api/grants", new { subject = name, role, scope = new { cluster = Cluster, stack } })).EnsureSuccessStatusCode();
        return await factory.CreateSignedInClientAsync(name, Password);
    }
}
