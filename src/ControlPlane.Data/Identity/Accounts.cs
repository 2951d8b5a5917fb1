using ControlPlane.Core.Identity;
using ControlPlane.Data.Entities;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SignInResult = ControlPlane.Core.Identity.SignInResult;

namespace ControlPlane.Data.Identity;

/// <summary>Local accounts in the database: creation with password rules, sign-in with lockout, password changes.</summary>
public sealed class Accounts(IServiceScopeFactory scopes, TimeProvider time) : IAccountStore
{
    public const int MaxFailedSignIns = 5;
    public static readonly TimeSpan LockoutDuration = TimeSpan.FromMinutes(15);

    private static readonly PasswordHasher<UserAccount> Hasher = new();

    public async Task<IReadOnlyList<AccountSummary>> ListAsync(CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = await Db(scope).Users.AsNoTracking().OrderBy(u => u.UserName).ToListAsync(ct);
        return users.Select(Summary).ToList();
    }

    public async Task<AccountSummary?> FindAsync(string userName, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await Db(scope).Users.AsNoTracking().FirstOrDefaultAsync(u => u.UserName == userName, ct) is { } user ? Summary(user) : null;
    }

    public async Task<bool> AnyAsync(CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await Db(scope).Users.AnyAsync(ct);
    }

    public async Task<AccountSummary> CreateAsync(string userName, string password, CancellationToken ct = default)
    {
        if ((IdentityRules.ValidateUserName(userName) ?? IdentityRules.ValidatePassword(password)) is { } problem)
        {
            throw new ArgumentException(problem);
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = Db(scope);
        if (await db.Users.AnyAsync(u => u.UserName == userName, ct))
        {
            throw new ArgumentException($"A user named '{userName}' already exists.");
        }
        var user = new UserAccount { UserName = userName, CreatedAt = time.GetUtcNow() };
        user.PasswordHash = Hasher.HashPassword(user, password);
        db.Users.Add(user);
        await db.SaveChangesAsync(ct);
        return Summary(user);
    }

    public async Task<SignInResult> SignInAsync(string userName, string password, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = Db(scope);
        var (result, _) = await CheckAsync(db, await db.Users.FirstOrDefaultAsync(u => u.UserName == userName, ct), userName, password, ct);
        return result;
    }

    public async Task<string?> ChangePasswordAsync(long accountId, string currentPassword, string newPassword, CancellationToken ct = default)
    {
        if (IdentityRules.ValidatePassword(newPassword) is { } problem)
        {
            return problem;
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = Db(scope);
        var (check, user) = await CheckAsync(db, await db.Users.FirstOrDefaultAsync(u => u.Id == accountId, ct), $"#{accountId}", currentPassword, ct);
        if (check.Outcome != SignInOutcome.Succeeded)
        {
            return check.Outcome == SignInOutcome.LockedOut ? "The account is locked after too many failed attempts; try again later." : "The current password is wrong.";
        }
        user!.PasswordHash = Hasher.HashPassword(user, newPassword);
        user.PasswordChangedAt = time.GetUtcNow();
        user.SecurityStamp = UserAccount.NewSecurityStamp();
        await db.SaveChangesAsync(ct);
        return null;
    }

    /// <summary>Checks a password against a tracked account; repeated failures lock it for a while, and a locked account refuses even the right password.</summary>
    /// <summary>
    /// Checks a password against a tracked account; repeated failures lock it for a while, and a locked account refuses
    /// even the right password. Each check first takes one of the account's attempts in the database, atomically, so
    /// guesses sent in parallel get no more checks between them than one guess after another: at most
    /// <see cref="MaxFailedSignIns"/> per <see cref="LockoutDuration"/>.
    /// </summary>
    private async Task<(SignInResult Result, UserAccount? User)> CheckAsync(ControlPlaneDbContext db, UserAccount? user, string userName, string password, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (user?.PasswordHash is null)
        {
            // Same work as a real check, so timing does not tell which user names exist.
            Hasher.VerifyHashedPassword(new UserAccount { UserName = userName }, DummyHash, password ?? "");
            return (new SignInResult(SignInOutcome.WrongCredentials, null), null);
        }
        var account = db.Users.Where(u => u.Id == user.Id);
        if (user.LockedUntil is { } until)
        {
            if (until > now)
            {
                return (new SignInResult(SignInOutcome.LockedOut, null, until), null);
            }
            // The lock has run out: a new count starts, once, whichever attempt sees it first.
            await account.Where(u => u.LockedUntil == until).ExecuteUpdateAsync(set => set.SetProperty(u => u.FailedSignIns, 0).SetProperty(u => u.LockedUntil, (DateTimeOffset?)null), ct);
        }
        var taken = await account.Where(u => u.LockedUntil == null && u.FailedSignIns < MaxFailedSignIns)
            .ExecuteUpdateAsync(set => set.SetProperty(u => u.FailedSignIns, u => u.FailedSignIns + 1), ct);
        if (taken == 0)
        {
            return (new SignInResult(SignInOutcome.LockedOut, null, await LockAsync(account, now, ct)), null);
        }
        var verdict = Hasher.VerifyHashedPassword(user, user.PasswordHash, password ?? "");
        if (verdict == PasswordVerificationResult.Failed)
        {
            // A checked guess is told "wrong" (and the audit log says so) even when it used the last attempt and locked the account.
            var lockedUntil = await account.Select(u => u.FailedSignIns).SingleAsync(ct) >= MaxFailedSignIns ? await LockAsync(account, now, ct) : null;
            return (new SignInResult(SignInOutcome.WrongCredentials, null, lockedUntil), null);
        }
        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            user.PasswordHash = Hasher.HashPassword(user, password!);
            await db.SaveChangesAsync(ct);
        }
        // The attempt taken above is given back, with any earlier failures.
        await account.ExecuteUpdateAsync(set => set.SetProperty(u => u.FailedSignIns, 0), ct);
        user.FailedSignIns = 0;
        return (new SignInResult(SignInOutcome.Succeeded, Summary(user), SecurityStamp: user.SecurityStamp), user);
    }

    /// <summary>Locks an account that has used its attempts (unless another attempt did so already) and says until when.</summary>
    private async Task<DateTimeOffset?> LockAsync(IQueryable<UserAccount> account, DateTimeOffset now, CancellationToken ct)
    {
        await account.Where(u => u.LockedUntil == null && u.FailedSignIns >= MaxFailedSignIns)
            .ExecuteUpdateAsync(set => set.SetProperty(u => u.LockedUntil, now + LockoutDuration), ct);
        return await account.Select(u => u.LockedUntil).SingleAsync(ct);
    }

    public async Task<string?> SecurityStampAsync(long accountId, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await Db(scope).Users.Where(u => u.Id == accountId).Select(u => u.SecurityStamp).FirstOrDefaultAsync(ct);
    }

    public async Task<bool> RenewSecurityStampAsync(long accountId, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var stamp = UserAccount.NewSecurityStamp();
        return await Db(scope).Users.Where(u => u.Id == accountId).ExecuteUpdateAsync(set => set.SetProperty(u => u.SecurityStamp, stamp), ct) > 0;
    }

    /// <summary>Ends a lockout at once (the console's <c>unlock-account</c>); false when there is no such account.</summary>
    public async Task<bool> UnlockAsync(string userName, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await Db(scope).Users.Where(u => u.UserName == userName)
            .ExecuteUpdateAsync(set => set.SetProperty(u => u.FailedSignIns, 0).SetProperty(u => u.LockedUntil, (DateTimeOffset?)null), ct) > 0;
    }

    internal static AccountSummary Summary(UserAccount user) => new(user.Id, user.UserName, user.CreatedAt, user.LockedUntil);

    private static ControlPlaneDbContext Db(AsyncServiceScope scope) => scope.ServiceProvider.GetRequiredService<ControlPlaneDbContext>();

    private static readonly string DummyHash = Hasher.HashPassword(new UserAccount { UserName = "dummy" }, Guid.NewGuid().ToString());
}
