using ControlPlane.Core.Audit;
using ControlPlane.Core.Changes;

namespace ControlPlane.Core.Identity;

/// <summary>
/// Signing in with a local account's password: the check, what the user is told, and the audit record of every
/// attempt. The password never reaches the audit log; the user name does, even one that does not exist.
/// </summary>
public sealed class PasswordSignIn(IAccountStore accounts, ChangeGate gate)
{
    public const string MissingInput = "Enter a user name and a password.";

    /// <summary>
    /// One answer for a wrong password, an unknown name and a locked account alike, so that the answer tells nobody
    /// which names exist (the audit log tells administrators which it was).
    /// </summary>
    public const string WrongCredentials = "The user name or the password is wrong, or the account is locked for a while after too many failed attempts.";

    /// <summary>The account and its security stamp when the password is right; a refusal with the message for the user otherwise.</summary>
    public async Task<ChangeResult<SignedIn>> SignInAsync(string? userName, string? password, string? clientAddress, CancellationToken ct = default)
    {
        var name = (userName ?? "").Trim();
        if (name.Length == 0 || string.IsNullOrEmpty(password))
        {
            return ChangeResult<SignedIn>.Refused(ChangeFailure.Invalid, MissingInput);
        }
        if (name.Length > IdentityRules.MaxUserNameLength)
        {
            // Refused before any lookup, and not written to the audit log: no account has such a name.
            return ChangeResult<SignedIn>.Refused(ChangeFailure.Invalid, IdentityRules.TooLongUserName);
        }
        var result = await accounts.SignInAsync(name, password, ct);
        var (outcome, problem) = result.Outcome switch
        {
            SignInOutcome.Succeeded => (AuditResult.Succeeded, (string?)null),
            SignInOutcome.LockedOut => (AuditResult.Denied, WrongCredentials),
            _ => (AuditResult.Failed, WrongCredentials),
        };
        await gate.RecordAsync(name, "signin", "ControlPlane", outcome, clientAddress,
            result.Outcome == SignInOutcome.Succeeded ? "local account" : result.Outcome.ToString());
        return problem is null
            ? new ChangeResult<SignedIn>(null, "Signed in.", new SignedIn(result.Account!, result.SecurityStamp!))
            : ChangeResult<SignedIn>.Refused(ChangeFailure.Forbidden, problem);
    }
}
