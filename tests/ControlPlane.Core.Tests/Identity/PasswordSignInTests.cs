using ControlPlane.Core.Audit;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Identity;
using ControlPlane.Core.Tests.Changes;

namespace ControlPlane.Core.Tests.Identity;

public sealed class PasswordSignInTests
{
    private readonly RecordingAuditLog _audit = new();
    private readonly InMemoryAccounts _accounts = new();
    private readonly PasswordSignIn _signIn;

    public PasswordSignInTests() => _signIn = new PasswordSignIn(_accounts, new ChangeGate(_audit, new ChangeLocks(), TimeProvider.System));

    [Fact]
    public async Task Every_attempt_is_audited_under_the_name_typed_and_never_with_the_password()
    {
        await _accounts.CreateAsync("alice", "alice-long-password");

        var wrong = await _signIn.SignInAsync("alice", "guessed-password", "10.0.0.9");
        var unknown = await _signIn.SignInAsync("=cmd|calc", "guessed-password", "10.0.0.9");
        var right = await _signIn.SignInAsync(" alice ", "alice-long-password", "10.0.0.9");

        Assert.Equal((ChangeFailure.Forbidden, PasswordSignIn.WrongCredentials), (wrong.Failure, wrong.Message));
        Assert.Equal((ChangeFailure.Forbidden, PasswordSignIn.WrongCredentials), (unknown.Failure, unknown.Message));
        Assert.Equal("alice", right.Value?.Account.UserName);
        Assert.Equal(
            [("alice", AuditResult.Failed), ("=cmd|calc", AuditResult.Failed), ("alice", AuditResult.Succeeded)],
            _audit.Entries.Select(e => (e.Actor, e.Result)));
        Assert.All(_audit.Entries, e => Assert.Equal(("signin", "ControlPlane", "10.0.0.9"), (e.Action, e.Target, e.ClientAddress)));
        Assert.DoesNotContain(_audit.Entries, e => $"{e.Detail}{e.Diff}".Contains("password", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_blank_name_or_password_is_refused_before_any_check()
    {
        var results = new[]
        {
            await _signIn.SignInAsync("  ", "some-password", null),
            await _signIn.SignInAsync("alice", "", null),
            await _signIn.SignInAsync(null, null, null),
        };

        Assert.All(results, r => Assert.Equal((ChangeFailure.Invalid, PasswordSignIn.MissingInput), (r.Failure, r.Message)));
        Assert.Empty(_audit.Entries);
    }

    [Fact]
    public async Task A_locked_account_gets_the_same_answer_as_a_wrong_password_and_an_endless_name_is_refused_unread()
    {
        await _accounts.CreateAsync("alice", "alice-long-password");
        ChangeResult<SignedIn>? last = null;
        for (var i = 0; i < 6; i++)
        {
            last = await _signIn.SignInAsync("alice", "guessed-password", null);
        }
        var locked = await _signIn.SignInAsync("alice", "alice-long-password", null);
        var unknown = await _signIn.SignInAsync("bob", "guessed-password", null);
        var endless = await _signIn.SignInAsync(new string('a', 5000), "guessed-password", null);

        Assert.Equal(AuditResult.Denied, _audit.Entries[^2].Result);
        Assert.Equal([last!.Message, unknown.Message], new[] { locked.Message, locked.Message });
        Assert.Equal((ChangeFailure.Invalid, IdentityRules.TooLongUserName), (endless.Failure, endless.Message));
        Assert.DoesNotContain(_audit.Entries, e => e.Actor.Length > IdentityRules.MaxUserNameLength);
    }
}
