using ControlPlane.Core.Identity;
using ControlPlane.Data.Entities;
using ControlPlane.Data.Identity;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Stacks;
using ControlPlane.Data.Operations;
using ControlPlane.Data.Stacks;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Data.Tests;

/// <summary>A database of the release before a migration upgrades in place, keeping what it holds.</summary>
public abstract class UpgradeTests<TDatabase> where TDatabase : TestDatabase
{
    protected abstract TDatabase Create(string stopBefore);

    [Fact]
    public async Task Accounts_from_before_security_stamps_keep_their_passwords_and_each_get_a_stamp_of_their_own()
    {
        var database = Create(stopBefore: "SecurityStamps");
        await database.InitializeAsync();
        try
        {
            var hasher = new PasswordHasher<UserAccount>();
            await using (var old = database.CreateContext())
            {
                // Written as the earlier release wrote rows: its Users table has no SecurityStamp column yet.
                foreach (var (name, password) in new[] { ("alice", "alice's old password"), ("bob", "bob's old password!") })
                {
                    var hash = hasher.HashPassword(new UserAccount { UserName = name }, password);
                    await old.Database.ExecuteSqlAsync(
                        $"""INSERT INTO "Users" ("UserName", "PasswordHash", "FailedSignIns", "CreatedAt") VALUES ({name}, {hash}, 0, {DateTimeOffset.UnixEpoch})""");
                }
            }

            await using (var db = database.CreateContext())
            {
                Assert.Contains(db.Database.GetPendingMigrations(), m => m.EndsWith("_SecurityStamps", StringComparison.Ordinal));
                await db.Database.MigrateAsync();
            }

            var accounts = new Accounts(database.Services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System);
            var alice = await accounts.SignInAsync("alice", "alice's old password");
            var bob = await accounts.SignInAsync("bob", "bob's old password!");
            Assert.Equal(SignInOutcome.Succeeded, alice.Outcome);
            Assert.Equal(SignInOutcome.Succeeded, bob.Outcome);
            Assert.Equal(32, alice.SecurityStamp?.Length);
            Assert.Equal(32, bob.SecurityStamp?.Length);
            Assert.NotEqual(alice.SecurityStamp, bob.SecurityStamp);
            Assert.Equal(alice.SecurityStamp, await accounts.SecurityStampAsync(alice.Account!.Id));
        }
        finally
        {
            await database.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_database_from_before_stack_history_keeps_its_operations_and_then_keeps_stack_deploys()
    {
        var database = Create(stopBefore: "StackDeployments");
        await database.InitializeAsync();
        try
        {
            var scopes = database.Services.GetRequiredService<IServiceScopeFactory>();
            var operations = new OperationStore(scopes, TimeProvider.System);
            var at = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000);
            // An operation as the earlier release stored it; its table is unchanged by the upgrade.
            var earlier = new Operation("0123456789abcdef0123456789abcdef", "rollout", "prod", "web", "shop", "alice", OperationStates.Succeeded,
                new OperationProgress(2, 2), ControlPlane.Core.Model.ValueList<OperationStep>.From([]), null, at, at, at) { Permission = "services.update" };
            await operations.SaveAsync(earlier);

            await using (var db = database.CreateContext())
            {
                Assert.Contains(db.Database.GetPendingMigrations(), m => m.EndsWith("_StackDeployments", StringComparison.Ordinal));
                await db.Database.MigrateAsync();
                Assert.Empty(db.Database.GetPendingMigrations());
            }

            Assert.Equal("alice", (await operations.FindAsync(earlier.Id))?.Actor);
            var history = new StackHistoryStore(scopes);
            var variables = new Dictionary<string, string> { ["TAG"] = "1" };
            var first = await history.AddAsync(new StackDeployment(0, "prod", "shop", "services:\n  web:\n    image: app:${TAG}\n", variables, false, "alice", at, earlier.Id, StackDeployResults.Running));
            await history.SetResultAsync(first.Id, StackDeployResults.Succeeded);
            var second = await history.AddAsync(new StackDeployment(0, "prod", "shop", "services: {}\n", new Dictionary<string, string>(), true, "bob", at.AddMinutes(1), null, StackDeployResults.Failed));

            var listed = await history.ListAsync("prod", "shop");
            Assert.Equal([second.Id, first.Id], listed.Select(d => d.Id));
            Assert.Equal("1", listed[1].Variables["TAG"]);
            Assert.Equal(StackDeployResults.Succeeded, listed[1].Result);
            Assert.Equal(first.Id, Assert.Single(await history.LatestAsync("prod")).Id);
            Assert.Empty(await history.ListAsync("prod", "other"));
        }
        finally
        {
            await database.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_database_from_before_client_bundles_keeps_its_accounts_and_then_records_revokes_and_checks_bundles_by_serial()
    {
        var database = Create(stopBefore: "ClientBundles");
        await database.InitializeAsync();
        try
        {
            await using (var old = database.CreateContext())
            {
                await old.Database.ExecuteSqlAsync(
                    $"""INSERT INTO "Users" ("UserName", "PasswordHash", "FailedSignIns", "CreatedAt", "SecurityStamp") VALUES ({"alice"}, {"x"}, 0, {DateTimeOffset.UnixEpoch}, {"stamp"})""");
            }
            await using (var db = database.CreateContext())
            {
                Assert.Contains(db.Database.GetPendingMigrations(), m => m.EndsWith("_ClientBundles", StringComparison.Ordinal));
                await db.Database.MigrateAsync();
                Assert.Empty(db.Database.GetPendingMigrations());
            }

            var scopes = database.Services.GetRequiredService<IServiceScopeFactory>();
            var alice = Assert.Single(await new Accounts(scopes, TimeProvider.System).ListAsync());
            var bundles = new ClientBundles(scopes, TimeProvider.System);
            var now = DateTimeOffset.UtcNow;
            var laptop = await bundles.AddAsync(alice.Id, "alice", "laptop", "1A2B3C", now, now.AddDays(30));
            var expired = await bundles.AddAsync(alice.Id, "alice", "old", "4D5E6F", now.AddDays(-60), now.AddDays(-1));

            Assert.Equal("laptop", (await bundles.ActiveAsync("1A2B3C"))?.Bundle.Name);
            Assert.Null(await bundles.ActiveAsync("4D5E6F"));
            Assert.True(await bundles.RevokeAsync(alice.Id, laptop.Id));
            Assert.False(await bundles.RevokeAsync(alice.Id + 1, expired.Id));
            Assert.Null(await bundles.ActiveAsync("1A2B3C"));
            Assert.Equal([expired.Id, laptop.Id], (await bundles.ListAsync(alice.Id)).Select(b => b.Id));
        }
        finally
        {
            await database.DisposeAsync();
        }
    }
}

public sealed class SqliteUpgradeTests : UpgradeTests<SqliteDatabase>
{
    protected override SqliteDatabase Create(string stopBefore) => new() { StopBefore = stopBefore };
}

public sealed class PostgresUpgradeTests : UpgradeTests<PostgresDatabase>
{
    protected override PostgresDatabase Create(string stopBefore) => new() { StopBefore = stopBefore };
}
