using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.Web.Tests.StackTests;

/// <summary>One ControlPlane on the real swarm, signed in as its admin, for the stack tests of a class.</summary>
public sealed class StackHost : IAsyncLifetime
{
    public SwarmAppFactory App { get; } = new();

    public HttpClient Admin { get; private set; } = default!;

    public string Run { get; } = Guid.NewGuid().ToString("N")[..5];

    public Task InitializeAsync()
    {
        Admin = App.CreateAdminClient();
        return Admin.GetUntilAsync($"/api/clusters", (status, json) => status == HttpStatusCode.OK
            && json.EnumerateArray().Any(c => c.GetProperty("status").GetString() == "synced"), TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        await App.DisposeAsync();
    }
}

/// <summary>Preview, deploy, redeploy with changes and with prune, the file and its history, rollback and remove, through the API on the real swarm.</summary>
public sealed class StackDeployTests(StackHost host) : IClassFixture<StackHost>
{
    private const string Image = SwarmEnvironment.DemoImage;

    private static string File(params (string Name, int Replicas)[] services) =>
        "version: \"3.9\"\nservices:\n" + string.Concat(services.Select(s => $"  {s.Name}:\n    image: {Image}\n    deploy:\n      replicas: {s.Replicas}\n"));

    private static async Task<IReadOnlyList<string>> ChangesAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"preview: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("changes").EnumerateArray()
            .Select(c => $"{c.GetProperty("kind").GetString()} {c.GetProperty("name").GetString()} {c.GetProperty("action").GetString()}")
            .ToList();
    }

    [Fact]
    public async Task Preview_names_each_create_update_unchanged_and_prune_removal_and_the_deploys_do_what_it_said()
    {
        var stack = $"hsp{host.Run}";
        var admin = host.Admin;
        try
        {
            var first = File(("web", 1), ("api", 1));
            Assert.Equal([$"network {stack}_default create", $"service {stack}_api create", $"service {stack}_web create"],
                (await ChangesAsync(await admin.PreviewAsync(stack, first))).Order(StringComparer.Ordinal));
            Assert.Empty(await StackSwarm.GetAsync($"services?filters={Uri.EscapeDataString($$"""{"label":["com.docker.stack.namespace={{stack}}"]}""")}"));

            await admin.DeployAndWaitAsync(stack, first);
            var afterFirst = await ChangesAsync(await admin.PreviewAsync(stack, first));
            Assert.All(afterFirst, c => Assert.EndsWith(" unchanged", c));

            var second = File(("web", 2), ("api", 1));
            var changed = await admin.PreviewAsync(stack, second);
            var preview = JsonDocument.Parse(await changed.Content.ReadAsStringAsync()).RootElement;
            var web = preview.GetProperty("changes").EnumerateArray().Single(c => c.GetProperty("name").GetString() == $"{stack}_web");
            Assert.Equal("update", web.GetProperty("action").GetString());
            Assert.Contains("Mode.Replicated.Replicas: 1 → 2", web.GetProperty("diff").GetString());
            Assert.Equal("unchanged", preview.GetProperty("changes").EnumerateArray().Single(c => c.GetProperty("name").GetString() == $"{stack}_api").GetProperty("action").GetString());
            var apiBefore = (await StackSwarm.GetAsync("services")).Single(s => (string?)s!["Spec"]!["Name"] == $"{stack}_api")!["Version"]!.ToJsonString();
            await admin.DeployAndWaitAsync(stack, second);
            await StackSwarm.WaitConvergedAsync(stack, TimeSpan.FromSeconds(90));
            // An unchanged service is not written at all: its version stays.
            Assert.Equal(apiBefore, (await StackSwarm.GetAsync("services")).Single(s => (string?)s!["Spec"]!["Name"] == $"{stack}_api")!["Version"]!.ToJsonString());

            var third = File(("web", 2), ("worker", 1));
            Assert.DoesNotContain(await ChangesAsync(await admin.PreviewAsync(stack, third)), c => c.EndsWith(" remove", StringComparison.Ordinal));
            var pruning = await ChangesAsync(await admin.PreviewAsync(stack, third, prune: true));
            Assert.Contains($"service {stack}_api remove", pruning);
            Assert.Contains($"service {stack}_worker create", pruning);
            Assert.Contains($"service {stack}_web unchanged", pruning);
            await admin.DeployAndWaitAsync(stack, third, prune: true);
            var names = (await StackSwarm.GetAsync("services")).Select(s => (string?)s!["Spec"]!["Name"]).Where(n => n!.StartsWith($"{stack}_", StringComparison.Ordinal)).Order().ToList();
            Assert.Equal([$"{stack}_web", $"{stack}_worker"], names);

            // The last file is the stack's compose; the history lists every deploy, newest first; an earlier one redeploys.
            var compose = await admin.GetFromJsonAsync<JsonElement>($"{StackApi.Stacks}/{stack}/compose");
            Assert.Equal(third, compose.GetProperty("compose").GetString());
            Assert.Equal(ControlPlaneAppFactory.BootstrapAdmin, compose.GetProperty("deployedBy").GetString());
            var history = (await admin.GetFromJsonAsync<JsonElement>($"{StackApi.Stacks}/{stack}/history")).EnumerateArray().ToList();
            Assert.Equal([third, second, first], history.Select(h => h.GetProperty("compose").GetString()));
            Assert.All(history, h => Assert.Equal("succeeded", h.GetProperty("result").GetString()));
            var listed = (await admin.GetFromJsonAsync<JsonElement>(StackApi.Stacks)).EnumerateArray().Single(s => s.GetProperty("name").GetString() == stack);
            Assert.Equal(2, listed.GetProperty("services").GetInt32());
            Assert.Equal("admin", listed.GetProperty("deployedBy").GetString());

            using var rollback = await admin.PostAsJsonAsync($"{StackApi.Stacks}/{stack}/history/{history[2].GetProperty("id").GetInt64()}/redeploy", new { prune = true });
            await admin.FinishedAsync(rollback);
            names = (await StackSwarm.GetAsync("services")).Select(s => (string?)s!["Spec"]!["Name"]).Where(n => n!.StartsWith($"{stack}_", StringComparison.Ordinal)).Order().ToList();
            Assert.Equal([$"{stack}_api", $"{stack}_web"], names);
            Assert.Equal(first, (await admin.GetFromJsonAsync<JsonElement>($"{StackApi.Stacks}/{stack}/compose")).GetProperty("compose").GetString());

            using var remove = await admin.DeleteAsync($"{StackApi.Stacks}/{stack}");
            var removal = await admin.FinishedAsync(remove);
            Assert.Contains(removal.GetProperty("steps").EnumerateArray(), s => s.GetProperty("name").GetString() == $"network {stack}_default" && s.GetProperty("state").GetString() == "succeeded");
            // Docker deletes a network its stopping tasks still hold once they are gone (as after docker stack rm).
            await StackSwarm.WaitGoneAsync(stack, TimeSpan.FromSeconds(60));
            Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"{StackApi.Stacks}/{stack}")).StatusCode);
        }
        finally
        {
            await StackSwarm.RemoveAsync(stack);
        }
    }
}
