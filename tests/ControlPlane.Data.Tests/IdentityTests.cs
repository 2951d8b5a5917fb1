using ControlPlane.Core.Identity;
using ControlPlane.Core.Security;
using ControlPlane.Data.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Data.Tests;

public abstract class IdentityTests<TDatabase>(TDatabase database) : IClassFixture<TDatabase> where TDatabase : TestDatabase
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero));

    private IServiceScopeFactory Scopes => database.Services.GetRequiredService<IServiceScopeFactory>();

    private static string Unique(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..20];

    [Fact]
    public async Task Five_wrong_passwords_lock_the_account_even_against_the_right_one_until_the_lockout_ends()
    {
        var accounts = new Accounts(Scopes, _time);
        var name = Unique("u");
        await accounts.CreateAsync(name, "correct horse battery");

        for (var i = 1; i < Accounts.MaxFailedSignIns; i++)
        {
            Assert.Equal(SignInOutcome.WrongCredentials, (await accounts.SignInAsync(name, "wrong password!!")).Outcome);
        }
        // The fifth guess is still checked (and wrong); it locks the account, so the sixth is not checked at all.
        Assert.NotNull((await accounts.SignInAsync(name, "wrong password!!")).LockedUntil);
        Assert.Equal(SignInOutcome.LockedOut, (await accounts.SignInAsync(name, "wrong password!!")).Outcome);
        Assert.Equal(SignInOutcome.LockedOut, (await accounts.SignInAsync(name, "correct horse battery")).Outcome);

        _time.Advance(Accounts.LockoutDuration + TimeSpan.FromSeconds(1));

        var result = await accounts.SignInAsync(name, "correct horse battery");
        Assert.Equal(SignInOutcome.Succeeded, result.Outcome);
        Assert.Equal(name, result.Account!.UserName);
    }

    [Fact]
    public async Task Guesses_sent_in_parallel_get_no_more_password_checks_than_guesses_sent_one_after_another()
    {
        var accounts = new Accounts(Scopes, _time);
        var name = Unique("p");
        await accounts.CreateAsync(name, "correct horse battery");

        // Twenty guesses at once, each on its own connection as twenty requests would be.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ => (await accounts.SignInAsync(name, "wrong password!!")).Outcome));

        // One after another, five guesses are checked and the fifth locks the account; in parallel no more may be checked.
        Assert.True(outcomes.Count(o => o == SignInOutcome.WrongCredentials) <= Accounts.MaxFailedSignIns,
            $"{outcomes.Count(o => o == SignInOutcome.WrongCredentials)} of 20 parallel guesses were checked against the password");
        Assert.Equal(SignInOutcome.LockedOut, (await accounts.SignInAsync(name, "correct horse battery")).Outcome);
        Assert.True(await accounts.UnlockAsync(name), "the console's way back in");
        Assert.Equal(SignInOutcome.Succeeded, (await accounts.SignInAsync(name, "correct horse battery")).Outcome);
    }

    [Fact]
    public async Task A_password_change_and_a_renewal_each_give_the_account_a_new_security_stamp()
    {
        var accounts = new Accounts(Scopes, _time);
        var name = Unique("s");
        var account = await accounts.CreateAsync(name, "first long password");
        var first = (await accounts.SignInAsync(name, "first long password")).SecurityStamp;
        Assert.False(string.IsNullOrEmpty(first));
        Assert.Equal(first, await accounts.SecurityStampAsync(account.Id));

        Assert.Null(await accounts.ChangePasswordAsync(account.Id, "first long password", "second long password"));
        var second = await accounts.SecurityStampAsync(account.Id);
        Assert.NotEqual(first, second);

        Assert.True(await accounts.RenewSecurityStampAsync(account.Id));
        Assert.NotEqual(second, await accounts.SecurityStampAsync(account.Id));
        Assert.False(await accounts.RenewSecurityStampAsync(-1));
        Assert.Null(await accounts.SecurityStampAsync(-1));
    }

    [Fact]
    public async Task Passwords_are_stored_only_as_hashes_and_bad_input_is_refused_with_a_reason()
    {
        await using var db = database.CreateContext();
        var accounts = new Accounts(Scopes, _time);
        var name = Unique("h");
        await accounts.CreateAsync(name, "a very secret passphrase");

        var stored = await db.Users.AsNoTracking().SingleAsync(u => u.UserName == name);
        Assert.DoesNotContain("a very secret passphrase", stored.PasswordHash);
        Assert.Contains("at least 12", (await Assert.ThrowsAsync<ArgumentException>(() => accounts.CreateAsync(Unique("s"), "short"))).Message);
        Assert.Contains("already exists", (await Assert.ThrowsAsync<ArgumentException>(() => accounts.CreateAsync(name, "another long password"))).Message);
        Assert.Contains("letters, digits", (await Assert.ThrowsAsync<ArgumentException>(() => accounts.CreateAsync("bad name", "another long password"))).Message);
        Assert.Equal(SignInOutcome.WrongCredentials, (await accounts.SignInAsync("nobody-" + name, "whatever password")).Outcome);
    }

    [Fact]
    public async Task A_token_works_until_it_expires_or_is_revoked_and_only_its_hash_is_stored()
    {
        await using var db = database.CreateContext();
        var user = await new Accounts(Scopes, _time).CreateAsync(Unique("t"), "token owner password");
        var tokens = new Tokens(Scopes, _time);

        var created = await tokens.CreateAsync(user.Id, "ci", expiresInDays: 1);
        var other = await tokens.CreateAsync(user.Id, "backup", expiresInDays: 30);

        Assert.StartsWith(IdentityRules.TokenPrefix, created.Token);
        Assert.Equal(user.Id, (await tokens.AuthenticateAsync(created.Token))?.Account.Id);
        Assert.DoesNotContain(await db.ApiTokens.AsNoTracking().ToListAsync(), t => t.TokenHash.Contains(created.Token[4..]));
        Assert.Null(await tokens.AuthenticateAsync(created.Token + "x"));
        Assert.Null(await tokens.AuthenticateAsync("not-a-token"));

        _time.Advance(TimeSpan.FromDays(1));
        Assert.Null(await tokens.AuthenticateAsync(created.Token));

        Assert.NotNull(await tokens.AuthenticateAsync(other.Token));
        Assert.True(await tokens.RevokeAsync(user.Id, other.Id));
        Assert.Null(await tokens.AuthenticateAsync(other.Token));
        Assert.False(await tokens.RevokeAsync(user.Id + 1000, other.Id));
        await Assert.ThrowsAsync<ArgumentException>(() => tokens.CreateAsync(user.Id, "too long", expiresInDays: 1000));
    }

    [Fact]
    public async Task Grants_are_listed_by_subject_and_removed_by_id()
    {
        var grants = new Grants(Scopes, _time);
        var alice = Unique("alice");

        var onStack = await grants.AddAsync(alice, Role.Operator, AccessScope.OfStack("prod", "shop"), "admin");
        await grants.AddAsync("group:ops", Role.Viewer, AccessScope.Everywhere, "admin");

        var mine = await grants.ForSubjectsAsync([alice, "group:ops"]);
        Assert.Equal(2, mine.Count);
        Assert.Contains(mine, g => g.Role == Role.Operator && g.Scope == AccessScope.OfStack("prod", "shop"));
        Assert.Equal(onStack.Id, (await grants.RemoveAsync(onStack.Id))?.Id);
        Assert.Null(await grants.RemoveAsync(onStack.Id));
        await Assert.ThrowsAsync<ArgumentException>(() => grants.AddAsync(alice, Role.Viewer, new AccessScope(null, "shop"), "admin"));
    }
}

public sealed class SqliteIdentityTests(SqliteDatabase database) : IdentityTests<SqliteDatabase>(database);

public sealed class PostgresIdentityTests(PostgresDatabase database) : IdentityTests<PostgresDatabase>(database);
