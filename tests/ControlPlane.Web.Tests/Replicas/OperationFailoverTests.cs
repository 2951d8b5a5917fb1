using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ControlPlane.Core.Audit;
using ControlPlane.Core.Operations;
using ControlPlane.Web.Tests.Infrastructure;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace ControlPlane.Web.Tests.Replicas;

/// <summary>
/// An operation survives the loss of the replica running it (DESIGN §8): replica A starts a secret rotation (or an image
/// rollout) on the real swarm and stops mid-way; replica B, on the same PostgreSQL database, adopts it once A's lease
/// lapses and finishes it: no service is left on a half-swapped secret, and the rollout ends with every task on the new
/// image. Prints the failover time. Engine API through Docker.DotNet only.
/// </summary>
public sealed class OperationFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Cluster = SwarmAppFactory.ClusterId;

    private static readonly Dictionary<string, string?> Swarm = new()
    {
        ["ControlPlane:Clusters:0:Name"] = Cluster,
        ["ControlPlane:Clusters:0:Endpoints:0"] = SwarmEnvironment.DockerHost,
    };

    private readonly ReplicaDatabase _database = new();
    private readonly DockerClient _manager = new DockerClientBuilder().WithEndpoint(new Uri(SwarmEnvironment.DockerHost)).Build();
    private readonly string _prefix = $"rf{Guid.NewGuid().ToString("N")[..6]}-";
    private readonly List<string> _services = [];
    private ReplicaAppFactory _a = default!;
    private ReplicaAppFactory _b = default!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _a = _database.Replica(Swarm).Started();
        _b = _database.Replica(Swarm).Started();
    }

    [Fact]
    public async Task A_rotation_whose_replica_stops_mid_way_is_adopted_by_another_replica_which_finishes_it_with_no_service_half_swapped()
    {
        using var onA = _a.CreateAdminClient();
        using var onB = _b.CreateAdminClient();
        var family = $"{_prefix}db";
        using (var created = await onA.PostAsJsonAsync($"/api/clusters/{Cluster}/secrets", new { family, data = Base64("first") }))
        {
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        }
        var v1 = (await _manager.Secrets.ListAsync()).Single(s => s.Spec!.Name == $"{family}.v1");
        // Three services, each update watched for a few seconds, so the rotation is still going when A stops.
        foreach (var name in new[] { "a", "b", "c" })
        {
            _services.Add(await CreateServiceAsync($"{_prefix}{name}", v1.ID!, v1.Spec!.Name!));
        }
        await onA.GetUntilAsync($"/api/clusters/{Cluster}/secrets", (status, json) => status == HttpStatusCode.OK
            && json.EnumerateArray().Any(s => s.GetProperty("family").GetString() == family && s.GetProperty("usedBy").GetArrayLength() == 3), TimeSpan.FromSeconds(60));

        using var rotate = await onA.PostAsJsonAsync($"/api/clusters/{Cluster}/secrets/{family}/rotate", new { data = Base64("second") });
        var body = await rotate.Content.ReadAsStringAsync();
        Assert.True(rotate.StatusCode == HttpStatusCode.Accepted, $"{(int)rotate.StatusCode} {body}");
        var id = JsonDocument.Parse(body).RootElement.GetProperty("operationId").GetString()!;
        var operations = _b.Services.GetRequiredService<IOperationStore>();
        await WaitAsync(async () => (await operations.FindAsync(id))?.FindStep($"{_prefix}a")?.State == OperationStates.Succeeded, TimeSpan.FromMinutes(2), "the first service is on the new version");

        // A stops without finishing: it hands nothing back and puts nothing back; its lease is simply not renewed.
        var stopped = Stopwatch.StartNew();
        await _a.DisposeAsync();
        var before = await operations.FindAsync(id);
        Assert.Equal(OperationStates.Running, before!.State);

        var runnerB = _b.Services.GetRequiredService<OperationRunner>();
        await WaitAsync(() => Task.FromResult(runnerB.IsRunningHere(id)), TimeSpan.FromSeconds(30), "replica B adopts the operation");
        var adopted = stopped.Elapsed;
        await WaitAsync(async () => (await operations.FindAsync(id))!.UpdatedAt > before.UpdatedAt, TimeSpan.FromSeconds(30), "the adopted operation moves on");
        var progressing = stopped.Elapsed;
        output.WriteLine($"failover: replica stopped -> operation adopted {adopted.TotalSeconds:0.0} s, progressing {progressing.TotalSeconds:0.0} s (lease {Core.Changes.ChangeLocks.LeaseTime.TotalSeconds:0} s, adoption scan every {Changes.OperationAdoption.Interval.TotalSeconds:0} s)");
        Assert.True(adopted < TimeSpan.FromSeconds(15), $"adopted within 15 s of the stop, not {adopted.TotalSeconds:0.0} s");

        await runnerB.WhenFinishedAsync(id);
        var finished = await operations.FindAsync(id);
        Assert.True(finished!.State == OperationStates.Succeeded, $"{finished.State}: {finished.Error}");
        Assert.All(finished.Steps, step => Assert.Equal(OperationStates.Succeeded, step.State));

        // Every service is on version 2 only, and version 1 is gone: nothing half-swapped.
        var secrets = (await _manager.Secrets.ListAsync()).Where(s => s.Spec!.Name!.StartsWith(family, StringComparison.Ordinal)).Select(s => s.Spec!.Name).ToList();
        Assert.Equal([$"{family}.v2"], secrets);
        foreach (var serviceId in _services)
        {
            var spec = (await _manager.Swarm.InspectServiceAsync(serviceId)).Spec!;
            Assert.Equal([$"{family}.v2"], spec.TaskTemplate!.ContainerSpec!.Secrets!.Select(s => s.SecretName));
        }

        var audit = await _b.Services.GetRequiredService<IAuditReader>().QueryAsync(new AuditQuery(Action: "operations.adopt"));
        var adoption = Assert.Single(audit);
        Assert.Equal(ControlPlaneAppFactory.BootstrapAdmin, adoption.Entry.Actor);
        Assert.Contains(id, adoption.Entry.Detail);
        var ends = await _b.Services.GetRequiredService<IAuditReader>().QueryAsync(new AuditQuery(Action: "secrets.rotate"));
        Assert.Contains(ends, r => r.Entry.Result == AuditResult.Succeeded && r.Entry.Detail!.Contains(id));
    }

    [Fact]
    public async Task A_rollout_whose_replica_stops_mid_way_is_adopted_by_another_replica_which_follows_it_to_its_end()
    {
        using var onA = _a.CreateAdminClient();
        var name = $"{_prefix}web";
        // The service's own policy: all tasks at once. The rollout asks for one at a time with a delay instead.
        var created = await CreateReplicatedServiceAsync(name, new SwarmUpdateConfig { Parallelism = 3, FailureAction = "pause", Monitor = TimeSpan.FromSeconds(1) });
        await onA.GetUntilAsync($"/api/clusters/{Cluster}/services/{name}", (status, json) => status == HttpStatusCode.OK
            && json.GetProperty("replicasRunning").GetInt32() == 3, TimeSpan.FromSeconds(60));

        var image = SwarmEnvironment.DemoImage[..SwarmEnvironment.DemoImage.LastIndexOf(':')] + ":2";
        using var rollout = await onA.PostAsJsonAsync($"/api/clusters/{Cluster}/services/{name}/rollout",
            new { image, update = new { parallelism = 1, delaySeconds = 4, monitorSeconds = 1 } });
        // One slot on the new image, two to go with 4 s between them: A stops in the middle of Docker's update.
        var (id, before, stopped, adopted) = await StopAMidwayAsync(rollout, "rollout", "the first task runs the new image");
        var operations = _b.Services.GetRequiredService<IOperationStore>();
        var runnerB = _b.Services.GetRequiredService<OperationRunner>();
        await WaitAsync(async () => (await operations.FindAsync(id))!.UpdatedAt > before.UpdatedAt, TimeSpan.FromSeconds(30), "the adopted rollout moves on");
        var progressing = stopped.Elapsed;
        await runnerB.WhenFinishedAsync(id);
        var finished = await operations.FindAsync(id);
        output.WriteLine($"rollout failover: replica stopped -> operation adopted {adopted.TotalSeconds:0.0} s, progressing {progressing.TotalSeconds:0.0} s, ended {stopped.Elapsed.TotalSeconds:0.0} s; done {before.Progress.Done} of 3 when stopped");
        Assert.True(adopted < TimeSpan.FromSeconds(15), $"adopted within 15 s of the stop, not {adopted.TotalSeconds:0.0} s");
        Assert.True(finished!.State == OperationStates.Succeeded, $"{finished.State}: {finished.Error}");
        Assert.Equal(new OperationProgress(3, 3), finished.Progress);

        // Every task runs the new image, and the service keeps the policy the rollout set, as the replica that started it
        // would have left it (DESIGN §4: a rollout sets the image with its update settings).
        var service = await _manager.Swarm.InspectServiceAsync(created.ID!);
        Assert.StartsWith(image + "@sha256:", service.Spec!.TaskTemplate!.ContainerSpec!.Image);
        Assert.Equal(1UL, service.Spec.UpdateConfig!.Parallelism);
        Assert.Equal(TimeSpan.FromSeconds(4), service.Spec.UpdateConfig.Delay);
        var tasks = await _manager.Tasks.ListAsync(new TasksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = new Dictionary<string, bool> { [created.ID!] = true }, ["desired-state"] = new Dictionary<string, bool> { ["running"] = true } },
        });
        Assert.Equal(3, tasks.Count);
        Assert.All(tasks, t => Assert.StartsWith(image + "@sha256:", t.Spec!.ContainerSpec!.Image));

        var audit = _b.Services.GetRequiredService<IAuditReader>();
        var adoption = Assert.Single(await audit.QueryAsync(new AuditQuery(Action: "operations.adopt")));
        Assert.Contains(id, adoption.Entry.Detail);
        Assert.Contains(await audit.QueryAsync(new AuditQuery(Action: "services.rollout")), r => r.Entry.Result == AuditResult.Succeeded && r.Entry.Detail!.Contains(id));
    }

    [Fact]
    public async Task A_restart_whose_replica_stops_mid_way_is_adopted_by_another_replica_which_follows_it_until_every_task_is_new()
    {
        using var onA = _a.CreateAdminClient();
        var name = $"{_prefix}api";
        // One task at a time, 4 s apart: the restart is still going when A stops.
        var created = await CreateReplicatedServiceAsync(name, new SwarmUpdateConfig { Parallelism = 1, Delay = TimeSpan.FromSeconds(4), FailureAction = "pause", Monitor = TimeSpan.FromSeconds(1) });
        await onA.GetUntilAsync($"/api/clusters/{Cluster}/services/{name}", (status, json) => status == HttpStatusCode.OK
            && json.GetProperty("replicasRunning").GetInt32() == 3, TimeSpan.FromSeconds(60));
        var running = new TasksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = new Dictionary<string, bool> { [created.ID!] = true }, ["desired-state"] = new Dictionary<string, bool> { ["running"] = true } },
        };
        var old = (await _manager.Tasks.ListAsync(running)).Select(t => t.ID).ToHashSet();

        using var restart = await onA.PostAsync($"/api/clusters/{Cluster}/services/{name}/restart", null);
        var (id, before, stopped, adopted) = await StopAMidwayAsync(restart, "restart", "the first task is restarted");
        var operations = _b.Services.GetRequiredService<IOperationStore>();
        var runnerB = _b.Services.GetRequiredService<OperationRunner>();
        await runnerB.WhenFinishedAsync(id);
        var finished = await operations.FindAsync(id);
        output.WriteLine($"restart failover: replica stopped -> operation adopted {adopted.TotalSeconds:0.0} s, ended {stopped.Elapsed.TotalSeconds:0.0} s; done {before.Progress.Done} of 3 when stopped");
        Assert.True(adopted < TimeSpan.FromSeconds(15), $"adopted within 15 s of the stop, not {adopted.TotalSeconds:0.0} s");
        Assert.True(finished!.State == OperationStates.Succeeded, $"{finished.State}: {finished.Error}");
        Assert.Equal(new OperationProgress(3, 3), finished.Progress);

        // Restarted once, not twice: the force counter moved by one, and every running task is a new one.
        var service = await _manager.Swarm.InspectServiceAsync(created.ID!);
        Assert.Equal(1UL, service.Spec!.TaskTemplate!.ForceUpdate);
        var now = await _manager.Tasks.ListAsync(running);
        Assert.Equal(3, now.Count);
        Assert.All(now, t => Assert.DoesNotContain(t.ID, old));

        var audit = _b.Services.GetRequiredService<IAuditReader>();
        var adoption = Assert.Single(await audit.QueryAsync(new AuditQuery(Action: "operations.adopt")));
        Assert.Contains(id, adoption.Entry.Detail);
        Assert.Contains(await audit.QueryAsync(new AuditQuery(Action: "services.restart")), r => r.Entry.Result == AuditResult.Succeeded && r.Entry.Detail!.Contains(id));
    }

    /// <summary>
    /// Follows the operation <paramref name="started"/> answered (202) until <paramref name="firstDone"/>, stops replica A
    /// in the middle of it, and waits until replica B adopts it: adopted means running on B, or already ended by B (the
    /// caller's state check tells how). Answers its id, its record as A left it, the clock started at the stop and the
    /// time B took to adopt it.
    /// </summary>
    private async Task<(string Id, Operation Before, Stopwatch Stopped, TimeSpan Adopted)> StopAMidwayAsync(HttpResponseMessage started, string kind, string firstDone)
    {
        var body = await started.Content.ReadAsStringAsync();
        Assert.True(started.StatusCode == HttpStatusCode.Accepted, $"{(int)started.StatusCode} {body}");
        var id = JsonDocument.Parse(body).RootElement.GetProperty("operationId").GetString()!;
        var operations = _b.Services.GetRequiredService<IOperationStore>();
        await WaitAsync(async () => (await operations.FindAsync(id))?.Progress.Done >= 1, TimeSpan.FromMinutes(2), firstDone);

        var stopped = Stopwatch.StartNew();
        await _a.DisposeAsync();
        var before = await operations.FindAsync(id);
        Assert.Equal(OperationStates.Running, before!.State);
        Assert.True(before.Progress.Done < 3, $"A stopped before the {kind} ended ({before.Progress.Done} of 3 done)");

        var runnerB = _b.Services.GetRequiredService<OperationRunner>();
        await WaitAsync(async () => runnerB.IsRunningHere(id) || (await operations.FindAsync(id))!.IsFinished, TimeSpan.FromSeconds(30), $"replica B adopts the {kind}");
        return (id, before, stopped, stopped.Elapsed);
    }

    /// <summary>Three replicas of the demo image that stop and restart quickly, updated under <paramref name="update"/>.</summary>
    private async Task<ServiceCreateResponse> CreateReplicatedServiceAsync(string name, SwarmUpdateConfig update)
    {
        var created = await _manager.Swarm.CreateServiceAsync(new ServiceCreateParameters
        {
            Service = new ServiceSpec
            {
                Name = name,
                TaskTemplate = new TaskSpec
                {
                    ContainerSpec = new ContainerSpec { Image = SwarmEnvironment.DemoImage, StopGracePeriod = TimeSpan.FromSeconds(1) },
                    RestartPolicy = new SwarmRestartPolicy { Condition = "on-failure", Delay = TimeSpan.FromSeconds(1) },
                },
                Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = 3 } },
                UpdateConfig = update,
            },
        });
        _services.Add(created.ID!);
        return created;
    }

    private async Task<string> CreateServiceAsync(string name, string secretId, string secretName)
    {
        var created = await _manager.Swarm.CreateServiceAsync(new ServiceCreateParameters
        {
            Service = new ServiceSpec
            {
                Name = name,
                TaskTemplate = new TaskSpec
                {
                    ContainerSpec = new ContainerSpec
                    {
                        Image = SwarmEnvironment.DemoImage,
                        Secrets = [new SecretReference { SecretID = secretId, SecretName = secretName, File = new SecretReferenceFileTarget { Name = "db", UID = "0", GID = "0", Mode = 0x124 } }],
                        StopGracePeriod = TimeSpan.FromSeconds(1),
                    },
                    RestartPolicy = new SwarmRestartPolicy { Condition = "on-failure", Delay = TimeSpan.FromSeconds(1) },
                },
                Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = 1 } },
                UpdateConfig = new SwarmUpdateConfig { Parallelism = 1, FailureAction = "pause", Monitor = TimeSpan.FromSeconds(3) },
            },
        });
        return created.ID!;
    }

    private static string Base64(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value));

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }
            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var id in _services)
        {
            await _manager.Swarm.RemoveServiceAsync(id);
        }
        // A secret stays in use until the removed services' tasks are gone.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await _manager.Secrets.ListAsync()).Where(s => s.Spec!.Name!.StartsWith(_prefix, StringComparison.Ordinal)).ToList() is { Count: > 0 } left && DateTime.UtcNow < deadline)
        {
            foreach (var secret in left)
            {
                try
                {
                    await _manager.Secrets.DeleteAsync(secret.ID!);
                }
                catch (DockerApiException)
                {
                    await Task.Delay(500);
                }
            }
        }
        _manager.Dispose();
        await _b.DisposeAsync();
        await _a.DisposeAsync();
        await _database.DisposeAsync();
    }
}
