using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;
using ControlPlane.Data.Leases;
using ControlPlane.Data.Operations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Data.Tests;

public abstract class OperationStoreTests<TDatabase> : IClassFixture<TDatabase> where TDatabase : TestDatabase
{
    private static readonly DateTimeOffset Start = new(2026, 11, 28, 2, 0, 0, TimeSpan.Zero);
    private readonly TDatabase _database;
    private readonly FakeTimeProvider _time = new(Start);

    protected OperationStoreTests(TDatabase database) => _database = database;

    private OperationStore Store => new(_database.Services.GetRequiredService<IServiceScopeFactory>(), _time);

    private static Operation NewOperation(string cluster, string target, DateTimeOffset at, string state = OperationStates.Running) => new(
        Guid.NewGuid().ToString("n"), "services.rollout", cluster, target, "shop", "alice", state,
        new OperationProgress(0, 3), ValueList<OperationStep>.Empty, null, at, at, null)
    {
        Parameters = """{"image":"demo/app:2"}""",
        Permission = "services.update",
    };

    [Fact]
    public async Task An_operation_is_saved_updated_in_place_and_read_back_whole()
    {
        var cluster = $"c-{Guid.NewGuid():N}";
        var operation = NewOperation(cluster, "web", Start);
        await Store.SaveAsync(operation);

        var moved = operation
            .WithStep(new OperationStep("slot 1", OperationStates.Succeeded, "running demo/app:2", Start.AddSeconds(2)) { Node = "cp-node2", Progress = new(1, 1) })
            .WithStep(new OperationStep("slot 2", OperationStates.Running, "starting", Start.AddSeconds(3)))
            with { Progress = new(1, 3) };
        await Store.SaveAsync(moved);
        var finished = moved with { State = OperationStates.RolledBack, Error = "task exited with 1", FinishedAt = Start.AddSeconds(9) };
        await Store.SaveAsync(finished);

        var read = await Store.FindAsync(operation.Id);
        Assert.Equal(finished, read);
        Assert.Equal("services.update", read!.Permission);
        Assert.Equal("""{"image":"demo/app:2"}""", read.Parameters);
        Assert.Equal("cp-node2", read.FindStep("slot 1")!.Node);
        Assert.Null(await Store.FindAsync("nope"));
    }

    [Fact]
    public async Task Listing_narrows_by_cluster_kind_target_and_state_newest_first()
    {
        var cluster = $"c-{Guid.NewGuid():N}";
        var older = NewOperation(cluster, "web", Start, OperationStates.Succeeded);
        var newer = NewOperation(cluster, "web", Start.AddMinutes(1), OperationStates.Failed);
        var otherTarget = NewOperation(cluster, "api", Start.AddMinutes(2));
        var otherCluster = NewOperation("elsewhere", "web", Start.AddMinutes(3));
        foreach (var operation in new[] { older, newer, otherTarget, otherCluster })
        {
            await Store.SaveAsync(operation);
        }

        Assert.Equal([newer.Id, older.Id], (await Store.ListAsync(new OperationQuery(cluster, "services.rollout", "web"))).Select(o => o.Id));
        Assert.Equal([newer.Id], (await Store.ListAsync(new OperationQuery(cluster, State: OperationStates.Failed))).Select(o => o.Id));
        Assert.Equal([otherTarget.Id], (await Store.ListAsync(new OperationQuery(cluster, Limit: 1))).Select(o => o.Id));
        Assert.Empty(await Store.ListAsync(new OperationQuery(cluster, Kind: "secrets.rotate")));
    }

    [Fact]
    public async Task Operations_left_running_by_a_stopped_controlplane_are_marked_failed_at_start()
    {
        var cluster = $"c-{Guid.NewGuid():N}";
        var abandoned = NewOperation(cluster, "web", Start.AddMinutes(-30));
        var live = NewOperation(cluster, "api", Start.AddMinutes(-1));
        var finished = NewOperation(cluster, "db", Start.AddMinutes(-30), OperationStates.Succeeded);
        foreach (var operation in new[] { abandoned, live, finished })
        {
            await Store.SaveAsync(operation);
        }

        Assert.True(await Store.FailAbandonedAsync() >= 1);

        var after = await Store.FindAsync(abandoned.Id);
        Assert.Equal(OperationStates.Failed, after!.State);
        Assert.Contains("ControlPlane stopped", after.Error);
        Assert.Equal(Start, after.FinishedAt);
        Assert.Equal(OperationStates.Running, (await Store.FindAsync(live.Id))!.State);
        Assert.Equal(OperationStates.Succeeded, (await Store.FindAsync(finished.Id))!.State);
    }

