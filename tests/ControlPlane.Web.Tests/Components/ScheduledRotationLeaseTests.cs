using ControlPlane.Core.Leases;
using ControlPlane.Core.Model;
using ControlPlane.Core.Secrets;
using ControlPlane.Core.State;
using ControlPlane.Web.Changes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

/// <summary>The scheduler rotates only while this replica holds the secret-rotation lease, and tries a failing family again only after a while.</summary>
public sealed class ScheduledRotationLeaseTests : LiveComponentTestContext
{
    private sealed class ScriptedLeases : ILeaseStore
    {
        public bool Granted { get; set; }

        public List<string> Asked { get; } = [];

        public Task<bool> TryAcquireAsync(string name, string holder, TimeSpan duration, CancellationToken cancellationToken = default)
        {
            lock (Asked)
            {
                Asked.Add(name);
            }
            return Task.FromResult(Granted);
        }

        public Task ReleaseAsync(string name, string holder, CancellationToken cancellationToken = default) => Task.CompletedTask;
    }

    [Fact]
    public async Task A_due_family_is_rotated_only_on_a_tick_where_the_lease_is_held()
    {
        var leases = new ScriptedLeases();
        Services.AddSingleton<ILeaseStore>(leases);
        Services.AddSingleton(new LeaseHolder());
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var labels = Labels.From([new("controlplane.family", "api"), new("controlplane.version", "1"), .. new RotationPolicy(1, 24, "hex").ToLabels()]);
        Upsert(Secret("api.v1", labels) with { CreatedAt = time.GetUtcNow().AddDays(-2) }, Secret("other.v1", Labels.From([new("controlplane.family", "other"), new("controlplane.version", "1")])));
        SetStatus(ClusterStatus.Synced);
        Assert.Same(leases, Services.GetService<ILeaseStore>());
        var scheduler = new ScheduledRotation(Services.GetRequiredService<ClusterStateStore>(), Services.GetRequiredService<FileFamilyCommands>(), Services, time, NullLogger<ScheduledRotation>.Instance);
        using var stop = new CancellationTokenSource();
        await scheduler.StartAsync(stop.Token);

        // The service starts its timer on a thread of its own: minutes pass until it has asked for the lease.
        await TicksUntilAsync(time, () => Asked(leases) >= 2);
        Assert.DoesNotContain(FileObjects.Calls, c => c.StartsWith("create", StringComparison.Ordinal));

        leases.Granted = true;
        await TicksUntilAsync(time, () => FileObjects.Calls.Contains("create Secret api.v2"));
        // Besides the scheduler's own lease, only the locks of the rotation it started (each object is a lease too).
        Assert.All(leases.Asked.ToList().Where(name => !name.StartsWith("lock/", StringComparison.Ordinal)), name => Assert.Equal(ScheduledRotation.LeaseName, name));
        Assert.Contains(Audit.Entries, e => e.Actor == FileFamilyCommands.ScheduledActor && e.Action == "secrets.rotate");
        Assert.DoesNotContain(FileObjects.Calls, c => c.Contains("other.v2"));

        await stop.CancelAsync();
        await scheduler.StopAsync(CancellationToken.None);
    }

    private static int Asked(ScriptedLeases leases)
    {
        lock (leases.Asked)
        {
            return leases.Asked.Count;
        }
    }

    /// <summary>Lets a minute pass at a time until <paramref name="condition"/> holds (at most an hour of fake time).</summary>
    private static async Task TicksUntilAsync(FakeTimeProvider time, Func<bool> condition)
    {
        for (var minute = 0; minute < 60 && !condition(); minute++)
        {
            time.Advance(ScheduledRotation.Interval);
            await WaitUntilAsync(condition, TimeSpan.FromMilliseconds(200), throwOnTimeout: false);
        }
        Assert.True(condition(), "the condition did not hold within an hour of fake time");
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, bool throwOnTimeout = true)
    {
        var deadline = DateTime.UtcNow + timeout;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await timer.WaitForNextTickAsync();
        }
        Assert.True(condition() || !throwOnTimeout, "timed out");
    }
}
