using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;
using ControlPlane.Web.Tests.Security;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace ControlPlane.Web.Tests.Hubs;

/// <summary>
/// A hub stream outlives the request that authenticated it: revoking its API token ends it, within the 30 seconds
/// the issue allows (the test host checks every second). No swarm is needed: the cluster is configured but
/// unreachable, and its snapshot is enough to know the stream is open.
/// </summary>
public sealed class StreamRevocationTests(SessionsAppFactory factory) : IClassFixture<SessionsAppFactory>
{
    [Fact]
    public async Task Revoking_the_api_token_of_an_open_watch_stream_ends_the_stream_with_a_reason()
    {
        using var admin = factory.CreateAdminClient();
        using var created = await admin.PostAsJsonAsync("/api/tokens", new { name = "watcher", expiresInDays = 1 });
        created.EnsureSuccessStatusCode();
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        await using var connection = await HubWatchClient.ConnectAsync(factory, body.GetProperty("token").GetString());
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Read to the end; status changes of the unreachable cluster may arrive after the snapshot.
        var reading = Task.Run(async () =>
        {
            await foreach (var _ in connection.StreamAsync<JsonElement>("Watch", UnreachableAppFactory.ClusterId))
            {
                opened.TrySetResult();
            }
        });
        await opened.Task.WaitAsync(TimeSpan.FromSeconds(10));

        (await admin.DeleteAsync($"/api/tokens/{body.GetProperty("id").GetInt64()}")).EnsureSuccessStatusCode();

        var ended = await Assert.ThrowsAsync<HubException>(() => reading.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("API token", ended.Message);
        Assert.Equal(HubConnectionState.Connected, connection.State);
    }

    [Fact]
    public async Task Removing_the_grant_an_open_watch_stream_relies_on_ends_the_stream()
    {
        var name = $"w{Guid.NewGuid():N}"[..16];
        using var admin = factory.CreateAdminClient();
        (await admin.PostAsJsonAsync("/api/users", new { username = name, password = "a watcher's password", role = "Viewer" })).EnsureSuccessStatusCode();
        using var user = await factory.CreateSignedInClientAsync(name, "a watcher's password");
        using var created = await user.PostAsJsonAsync("/api/tokens", new { name = "watcher", expiresInDays = 1 });
        created.EnsureSuccessStatusCode();
        var token = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
        await using var connection = await HubWatchClient.ConnectAsync(factory, token);
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = Task.Run(async () =>
        {
            await foreach (var _ in connection.StreamAsync<JsonElement>("Watch", UnreachableAppFactory.ClusterId))
            {
                opened.TrySetResult();
            }
        });
        await opened.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var grant = (await admin.GetFromJsonAsync<JsonElement>("/api/grants")).EnumerateArray().Single(g => g.GetProperty("subject").GetString() == name);
        (await admin.DeleteAsync($"/api/grants/{grant.GetProperty("id").GetInt64()}")).EnsureSuccessStatusCode();

        var ended = await Assert.ThrowsAsync<HubException>(() => reading.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("grants changed", ended.Message);
    }
}
