namespace ControlPlane.Core.Identity;

/// <summary>Local accounts: creation with password rules, sign-in with lockout, password changes.</summary>
public interface IAccountStore
{
    /// <summary>Every account, by user name.</summary>
    Task<IReadOnlyList<AccountSummary>> ListAsync(CancellationToken ct = default);

    Task<AccountSummary?> FindAsync(string userName, CancellationToken ct = default);

    /// <summary>Creates an account; throws <see cref="ArgumentException"/> with a user-readable message for bad input.</summary>
    Task<AccountSummary> CreateAsync(string userName, string password, CancellationToken ct = default);

    /// <summary>Checks a password; repeated failures lock the account for a while, and a locked account refuses even the right password.</summary>
    Task<SignInResult> SignInAsync(string userName, string password, CancellationToken ct = default);

    /// <summary>
    /// Changes an account's password after checking the current one, and renews its security stamp so every session
    /// signed in before ends; returns what is wrong, or null when it is changed.
    /// </summary>
    Task<string?> ChangePasswordAsync(long accountId, string currentPassword, string newPassword, CancellationToken ct = default);

    /// <summary>
    /// The account's security stamp: a random value that every signed-in session carries and that changes whenever
    /// the sessions signed in before must end. Null when there is no such account.
    /// </summary>
    Task<string?> SecurityStampAsync(long accountId, CancellationToken ct = default);

    /// <summary>Gives the account a new security stamp, ending every session signed in before; false when there is no such account.</summary>
    Task<bool> RenewSecurityStampAsync(long accountId, CancellationToken ct = default);

    /// <summary>Ends a lockout at once; false when there is no such account.</summary>
    Task<bool> UnlockAsync(string userName, CancellationToken ct = default);
}
