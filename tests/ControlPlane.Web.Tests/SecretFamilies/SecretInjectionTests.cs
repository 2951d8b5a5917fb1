using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ControlPlane.Core.Operations;
using ControlPlane.Web.Tests.Infrastructure;
using Docker.DotNet.Models;

namespace ControlPlane.Web.Tests.SecretFamilies;

/// <summary>Injecting, detaching, removing, adopting and validating on the real swarm; configs with their data and diffs.</summary>
public sealed class SecretInjectionTests(SecretsSwarm swarm) : IClassFixture<SecretsSwarm>
{
    private const string Cluster = SecretsSwarm.Cluster;

    [Fact]
    public async Task Inject_mounts_the_family_in_a_running_service_delete_is_refused_while_in_use_and_detach_unmounts_it()
    {
        var family = swarm.Name("inj");
        var service = swarm.Name("web");
        await swarm.CreateFamilyAsync(family, "injected-value");
        var id = await swarm.CreateServiceAsync(service, 2, []);
        await swarm.Admin.GetUntilAsync($"/api/clusters/{Cluster}/services/{service}", (status, _) => status == HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        await swarm.WaitUntilSeenAsync(family);

        using (var injected = await swarm.Admin.PostAsJsonAsync($"/api/clusters/{Cluster}/services/{service}/secrets", new { family, target = "app/key", uid = "1000", gid = "1000", mode = "0400" }))
        {
            var operation = await swarm.FinishedAsync(await SecretsSwarm.OperationIdOf(injected));
            Assert.True(operation.State == OperationStates.Succeeded, $"{operation.State}: {operation.Error}");
        }
        var mounted = Assert.Single((await swarm.ServiceAsync(id)).Spec!.TaskTemplate!.ContainerSpec!.Secrets!);
        Assert.Equal(($"{family}.v1", "app/key", "1000", "1000", 0x100u), (mounted.SecretName, mounted.File!.Name, mounted.File.UID, mounted.File.GID, mounted.File.Mode));
        var contents = await swarm.ReadInContainersAsync(service, "/run/secrets/app/key");
        Assert.Equal(2, contents.Count);
        Assert.All(contents, c => Assert.Equal("injected-value", c));

        await swarm.WaitUntilSeenAsync(family, service);
        using (var refused = await swarm.Admin.DeleteAsync($"/api/clusters/{Cluster}/secrets/{family}"))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Contains(service, await refused.Content.ReadAsStringAsync());
        }
        using (var refusedVersion = await swarm.Admin.DeleteAsync($"/api/clusters/{Cluster}/secrets/{family}/versions/1"))
        {
            Assert.Equal(HttpStatusCode.Conflict, refusedVersion.StatusCode);
            Assert.Contains(service, await refusedVersion.Content.ReadAsStringAsync());
        }
        Assert.Equal([$"{family}.v1"], await swarm.SecretNamesAsync(family));

        using (var detached = await swarm.Admin.DeleteAsync($"/api/clusters/{Cluster}/services/{service}/secrets/{family}"))
        {
            var operation = await swarm.FinishedAsync(await SecretsSwarm.OperationIdOf(detached));
            Assert.True(operation.State == OperationStates.Succeeded, $"{operation.State}: {operation.Error}");
        }
        Assert.Empty((await swarm.ServiceAsync(id)).Spec!.TaskTemplate!.ContainerSpec!.Secrets ?? []);
        Assert.All(await swarm.ReadInContainersAsync(service, "/run/secrets/app/key"), c => Assert.Contains("No such file", c));

        await swarm.Admin.GetUntilAsync($"/api/clusters/{Cluster}/secrets", (_, json) => json.EnumerateArray()
            .Any(s => s.GetProperty("family").GetString() == family && s.GetProperty("usedBy").GetArrayLength() == 0), TimeSpan.FromSeconds(30));
        using var removed = await swarm.Admin.DeleteAsync($"/api/clusters/{Cluster}/secrets/{family}");
        Assert.True(removed.IsSuccessStatusCode, await removed.Content.ReadAsStringAsync());
        Assert.Empty(await swarm.SecretNamesAsync(family));
    }

