using System.Net;
using System.Net.Http.Json;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Secrets;
using ControlPlane.Core.State;
using ControlPlane.Web.Changes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Web.Tests.SecretFamilies;

/// <summary>A family created with a generated value and a schedule is rotated by the scheduler once it is due, as "controlplane (scheduled)".</summary>
public sealed class ScheduledRotationTests(SecretsSwarm swarm) : IClassFixture<SecretsSwarm>
{
    [Fact]
    public async Task A_due_family_is_rotated_with_a_new_generated_value_and_keeps_its_schedule_while_one_not_due_is_left_alone()
    {
        var due = swarm.Name("sched");
        var fresh = swarm.Name("fresh");
        foreach (var (family, days) in new[] { (due, 1), (fresh, 30) })
        {
            using var created = await swarm.Admin.PostAsJsonAsync($"/api/clusters/{SecretsSwarm.Cluster}/secrets",
                new { family, generate = new { length = 20, alphabet = "hex" }, rotateEveryDays = days });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        var v1 = (await swarm.Manager.Secrets.ListAsync()).Single(s => s.Spec!.Name == $"{due}.v1");
        Assert.Equal(("1", "20", "hex"), (v1.Spec!.Labels!["controlplane.rotate-every-days"], v1.Spec.Labels["controlplane.generate-length"], v1.Spec.Labels["controlplane.generate-alphabet"]));
        var service = swarm.Name("schedsvc");
        await swarm.CreateServiceAsync(service, 1, [(v1.ID!, v1.Spec.Name!, "token")]);
        await swarm.WaitUntilSeenAsync(due, service);
        await swarm.WaitUntilSeenAsync(fresh);
        var before = Assert.Single(await swarm.ReadInContainersAsync(service, "/run/secrets/token"));

        // Two days on, the 1-day family is due and the 30-day one is not.
        var later = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(2));
        var scheduler = new ScheduledRotation(swarm.App.Services.GetRequiredService<ClusterStateStore>(), swarm.App.Services.GetRequiredService<FileFamilyCommands>(),
            swarm.App.Services, later, NullLogger<ScheduledRotation>.Instance);
        var started = await scheduler.RotateDueAsync(CancellationToken.None);

        var operation = await swarm.FinishedAsync(Assert.Single(started));
        Assert.True(operation.State == OperationStates.Succeeded, $"{operation.State}: {operation.Error}");
        Assert.Equal(due, operation.Target);
        Assert.Equal(FileFamilyCommands.ScheduledActor, operation.Actor);
        var v2 = (await swarm.Manager.Secrets.ListAsync()).Single(s => s.Spec!.Name == $"{due}.v2");
        Assert.Equal((FileFamilyCommands.ScheduledActor, "1", "20"), (v2.Spec!.Labels!["controlplane.created-by"], v2.Spec.Labels["controlplane.rotate-every-days"], v2.Spec.Labels["controlplane.generate-length"]));
        Assert.Equal([$"{due}.v2"], await swarm.SecretNamesAsync(due));
        Assert.Equal([$"{fresh}.v1"], await swarm.SecretNamesAsync(fresh));
        var after = Assert.Single(await swarm.ReadInContainersAsync(service, "/run/secrets/token"));
        Assert.Matches("^[0-9a-f]{20}$", after);
        Assert.NotEqual(before, after);
        var audit = await swarm.Admin.GetStringAsync("/api/audit?action=secrets.rotate&limit=50");
        Assert.Contains(FileFamilyCommands.ScheduledActor, audit);
    }

    [Fact]
    public async Task A_schedule_is_set_on_an_existing_family_s_newest_version_and_removed_again()
    {
        var family = swarm.Name("later");
        await swarm.CreateFamilyAsync(family, "typed");
        await swarm.WaitUntilSeenAsync(family);

        using (var set = await swarm.Admin.PutAsJsonAsync($"/api/clusters/{SecretsSwarm.Cluster}/secrets/{family}/schedule", new { rotateEveryDays = 30, generate = new { length = 40, alphabet = "base64url" } }))
        {
            Assert.True(set.IsSuccessStatusCode, await set.Content.ReadAsStringAsync());
        }
        var labels = (await swarm.Manager.Secrets.ListAsync()).Single(s => s.Spec!.Name == $"{family}.v1").Spec!.Labels!;
        Assert.Equal(("30", "40", "base64url", family), (labels["controlplane.rotate-every-days"], labels["controlplane.generate-length"], labels["controlplane.generate-alphabet"], labels["controlplane.family"]));

        using (var bad = await swarm.Admin.PutAsJsonAsync($"/api/clusters/{SecretsSwarm.Cluster}/secrets/{family}/schedule", new { rotateEveryDays = 0 }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }
        using (var removed = await swarm.Admin.PutAsJsonAsync($"/api/clusters/{SecretsSwarm.Cluster}/secrets/{family}/schedule", new { rotateEveryDays = (int?)null }))
        {
            Assert.True(removed.IsSuccessStatusCode, await removed.Content.ReadAsStringAsync());
        }
        labels = (await swarm.Manager.Secrets.ListAsync()).Single(s => s.Spec!.Name == $"{family}.v1").Spec!.Labels!;
        Assert.False(labels.ContainsKey("controlplane.rotate-every-days"));
        Assert.Equal(family, labels["controlplane.family"]);
    }
}
