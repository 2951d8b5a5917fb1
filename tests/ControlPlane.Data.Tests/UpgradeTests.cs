using ControlPlane.Core.Identity;
using ControlPlane.Data.Entities;
using ControlPlane.Data.Identity;
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
}

public sealed class SqliteUpgradeTests : UpgradeTests<SqliteDatabase>
{
    protected override SqliteDatabase Create(string stopBefore) => new() { StopBefore = stopBefore };
}

public sealed class PostgresUpgradeTests : UpgradeTests<PostgresDatabase>
{
    protected override PostgresDatabase Create(string stopBefore) => new() { StopBefore = stopBefore };
}
