using System.Net;
using System.Net.Http.Json;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Security;
using ControlPlane.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Web.Tests.Api;

/// <summary>Two ControlPlane replicas on one database (DESIGN §8): what one issues or records, the other honours.</summary>
public sealed class ReplicaTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Cluster = new()
    {
        ["ControlPlane:Clusters:0:Name"] = "c1",
        ["ControlPlane:Clusters:0:Endpoints:0"] = "tcp://127.0.0.1:1",
    };

    private readonly ControlPlaneAppFactory _first = new(Cluster);
    private ControlPlaneAppFactory _second = default!;

    public Task InitializeAsync()
    {
        _second = new ControlPlaneAppFactory(new Dictionary<string, string?>(Cluster)
        {
            ["ControlPlane:Database:ConnectionString"] = $"Data Source={_first.DatabasePath}",
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _second.DisposeAsync();
        await _first.DisposeAsync();
    }

    [Fact]
    public async Task A_cookie_issued_by_one_replica_is_accepted_by_the_other_because_the_keys_are_in_the_database()
    {
        using var first = _first.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        using var login = await first.PostAsJsonAsync("/api/auth/login", new { username = ControlPlaneAppFactory.BootstrapAdmin, password = ControlPlaneAppFactory.BootstrapPassword });
        Assert.True(login.IsSuccessStatusCode);
        var cookie = string.Join("; ", login.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));

        using var second = _second.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/clusters");
        request.Headers.Add("Cookie", cookie);
        using var answer = await second.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.True(CountRows("DataProtectionKeys") >= 1, "the key ring is kept in the shared database");
    }

    [Fact]
    public async Task An_operation_run_by_one_replica_is_read_from_the_other()
    {
        var runner = _first.Services.GetRequiredService<OperationRunner>();
        var caller = new ChangeCaller("admin", [new Grant(1, "admin", Role.Admin, AccessScope.Everywhere)], null);
        var intent = new ChangeIntent(Permissions.Services.Update, AccessTarget.InCluster("c1"), "services.rollout", "web");
        var start = await runner.StartAsync(caller, intent, _ => Task.FromResult(new OperationPlan("services.rollout", 1, ctx => ctx.ProgressAsync(1))));
        await runner.WhenFinishedAsync(start.OperationId!);

        using var second = await _second.CreateSignedInClientAsync(ControlPlaneAppFactory.BootstrapAdmin, ControlPlaneAppFactory.BootstrapPassword);
        var operation = await second.GetFromJsonAsync<Operation>($"/api/operations/{start.OperationId}");

        Assert.Equal(OperationStates.Succeeded, operation!.State);
        Assert.Equal(new OperationProgress(1, 1), operation.Progress);
        Assert.False(_second.Services.GetRequiredService<OperationRunner>().IsRunningHere(start.OperationId!));
    }

    private long CountRows(string table)
    {
        using var connection = new SqliteConnection($"Data Source={_first.DatabasePath}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM \"{table}\"";
        return (long)command.ExecuteScalar()!;
    }
}
