using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Security;
using ControlPlane.Web.Hubs;
using ControlPlane.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Web.Tests.Replicas;

/// <summary>
/// Two replicas on one PostgreSQL database and one real Redis (tests/redis.sh, from CONTROLPLANE_TEST_REDIS): an
/// operation's progress on one reaches a hub client connected to the other through the SignalR backplane, and a grant or
/// token revoked on one is refused by the other at its next request.
/// </summary>
public sealed class ReplicaMessagingTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["ControlPlane:Clusters:0:Name"] = "c1",
        ["ControlPlane:Clusters:0:Endpoints:0"] = "tcp://127.0.0.1:1",
        ["ControlPlane:SignalR:Redis"] = Environment.GetEnvironmentVariable("CONTROLPLANE_TEST_REDIS") is { Length: > 0 } redis
            ? redis
            : throw new InvalidOperationException("CONTROLPLANE_TEST_REDIS is not set: use tests/run.sh, or eval \"$(tests/redis.sh up)\" and export it."),
    };

    private readonly ReplicaDatabase _database = new();
    private ReplicaAppFactory _a = default!;
    private ReplicaAppFactory _b = default!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _a = _database.Replica(Settings).Started();
        _b = _database.Replica(Settings).Started();
    }

    [Fact]
    public async Task Progress_of_an_operation_run_by_one_replica_reaches_a_hub_client_connected_to_the_other_through_redis()
    {
        using var admin = _a.CreateAdminClient();
        using var created = await admin.PostAsJsonAsync("/api/tokens", new { name = "follow", expiresInDays = 1 });
        var token = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();

        var step = new SemaphoreSlim(0);
        var runner = _a.Services.GetRequiredService<OperationRunner>();
        var caller = new ChangeCaller(ControlPlaneAppFactory.BootstrapAdmin, [new Grant(1, ControlPlaneAppFactory.BootstrapAdmin, Role.Admin, AccessScope.Everywhere)], null);
        var intent = new ChangeIntent(Permissions.Services.Update, AccessTarget.InCluster("c1"), "services.rollout", "web");
        var start = await runner.StartAsync(caller, intent, _ => Task.FromResult(new OperationPlan("services.rollout", 3, async ctx =>
        {
            for (var done = 1; done <= 3; done++)
            {
                await step.WaitAsync(ctx.Cancellation);
                await ctx.ProgressAsync(done);
            }
        })));
        Assert.True(start.Started, start.Message);

        // Connected to B without a negotiation round trip, as a browser behind the routing mesh is.
        await using var connection = await ConnectAsync(_b, token!);
        var received = Channel.CreateUnbounded<Operation>();
        connection.On<Operation>(ClusterHub.OperationChanged, operation => received.Writer.TryWrite(operation));
        var now = await connection.InvokeAsync<Operation>(nameof(ClusterHub.FollowOperation), start.OperationId);
        Assert.Equal(start.OperationId, now.Id);
        Assert.False(_b.Services.GetRequiredService<OperationRunner>().IsRunningHere(start.OperationId!));

        for (var done = 1; done <= 3; done++)
        {
            step.Release();
            Operation message;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            do
            {
                message = await received.Reader.ReadAsync(timeout.Token);
            }
            while (message.Progress.Done < done);
            Assert.Equal(new OperationProgress(done, 3), message.Progress);
        }
        await runner.WhenFinishedAsync(start.OperationId!);
        using var end = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Operation last;
        do
        {
            last = await received.Reader.ReadAsync(end.Token);
        }
        while (!last.IsFinished);
        Assert.Equal(OperationStates.Succeeded, last.State);
    }

    [Fact]
    public async Task A_grant_or_a_token_revoked_on_one_replica_is_refused_by_the_other_at_its_next_request()
    {
        using var admin = _a.CreateAdminClient();
        var name = $"rv{Guid.NewGuid():N}"[..12];
        (await admin.PostAsJsonAsync("/api/users", new { username = name, password = "replica-user-password", role = "Admin" })).EnsureSuccessStatusCode();
        using var userOnA = await _a.CreateSignedInClientAsync(name, "replica-user-password");
        using var userOnB = await _b.CreateSignedInClientAsync(name, "replica-user-password");
        using var created = await userOnA.PostAsJsonAsync("/api/tokens", new { name = "ci", expiresInDays = 1 });
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        using var tokenOnB = _b.CreateClient();
        tokenOnB.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body.GetProperty("token").GetString());
        Assert.Equal(HttpStatusCode.OK, (await tokenOnB.GetAsync("/api/users")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await userOnB.GetAsync("/api/users")).StatusCode);

        // The token is revoked on A: B refuses it on the very next request (no cache between them).
        Assert.Equal(HttpStatusCode.NoContent, (await userOnA.DeleteAsync($"/api/tokens/{body.GetProperty("id").GetInt64()}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await tokenOnB.GetAsync("/api/users")).StatusCode);

        // The user's grant is removed on A: B refuses the user's next admin request.
        var grants = await admin.GetFromJsonAsync<JsonElement>("/api/grants");
        var grant = grants.EnumerateArray().Single(g => g.GetProperty("subject").GetString() == name).GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/grants/{grant}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await userOnB.GetAsync("/api/users")).StatusCode);
    }

    private static async Task<HubConnection> ConnectAsync(ReplicaAppFactory replica, string token)
    {
        var server = replica.Server;
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, "/hubs/cluster"), options =>
            {
                options.SkipNegotiation = true;
                options.Transports = HttpTransportType.WebSockets;
                options.WebSocketFactory = async (context, ct) =>
                {
                    var client = server.CreateWebSocketClient();
                    client.ConfigureRequest = request => request.Headers.Authorization = $"Bearer {token}";
                    return await client.ConnectAsync(context.Uri, ct);
                };
            })
            .Build();
        await connection.StartAsync();
        return connection;
    }

    public async Task DisposeAsync()
    {
        await _b.DisposeAsync();
        await _a.DisposeAsync();
        await _database.DisposeAsync();
    }
}
