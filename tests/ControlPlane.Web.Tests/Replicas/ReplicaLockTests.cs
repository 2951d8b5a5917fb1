using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Security;
using ControlPlane.Web.Tests.Infrastructure;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace ControlPlane.Web.Tests.Replicas;

/// <summary>
/// Two ControlPlane replicas on one PostgreSQL database, watching the real swarm (DESIGN §8): a change one of them is
/// making holds its object on the other too, and the lock of a replica that stops lapses for the other.
/// Uses the Engine API through Docker.DotNet only (no docker CLI).
/// </summary>
public sealed class ReplicaLockTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Cluster = SwarmAppFactory.ClusterId;

    private static readonly Dictionary<string, string?> Swarm = new()
    {
        ["ControlPlane:Clusters:0:Name"] = Cluster,
        ["ControlPlane:Clusters:0:Endpoints:0"] = SwarmEnvironment.DockerHost,
    };

    private readonly ReplicaDatabase _database = new();
    private readonly DockerClient _manager = new DockerClientBuilder().WithEndpoint(new Uri(SwarmEnvironment.DockerHost)).Build();
    private readonly string _service = $"rl{Guid.NewGuid().ToString("N")[..6]}-web";
    private ReplicaAppFactory _a = default!;
    private ReplicaAppFactory _b = default!;
    private string _serviceId = "";

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _a = _database.Replica(Swarm).Started();
        _b = _database.Replica(Swarm).Started();
        _serviceId = (await _manager.Swarm.CreateServiceAsync(new ServiceCreateParameters
        {
            Service = new ServiceSpec
            {
                Name = _service,
                TaskTemplate = new TaskSpec { ContainerSpec = new ContainerSpec { Image = SwarmEnvironment.DemoImage, StopGracePeriod = TimeSpan.FromSeconds(1) } },
                Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = 0 } },
            },
        })).ID!;
    }

    [Fact]
    public async Task The_same_service_changed_on_two_replicas_at_once_gives_one_success_and_one_conflict_and_a_stopped_replicas_lock_lapses()
    {
        using var onA = _a.CreateAdminClient();
        using var onB = _b.CreateAdminClient();
        foreach (var client in new[] { onA, onB })
        {
            await client.GetUntilAsync($"/api/clusters/{Cluster}/services/{_service}", (status, _) => status == HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        }

        // A change on replica A that takes its time (an operation moving the service, say), through A's one gate.
        var (entered, release, running) = HoldOnA();
        await Task.WhenAny(entered.Task, running);
        Assert.True(entered.Task.IsCompleted, "replica A's change is under way");
        using (var busy = await onB.PostAsJsonAsync($"/api/clusters/{Cluster}/services/{_service}/scale", new { replicas = 1 }))
        {
            Assert.Equal(HttpStatusCode.Conflict, busy.StatusCode);
            Assert.Contains($"Another change to {_service} is running", await busy.Content.ReadAsStringAsync());
        }
        Assert.Equal(0UL, (await _manager.Swarm.InspectServiceAsync(_serviceId)).Spec!.Mode!.Replicated!.Replicas);
        release.SetResult();
        Assert.True((await running).Succeeded);

        using (var free = await onB.PostAsJsonAsync($"/api/clusters/{Cluster}/services/{_service}/scale", new { replicas = 0 }))
        {
            Assert.Equal(HttpStatusCode.OK, free.StatusCode);
        }

        // Replica A stops while it holds the service: its lease is not renewed any more and lapses for B.
        var (enteredAgain, releaseAgain, runningAgain) = HoldOnA();
        await Task.WhenAny(enteredAgain.Task, runningAgain);
        Assert.True(enteredAgain.Task.IsCompleted, "replica A's second change is under way");
        var stopped = Stopwatch.StartNew();
        await _a.DisposeAsync();
        HttpStatusCode status;
        do
        {
            using var attempt = await onB.PostAsJsonAsync($"/api/clusters/{Cluster}/services/{_service}/scale", new { replicas = 0 });
            status = attempt.StatusCode;
            Assert.True(status is HttpStatusCode.OK or HttpStatusCode.Conflict, $"{(int)status} {await attempt.Content.ReadAsStringAsync()}");
            Assert.True(stopped.Elapsed < TimeSpan.FromSeconds(20), "the lock of a stopped replica lapses within its lease time");
            if (status == HttpStatusCode.Conflict)
            {
                await Task.Delay(250);
            }
        }
        while (status != HttpStatusCode.OK);
        releaseAgain.SetResult();
        output.WriteLine($"lock of a stopped replica taken by the other after {stopped.Elapsed.TotalSeconds:0.0} s (lease time {ChangeLocks.LeaseTime.TotalSeconds:0} s)");
    }

    private (TaskCompletionSource Entered, TaskCompletionSource Release, Task<ChangeResult<bool>> Running) HoldOnA()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var admin = new ChangeCaller(ControlPlaneAppFactory.BootstrapAdmin, [new Grant(0, ControlPlaneAppFactory.BootstrapAdmin, Role.Admin, AccessScope.Everywhere)], null);
        var intent = new ChangeIntent(Permissions.Services.Update, AccessTarget.InCluster(Cluster), "services.scale", _service);
        var running = _a.Services.GetRequiredService<ChangeGate>().PassAsync(admin, intent, async (_, _) =>
        {
            entered.SetResult();
            await release.Task;
            return new Acted<bool>(true, "Done.");
        });
        return (entered, release, running);
    }

    public async Task DisposeAsync()
    {
        await _manager.Swarm.RemoveServiceAsync(_serviceId);
        _manager.Dispose();
        await _b.DisposeAsync();
        await _a.DisposeAsync();
        await _database.DisposeAsync();
    }
}