    [Fact]
    public async Task A_quiet_operation_whose_owner_still_renews_its_lease_is_not_marked_failed()
    {
        var cluster = $"c-{Guid.NewGuid():N}";
        var owned = NewOperation(cluster, "web", Start.AddMinutes(-30));
        var lapsed = NewOperation(cluster, "api", Start.AddMinutes(-30));
        await Store.SaveAsync(owned);
        await Store.SaveAsync(lapsed);
        var leases = new LeaseStore(_database.Services.GetRequiredService<IServiceScopeFactory>(), _time);
        var ownerOf = (Operation o) => Core.Changes.ChangeLocks.LeaseName(OperationRunner.OwnerKey(o.Id));
        Assert.True(await leases.TryAcquireAsync(ownerOf(owned), "replica-a", TimeSpan.FromSeconds(10)));
        Assert.True(await leases.TryAcquireAsync(ownerOf(lapsed), "replica-b", TimeSpan.FromSeconds(10)));
        _time.Advance(TimeSpan.FromSeconds(8));
        Assert.True(await leases.TryRenewAsync(ownerOf(owned), "replica-a", TimeSpan.FromSeconds(10)));
        _time.Advance(TimeSpan.FromSeconds(8));

        await Store.FailAbandonedAsync();

        Assert.Equal(OperationStates.Running, (await Store.FindAsync(owned.Id))!.State);
        Assert.Equal(OperationStates.Failed, (await Store.FindAsync(lapsed.Id))!.State);
    }

    [Fact]
    public async Task Renewing_extends_only_a_lease_the_holder_still_has_and_never_creates_one()
    {
        var leases = new LeaseStore(_database.Services.GetRequiredService<IServiceScopeFactory>(), _time);
        var name = $"lock/{Guid.NewGuid():N}"[..24];

        Assert.False(await leases.TryRenewAsync(name, "replica-a", TimeSpan.FromSeconds(10)), "a released or never taken lease is not brought back");
        Assert.True(await leases.TryAcquireAsync(name, "replica-b", TimeSpan.FromSeconds(10)), "so another replica can take it");
        Assert.False(await leases.TryRenewAsync(name, "replica-a", TimeSpan.FromSeconds(10)));
        _time.Advance(TimeSpan.FromSeconds(15));
        Assert.True(await leases.TryRenewAsync(name, "replica-b", TimeSpan.FromSeconds(10)), "a lapsed lease nobody took is renewed by its holder");
        Assert.False(await leases.TryAcquireAsync(name, "replica-a", TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_lease_has_one_holder_until_it_expires_or_is_released()
    {
        var leases = new LeaseStore(_database.Services.GetRequiredService<IServiceScopeFactory>(), _time);
        var name = $"job-{Guid.NewGuid():N}"[..20];

        Assert.True(await leases.TryAcquireAsync(name, "replica-a", TimeSpan.FromMinutes(2)));
        Assert.False(await leases.TryAcquireAsync(name, "replica-b", TimeSpan.FromMinutes(2)));
        Assert.True(await leases.TryAcquireAsync(name, "replica-a", TimeSpan.FromMinutes(2)), "the holder renews it");

        _time.Advance(TimeSpan.FromMinutes(3));
        Assert.True(await leases.TryAcquireAsync(name, "replica-b", TimeSpan.FromMinutes(2)), "an expired lease can be taken");
        Assert.False(await leases.TryAcquireAsync(name, "replica-a", TimeSpan.FromMinutes(2)));

        await leases.ReleaseAsync(name, "replica-a");
        Assert.False(await leases.TryAcquireAsync(name, "replica-a", TimeSpan.FromMinutes(2)), "only the holder can release it");
        await leases.ReleaseAsync(name, "replica-b");
        Assert.True(await leases.TryAcquireAsync(name, "replica-a", TimeSpan.FromMinutes(2)));
    }

    [Fact]
    public async Task Replicas_racing_for_a_free_lease_get_exactly_one_winner()
    {
        var leases = new LeaseStore(_database.Services.GetRequiredService<IServiceScopeFactory>(), _time);
        var name = $"race-{Guid.NewGuid():N}"[..20];

        var wins = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => leases.TryAcquireAsync(name, $"replica-{i}", TimeSpan.FromMinutes(1)))));

        Assert.Equal(1, wins.Count(w => w));
    }
}

public sealed class SqliteOperationStoreTests(SqliteDatabase database) : OperationStoreTests<SqliteDatabase>(database);

public sealed class PostgresOperationStoreTests(PostgresDatabase database) : OperationStoreTests<PostgresDatabase>(database);