    [Theory]
    [InlineData("../etc/passwd", "'..'")]
    [InlineData("/etc/shadow", "outside /run/secrets")]
    [InlineData("a/./b", "'.'")]
    public async Task A_target_that_escapes_run_secrets_is_refused_and_the_service_is_left_alone(string target, string reason)
    {
        var (family, service, id) = await FamilyAndServiceAsync($"t{Guid.NewGuid():N}"[..6], mounted: false);

        using var response = await swarm.Admin.PostAsJsonAsync($"/api/clusters/{Cluster}/services/{service}/secrets", new { family, target });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await Detail(response));
        Assert.Empty((await swarm.ServiceAsync(id)).Spec!.TaskTemplate!.ContainerSpec!.Secrets ?? []);
    }

    [Fact]
    public async Task Bad_rotation_input_is_refused_before_anything_changes()
    {
        var (family, _, _) = await FamilyAndServiceAsync("val");
        var cases = new (object Body, string Family, HttpStatusCode Status, string Reason)[]
        {
            (new { data = "" }, family, HttpStatusCode.BadRequest, "empty"),
            (new { data = Convert.ToBase64String(new byte[500 * 1024 + 1]) }, family, HttpStatusCode.BadRequest, "500 KB"),
            (new { data = "%%%" }, family, HttpStatusCode.BadRequest, "base64"),
            (new { generate = new { length = 2, alphabet = "hex" } }, family, HttpStatusCode.BadRequest, "length"),
            (new { generate = new { length = 32, alphabet = "klingon" } }, family, HttpStatusCode.BadRequest, "alphabet"),
            (new { }, family, HttpStatusCode.BadRequest, "generate"),
            (new { data = "eA==", graceSeconds = -1 }, family, HttpStatusCode.BadRequest, "graceSeconds"),
            (new { data = "eA==" }, swarm.Name("nope"), HttpStatusCode.NotFound, "no secret family"),
        };
        foreach (var (body, name, status, reason) in cases)
        {
            using var response = await swarm.Admin.PostAsJsonAsync($"/api/clusters/{Cluster}/secrets/{name}/rotate", body);
            Assert.True(response.StatusCode == status, $"{JsonSerializer.Serialize(body)}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Contains(reason, await Detail(response));
        }
        using (var unknownService = await swarm.Admin.PostAsJsonAsync($"/api/clusters/{Cluster}/services/{swarm.Name("ghost")}/secrets", new { family }))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknownService.StatusCode);
            Assert.Contains("no service", await Detail(unknownService));
        }
        using (var badName = await swarm.Admin.PostAsJsonAsync($"/api/clusters/{Cluster}/secrets", new { family = "no/slashes", generate = new { length = 16 } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        }
        Assert.Equal([$"{family}.v1"], await swarm.SecretNamesAsync(family));
    }

    [Fact]
    public async Task A_second_rotation_of_the_same_family_while_one_runs_is_409()
    {
        var (family, _, _) = await FamilyAndServiceAsync("dup");

        using var first = await swarm.Admin.PostAsJsonAsync($"/api/clusters/{Cluster}/secrets/{family}/rotate", new { data = "b25l", graceSeconds = 30 });
        var operationId = await SecretsSwarm.OperationIdOf(first);
        using var second = await swarm.Admin.PostAsJsonAsync($"/api/clusters/{Cluster}/secrets/{family}/rotate", new { data = "dHdv" });

        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Contains("running", await Detail(second));
        // The first one waits out its grace period; cancel it rather than wait (what it did stays done, v1 is kept).
        await swarm.WaitForStepAsync(operationId, $"remove {family}.v1", OperationStates.Running);
        Assert.Equal(OperationStates.Cancelled, (await swarm.CancelAsync(operationId)).State);
        Assert.Equal([$"{family}.v1", $"{family}.v2"], await swarm.SecretNamesAsync(family));
    }

    [Fact]
    public async Task An_unlabelled_secret_is_adopted_as_version_1_of_a_family_of_its_name()
    {
        var name = swarm.Name("legacy");
        await swarm.Manager.Secrets.CreateAsync(new SwarmSecretSpec { Name = name, Data = Encoding.UTF8.GetBytes("old") });
        await swarm.Admin.GetUntilAsync($"/api/clusters/{Cluster}/secrets", (_, json) => json.EnumerateArray().Any(s => s.GetProperty("name").GetString() == name), TimeSpan.FromSeconds(30));

        using var adopted = await swarm.Admin.PostAsync($"/api/clusters/{Cluster}/secrets/{name}/adopt", null);

        Assert.True(adopted.IsSuccessStatusCode, await adopted.Content.ReadAsStringAsync());
        var secret = (await swarm.Manager.Secrets.ListAsync()).Single(s => s.Spec!.Name == name);
        Assert.Equal(name, secret.Spec!.Labels!["controlplane.family"]);
        Assert.Equal("1", secret.Spec.Labels["controlplane.version"]);
        Assert.Equal("admin", secret.Spec.Labels["controlplane.created-by"]);
        await SecretsSwarm.WaitAsync(async () => (await swarm.Admin.PostAsync($"/api/clusters/{Cluster}/secrets/{name}/adopt", null)).StatusCode == HttpStatusCode.Conflict,
            TimeSpan.FromSeconds(30), "adopting twice is refused");
    }

    [Fact]
    public async Task An_unlabelled_config_is_adopted_and_keeps_its_data()
    {
        var name = swarm.Name("legacycfg");
        await swarm.Manager.Configs.CreateConfigAsync(new SwarmCreateConfigParameters { Config = new SwarmConfigSpec { Name = name, Data = Encoding.UTF8.GetBytes("x=1\n") } });
        await swarm.Admin.GetUntilAsync($"/api/clusters/{Cluster}/configs", (_, json) => json.EnumerateArray().Any(s => s.GetProperty("name").GetString() == name), TimeSpan.FromSeconds(30));

        using var adopted = await swarm.Admin.PostAsync($"/api/clusters/{Cluster}/configs/{name}/adopt", null);

        Assert.True(adopted.IsSuccessStatusCode, await adopted.Content.ReadAsStringAsync());
        var config = (await swarm.Manager.Configs.ListConfigsAsync()).Single(s => s.Spec!.Name == name);
        Assert.Equal((name, "1"), (config.Spec!.Labels!["controlplane.family"], config.Spec.Labels["controlplane.version"]));
        Assert.Equal("x=1\n", Encoding.UTF8.GetString((await swarm.Manager.Configs.InspectConfigAsync(config.ID!)).Spec!.Data!));
    }

    [Fact]
    public async Task Configs_show_their_data_and_a_diff_between_versions_and_rotate_like_secrets()
    {
        var family = swarm.Name("cfg");
        using (var created = await swarm.Admin.PostAsJsonAsync($"/api/clusters/{Cluster}/configs", new { family, data = SecretsSwarm.Base64("a=1\nb=2\n") }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        await swarm.Admin.GetUntilAsync($"/api/clusters/{Cluster}/configs", (_, json) => json.EnumerateArray().Any(s => s.GetProperty("name").GetString() == $"{family}.v1"), TimeSpan.FromSeconds(30));
        var service = swarm.Name("cfgsvc");
        var id = await swarm.CreateServiceAsync(service, 1, []);
        await swarm.Admin.GetUntilAsync($"/api/clusters/{Cluster}/services/{service}", (status, _) => status == HttpStatusCode.OK, TimeSpan.FromSeconds(30));

        using (var injected = await swarm.Admin.PostAsJsonAsync($"/api/clusters/{Cluster}/services/{service}/configs", new { family, target = "/etc/app.conf" }))
        {
            Assert.Equal(OperationStates.Succeeded, (await swarm.FinishedAsync(await SecretsSwarm.OperationIdOf(injected))).State);
        }
        await swarm.Admin.GetUntilAsync($"/api/clusters/{Cluster}/configs", (_, json) => json.EnumerateArray()
            .Any(s => s.GetProperty("name").GetString() == $"{family}.v1" && s.GetProperty("usedBy").GetArrayLength() == 1), TimeSpan.FromSeconds(30));
        using (var rotated = await swarm.Admin.PostAsJsonAsync($"/api/clusters/{Cluster}/configs/{family}/rotate", new { data = SecretsSwarm.Base64("a=1\nb=3\nc=4\n"), graceSeconds = 0 }))
        {
            var operation = await swarm.FinishedAsync(await SecretsSwarm.OperationIdOf(rotated));
            Assert.True(operation.State == OperationStates.Succeeded, $"{operation.Error}");
        }
        Assert.All(await swarm.ReadInContainersAsync(service, "/etc/app.conf"), c => Assert.Equal("a=1\nb=3\nc=4\n", c));
        Assert.Equal($"{family}.v2", Assert.Single((await swarm.ServiceAsync(id)).Spec!.TaskTemplate!.ContainerSpec!.Configs!).ConfigName);

        // Version 1 is gone after that rotation; a second one with a grace period keeps version 2 while it waits, so both can be compared.
        using (var again = await swarm.Admin.PostAsJsonAsync($"/api/clusters/{Cluster}/configs/{family}/rotate", new { data = SecretsSwarm.Base64("a=2\nc=4\n"), graceSeconds = 120 }))
        {
            var operationId = await SecretsSwarm.OperationIdOf(again);
            await swarm.WaitForStepAsync(operationId, $"remove {family}.v2", OperationStates.Running);
            await swarm.Admin.GetUntilAsync($"/api/clusters/{Cluster}/configs", (_, json) => json.EnumerateArray().Any(s => s.GetProperty("name").GetString() == $"{family}.v3"), TimeSpan.FromSeconds(30));

            var version = await swarm.Admin.GetFromJsonAsync<JsonElement>($"/api/clusters/{Cluster}/configs/{family}/versions/2");
            Assert.Equal("a=1\nb=3\nc=4\n", version.GetProperty("text").GetString());
            var diff = await swarm.Admin.GetFromJsonAsync<JsonElement>($"/api/clusters/{Cluster}/configs/{family}/diff?from=2&to=3");
            var lines = diff.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("kind").GetString() + l.GetProperty("text").GetString()).ToList();
            Assert.Equal(["-a=1", "-b=3", "+a=2", " c=4"], lines);

            await swarm.CancelAsync(operationId);
        }
        using var missing = await swarm.Admin.GetAsync($"/api/clusters/{Cluster}/configs/{family}/versions/99");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    private async Task<(string Family, string Service, string Id)> FamilyAndServiceAsync(string what, bool mounted = true)
    {
        var family = swarm.Name(what);
        var service = swarm.Name($"{what}svc");
        var v1 = await swarm.CreateFamilyAsync(family, "value");
        var id = await swarm.CreateServiceAsync(service, 1, mounted ? [(v1, $"{family}.v1", "value")] : []);
        await swarm.Admin.GetUntilAsync($"/api/clusters/{Cluster}/services/{service}", (status, _) => status == HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        await swarm.WaitUntilSeenAsync(family);
        return (family, service, id);
    }

    private static async Task<string> Detail(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString() ?? "";
}
