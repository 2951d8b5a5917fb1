using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ControlPlane.Core.Operations;
using ControlPlane.Web.Tests.Hubs;
using ControlPlane.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace ControlPlane.Web.Tests.SecretFamilies;

/// <summary>
/// Rotation on the real 3-node swarm: a family used by two services of three replicas spread over the nodes
/// is rotated with no replica going dark; a service that refuses the new value rolls everything back; and the
/// value is found nowhere ControlPlane writes.
/// </summary>
public sealed class SecretRotationTests(SecretsSwarm swarm) : IClassFixture<SecretsSwarm>
{
    private const string Cluster = SecretsSwarm.Cluster;

    [Fact]
    public async Task Rotating_a_family_used_by_two_services_reaches_every_container_keeps_replicas_up_and_leaks_the_value_nowhere()
    {
        var family = swarm.Name("db");
        var first = $"first-{Guid.NewGuid():N}";
        var secret = $"LEAKCANARY-{Guid.NewGuid():N}";
        var v1 = await swarm.CreateFamilyAsync(family, first);
        var services = new Dictionary<string, string>();
        foreach (var name in new[] { swarm.Name("api"), swarm.Name("worker") })
        {
            services[name] = await swarm.CreateServiceAsync(name, 3, [(v1, $"{family}.v1", "db-password")]);
        }
        await swarm.WaitUntilSeenAsync(family, [.. services.Keys]);
        foreach (var id in services.Values)
        {
            Assert.Equal(Math.Min(3, swarm.Nodes.Count), await swarm.NodesRunningAsync(id));
        }
        Assert.All(await swarm.ReadInContainersAsync(services.Keys.First(), "/run/secrets/db-password"), content => Assert.Equal(first, content));

        // Hub messages during the rotation, as a non-browser client would get them.
        var token = await ApiTokenAsync();
        await using var hub = await HubWatchClient.ConnectAsync(swarm.App, token);
        var hubMessages = new ConcurrentQueue<string>();
        using var stopHub = new CancellationTokenSource();
        var hubReading = Task.Run(async () =>
        {
            try
            {
                await foreach (var message in hub.StreamAsync<JsonElement>("Watch", Cluster, stopHub.Token))
                {
                    hubMessages.Enqueue(message.GetRawText());
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        // Sample running tasks of each service every 200 ms while the rotation runs.
        var lowest = services.ToDictionary(s => s.Key, _ => int.MaxValue);
        using var stopSampling = new CancellationTokenSource();
        var sampling = Task.Run(async () =>
        {
            while (!stopSampling.IsCancellationRequested)
            {
                foreach (var (name, id) in services)
                {
                    lowest[name] = Math.Min(lowest[name], await swarm.RunningAsync(id));
                }
                await Task.Delay(200);
            }
        });

        using var response = await swarm.Admin.PostAsJsonAsync($"/api/clusters/{Cluster}/secrets/{family}/rotate", new { data = SecretsSwarm.Base64(secret) });
        var answer = await response.Content.ReadAsStringAsync();
        var operation = await swarm.FinishedAsync(await SecretsSwarm.OperationIdOf(response));
        await stopSampling.CancelAsync();
        await sampling;

        Assert.True(operation.State == OperationStates.Succeeded, $"{operation.State}: {operation.Error}\n{string.Join("\n", operation.Steps.Select(s => $"{s.Name} {s.State} {s.Message}"))}");
        Assert.All(services.Keys, name => Assert.Equal(OperationStates.Succeeded, operation.FindStep(name)!.State));
        foreach (var (name, id) in services)
        {
            Assert.True(lowest[name] >= 2, $"{name} fell to {lowest[name]} running tasks during the rotation (3 replicas, at most one may be down)");
            var contents = await swarm.ReadInContainersAsync(name, "/run/secrets/db-password");
            Assert.Equal(3, contents.Count);
            Assert.All(contents, content => Assert.Equal(secret, content));
            var spec = await swarm.ServiceAsync(id);
            var mounted = Assert.Single(spec.Spec!.TaskTemplate!.ContainerSpec!.Secrets!);
            Assert.Equal(($"{family}.v2", "db-password", "0", "0", 0x124u), (mounted.SecretName, mounted.File!.Name, mounted.File.UID, mounted.File.GID, mounted.File.Mode));
            // Start-first was for the rotation only: the service has its own update policy back.
            Assert.Equal("stop-first", spec.Spec.UpdateConfig!.Order);
            Assert.Equal(TimeSpan.FromSeconds(2), spec.Spec.UpdateConfig.Monitor);
        }
        Assert.Equal([$"{family}.v2"], await swarm.SecretNamesAsync(family));

        // The leak search: everything ControlPlane wrote or answered while rotating.
        await swarm.Admin.GetUntilAsync($"/api/clusters/{Cluster}/secrets", (_, json) =>
            json.EnumerateArray().Any(s => s.GetProperty("name").GetString() == $"{family}.v2"), TimeSpan.FromSeconds(30));
        await stopHub.CancelAsync();
        await hubReading;
        Assert.NotEmpty(hubMessages);
        var encoded = SecretsSwarm.Base64(secret);
        var places = new Dictionary<string, string>
        {
            ["rotate answer"] = answer,
            ["operation record"] = JsonSerializer.Serialize(operation),
            ["audit"] = await swarm.Admin.GetStringAsync("/api/audit?limit=500"),
            ["secrets API"] = await swarm.Admin.GetStringAsync($"/api/clusters/{Cluster}/secrets"),
            ["services API"] = await swarm.Admin.GetStringAsync($"/api/clusters/{Cluster}/services"),
            ["secrets page"] = await swarm.Admin.GetStringAsync("/secrets"),
            ["configs page"] = await swarm.Admin.GetStringAsync("/configs"),
            ["service page"] = await swarm.Admin.GetStringAsync($"/services/{services.Values.First()}"),
            ["logs"] = string.Join("\n", swarm.App.Logs.Lines),
            ["hub"] = string.Join("\n", hubMessages),
        };
        Assert.Contains(family, places["secrets page"]);
        Assert.Contains(family, places["hub"]);
        foreach (var (place, text) in places)
        {
            Assert.False(text.Contains(secret, StringComparison.Ordinal) || text.Contains(encoded, StringComparison.Ordinal), $"the secret value leaked into {place}");
        }
        Assert.False(DatabaseHolds(secret) || DatabaseHolds(encoded), "the secret value was found in ControlPlane's database file");
    }

    [Fact]
    public async Task A_service_that_fails_on_the_new_value_rolls_every_service_back_to_the_old_version_which_is_kept()
    {
        var family = swarm.Name("chk");
        var v1 = await swarm.CreateFamilyAsync(family, "good");
        // Services are rotated in name order: "a-plain" is touched first, so it must be put back too.
        var plain = swarm.Name("a-plain");
        var checking = swarm.Name("b-check");
        var plainId = await swarm.CreateServiceAsync(plain, 2, [(v1, $"{family}.v1", "token")]);
        var checkingId = await swarm.CreateServiceAsync(checking, 2, [(v1, $"{family}.v1", "token")], command:
        [
            "sh", "-c",
            "if [ \"$(cat /run/secrets/token)\" != good ]; then echo 'token refused' >&2; exit 4; fi; trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done",
        ]);
        await swarm.WaitUntilSeenAsync(family, plain, checking);

        using var response = await swarm.Admin.PostAsJsonAsync($"/api/clusters/{Cluster}/secrets/{family}/rotate", new { data = SecretsSwarm.Base64("bad") });
        var operation = await swarm.FinishedAsync(await SecretsSwarm.OperationIdOf(response));

        var trace = $"{operation.State}: {operation.Error}\n{string.Join("\n", operation.Steps.Select(s => $"{s.Name} {s.State} {s.Message}"))}";
        Assert.True(operation.State == OperationStates.RolledBack, trace);
        Assert.Contains(checking, operation.Error);
        Assert.Equal(OperationStates.Failed, operation.FindStep(checking)!.State);
        Assert.Equal(OperationStates.RolledBack, operation.FindStep(plain)!.State);
        foreach (var id in new[] { plainId, checkingId })
        {
            var spec = await swarm.ServiceAsync(id);
            Assert.Equal($"{family}.v1", Assert.Single(spec.Spec!.TaskTemplate!.ContainerSpec!.Secrets!).SecretName);
            Assert.Equal("stop-first", spec.Spec.UpdateConfig!.Order);
            await SecretsSwarm.WaitAsync(async () => await swarm.RunningAsync(id) == 2, TimeSpan.FromSeconds(60), $"{spec.Spec.Name} runs 2 tasks again");
        }
        Assert.Equal([$"{family}.v1"], await swarm.SecretNamesAsync(family));
        Assert.All(await swarm.ReadInContainersAsync(checking, "/run/secrets/token"), content => Assert.Equal("good", content));
    }

    private async Task<string> ApiTokenAsync()
    {
        using var created = await swarm.Admin.PostAsJsonAsync("/api/tokens", new { name = $"s5-hub-{Guid.NewGuid():N}", expiresInDays = 1 });
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
    }

    private bool DatabaseHolds(string value)
    {
        var needle = Encoding.UTF8.GetBytes(value);
        foreach (var file in new[] { swarm.App.DatabasePath, swarm.App.DatabasePath + "-wal" }.Where(File.Exists))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            if (copy.ToArray().AsSpan().IndexOf(needle) >= 0)
            {
                return true;
            }
        }
        return false;
    }
}
