using ControlPlane.Data.Entities;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Data.Identity;

/// <summary>How a sign-in attempt ended.</summary>
public enum SignInOutcome
{
    Succeeded,
    WrongCredentials,
    LockedOut,
}

/// <summary>The answer to a sign-in: the account when it succeeded, and until when it is locked otherwise.</summary>
public sealed record SignInResult(SignInOutcome Outcome, UserAccount? User, DateTimeOffset? LockedUntil = null);

/// <summary>Local accounts: creation with password rules, sign-in with lockout, password changes.</summary>
public sealed class Accounts(ControlPlaneDbContext db, TimeProvider time)
{
    public const int MaxFailedSignIns = 5;
    public static readonly TimeSpan LockoutDuration = TimeSpan.FromMinutes(15);
    public const int MinPasswordLength = 12;

    private static readonly PasswordHasher<UserAccount> Hasher = new();

    /// <summary>What is wrong with a user name, or null when it is fine.</summary>
    public static string? ValidateUserName(string? userName) => userName switch
    {
        null or "" => "A user name is required.",
        { Length: > 100 } => "A user name has at most 100 characters.",
        _ when userName.Any(c => !(char.IsLetterOrDigit(c) || c is '.' or '-' or '_' or '@')) => "A user name may hold letters, digits and . - _ @ only.",
        _ => null,
    };

    /// <summary>What is wrong with a password, or null when it is fine.</summary>
    public static string? ValidatePassword(string? password) => password switch
    {
        null or "" => "A password is required.",
        { Length: < MinPasswordLength } => $"A password has at least {MinPasswordLength} characters.",
        { Length: > 256 } => "A password has at most 256 characters.",
        _ => null,
    };

    public Task<List<UserAccount>> ListAsync(CancellationToken ct = default) => db.Users.AsNoTracking().OrderBy(u => u.UserName).ToListAsync(ct);

    public Task<UserAccount?> FindAsync(string userName, CancellationToken ct = default) => db.Users.FirstOrDefaultAsync(u => u.UserName == userName, ct);

    public Task<bool> AnyAsync(CancellationToken ct = default) => db.Users.AnyAsync(ct);

    /// <summary>Creates an account; throws <see cref="ArgumentException"/> with a user-readable message for bad input.</summary>
    public async Task<UserAccount> CreateAsync(string userName, string password, CancellationToken ct = default)
    {
        if ((ValidateUserName(userName) ?? ValidatePassword(password)) is { } problem)
        {
            throw new ArgumentException(problem);
        }
        if (await db.Users.AnyAsync(u => u.UserName == userName, ct))
        {
            throw new ArgumentException($"A user named '{userName}' already exists.");
        }
        var user = new UserAccount { UserName = userName, CreatedAt = time.GetUtcNow() };
        user.PasswordHash = Hasher.HashPassword(user, password);
        db.Users.Add(user);
        await db.SaveChangesAsync(ct);
        return user;
    }

    /// <summary>
    /// Checks a password; repeated failures lock the account for a while, and a locked account refuses even the right
    /// password. Each check first takes one of the account's attempts in the database, atomically, so guesses sent in
    /// parallel get no more checks between them than one guess after another: at most <see cref="MaxFailedSignIns"/>
    /// per <see cref="LockoutDuration"/>.
    /// </summary>
    public async Task<SignInResult> SignInAsync(string userName, string password, CancellationToken ct = default)
    {
        var user = await FindAsync(userName, ct);
        var now = time.GetUtcNow();
        if (user?.PasswordHash is null)
        {
            // Same work as a real check, so timing does not tell which user names exist.
            Hasher.VerifyHashedPassword(new UserAccount { UserName = userName }, DummyHash, password ?? "");
            return new SignInResult(SignInOutcome.WrongCredentials, null);
        }
        var account = db.Users.Where(u => u.Id == user.Id);
        // Read from the database, not the tracked entity: other attempts change the count and the lock beside it.
        if (await account.Select(u => u.LockedUntil).SingleAsync(ct) is { } until)
        {
            if (until > now)
            {
                return new SignInResult(SignInOutcome.LockedOut, null, until);
            }
            // The lock has run out: a new count starts, once, whichever attempt sees it first.
            await account.Where(u => u.LockedUntil == until).ExecuteUpdateAsync(set => set.SetProperty(u => u.FailedSignIns, 0).SetProperty(u => u.LockedUntil, (DateTimeOffset?)null), ct);
        }
        var taken = await account.Where(u => u.LockedUntil == null && u.FailedSignIns < MaxFailedSignIns)
            .ExecuteUpdateAsync(set => set.SetProperty(u => u.FailedSignIns, u => u.FailedSignIns + 1), ct);
        if (taken == 0)
        {
            return new SignInResult(SignInOutcome.LockedOut, null, await LockAsync(user.Id, now, ct));
        }
        var verdict = Hasher.VerifyHashedPassword(user, user.PasswordHash, password ?? "");
        if (verdict == PasswordVerificationResult.Failed)
        {
            var attempts = await account.Select(u => u.FailedSignIns).SingleAsync(ct);
            return attempts >= MaxFailedSignIns
                ? new SignInResult(SignInOutcome.LockedOut, null, await LockAsync(user.Id, now, ct))
                : new SignInResult(SignInOutcome.WrongCredentials, null);
        }
        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            user.PasswordHash = Hasher.HashPassword(user, password!);
            await db.SaveChangesAsync(ct);
        }
        // The attempt taken above is given back, with any earlier failures.
        await account.ExecuteUpdateAsync(set => set.SetProperty(u => u.FailedSignIns, 0), ct);
        user.FailedSignIns = 0;
        return new SignInResult(SignInOutcome.Succeeded, user);
    }

    /// <summary>Locks an account that has used its attempts (unless another attempt did so already) and says until when.</summary>
    private async Task<DateTimeOffset?> LockAsync(long userId, DateTimeOffset now, CancellationToken ct)
    {
        var account = db.Users.Where(u => u.Id == userId);
        await account.Where(u => u.LockedUntil == null && u.FailedSignIns >= MaxFailedSignIns)
            .ExecuteUpdateAsync(set => set.SetProperty(u => u.LockedUntil, now + LockoutDuration), ct);
        return await account.Select(u => u.LockedUntil).SingleAsync(ct);
    }

    /// <summary>Ends a lockout at once (the console's <c>unlock-account</c>); false when there is no such account.</summary>
    public async Task<bool> UnlockAsync(string userName, CancellationToken ct = default) =>
        await db.Users.Where(u => u.UserName == userName)
            .ExecuteUpdateAsync(set => set.SetProperty(u => u.FailedSignIns, 0).SetProperty(u => u.LockedUntil, (DateTimeOffset?)null), ct) > 0;

    /// <summary>Changes a password after checking the current one.</summary>
    public async Task<string?> ChangePasswordAsync(string userName, string currentPassword, string newPassword, CancellationToken ct = default)
    {
        if (ValidatePassword(newPassword) is { } problem)
        {
            return problem;
        }
        var check = await SignInAsync(userName, currentPassword, ct);
        if (check.Outcome != SignInOutcome.Succeeded)
        {
            return check.Outcome == SignInOutcome.LockedOut ? "The account is locked after too many failed attempts; try again later." : "The current password is wrong.";
        }
        var user = check.User!;
        user.PasswordHash = Hasher.HashPassword(user, newPassword);
        user.PasswordChangedAt = time.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return null;
    }

    private static readonly string DummyHash = Hasher.HashPassword(new UserAccount { UserName = "dummy" }, Guid.NewGuid().ToString());
}
