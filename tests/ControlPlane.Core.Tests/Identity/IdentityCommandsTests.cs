using ControlPlane.Core.Audit;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Identity;
using ControlPlane.Core.Security;
using ControlPlane.Core.Tests.Changes;

namespace ControlPlane.Core.Tests.Identity;

public sealed class IdentityCommandsTests
{
    private readonly RecordingAuditLog _audit = new();
    private readonly InMemoryAccounts _accounts = new();
    private readonly InMemoryGrants _grants = new();
    private readonly InMemoryTokens _tokens = new();
    private readonly IdentityCommands _commands;

    public IdentityCommandsTests() =>
        _commands = new IdentityCommands(_accounts, _grants, _tokens, new RecordedAuditReader(_audit), new ChangeGate(_audit, new ChangeLocks(), TimeProvider.System), TimeProvider.System);

    private static ChangeCaller Caller(string name, Role role, AccessScope scope, long? accountId = 1) =>
        new(name, [new Grant(1, name, role, scope)], "10.0.0.9") { AccountId = accountId };

    private static ChangeCaller Admin => Caller("root", Role.Admin, AccessScope.Everywhere);

    /// <summary>Callers who hold no grant allowing users.manage and grants.manage: both are global, so Admin of one cluster is not enough.</summary>
    public static TheoryData<string, Role, string?> NotAdministrators => new()
    {
        { "viewer everywhere", Role.Viewer, null },
        { "operator everywhere", Role.Operator, null },
        { "secrets admin everywhere", Role.SecretsAdmin, null },
        { "admin of cluster c1 only", Role.Admin, "c1" },
    };

    [Theory]
    [MemberData(nameof(NotAdministrators))]
    public async Task Without_users_or_grants_manage_every_administrative_call_is_refused_audited_and_changes_nothing(string who, Role role, string? cluster)
    {
        await _accounts.CreateAsync("alice", "alice-long-password");
        var alice = await _grants.AddAsync("alice", Role.Admin, AccessScope.Everywhere, "setup");
        var caller = Caller(who, role, new AccessScope(cluster));

        ChangeResult[] results =
        [
            await _commands.ListUsersAsync(caller),
            await _commands.CreateUserAsync(caller, "mallory", "mallory-long-password", Role.Admin),
            await _commands.ListGrantsAsync(caller),
            await _commands.AddGrantAsync(caller, "alice", Role.Viewer, null, null),
            await _commands.RemoveGrantAsync(caller, alice.Id),
            await _commands.QueryAuditAsync(caller, new AuditQuery()),
        ];

        Assert.All(results, r => Assert.Equal(ChangeFailure.Forbidden, r.Failure));
        Assert.Equal(["alice"], _accounts.All.Select(a => a.UserName));
        Assert.Equal([alice], _grants.All);
        Assert.Equal(
            [("users.manage", AuditResult.Denied), ("users.create", AuditResult.Denied), ("grants.manage", AuditResult.Denied),
             ("grants.create", AuditResult.Denied), ("grants.delete", AuditResult.Denied), ("audit.read", AuditResult.Denied)],
            _audit.Entries.Select(e => (e.Action, e.Result)));
        Assert.All(_audit.Entries, e => Assert.Equal((who, "10.0.0.9"), (e.Actor, e.ClientAddress)));
    }

    [Fact]
    public async Task The_last_admin_grant_on_all_clusters_held_by_a_user_cannot_be_removed_until_another_user_holds_one()
    {
        await _accounts.CreateAsync("alice", "alice-long-password");
        await _accounts.CreateAsync("carol", "carol-long-password");
        var alice = await _grants.AddAsync("alice", Role.Admin, AccessScope.Everywhere, "setup");
        // Neither counts: a group can be emptied outside ControlPlane, and a cluster admin cannot manage users.
        await _grants.AddAsync("group:ops", Role.Admin, AccessScope.Everywhere, "setup");
        await _grants.AddAsync("carol", Role.Admin, AccessScope.OfCluster("c1"), "setup");

        var refused = await _commands.RemoveGrantAsync(Admin, alice.Id);

        Assert.Equal(ChangeFailure.Invalid, refused.Failure);
        Assert.Equal(IdentityCommands.LastAdminGrant, refused.Message);
        Assert.Contains(alice, _grants.All);
        Assert.Equal(("grants.delete", "alice", AuditResult.Failed), (_audit.Entries[^1].Action, _audit.Entries[^1].Target, _audit.Entries[^1].Result));

        var added = await _commands.AddGrantAsync(Admin, "carol", Role.Admin, null, null);
        var removed = await _commands.RemoveGrantAsync(Admin, alice.Id);

        Assert.True(added.Succeeded, added.Message);
        Assert.True(removed.Succeeded, removed.Message);
        Assert.DoesNotContain(_grants.All, g => g.Subject == "alice");
    }

    [Fact]
    public async Task A_grant_for_a_user_who_does_not_exist_is_refused_but_one_for_an_entra_group_is_added()
    {
        var unknown = await _commands.AddGrantAsync(Admin, "nobody", Role.Operator, "c1", null);
        var group = await _commands.AddGrantAsync(Admin, "group:1b2c", Role.Operator, "c1", null);

        Assert.Equal((ChangeFailure.Invalid, "There is no user named 'nobody'."), (unknown.Failure, unknown.Message));
        Assert.True(group.Succeeded, group.Message);
        Assert.Equal([("group:1b2c", Role.Operator, AccessScope.OfCluster("c1"))], _grants.All.Select(g => (g.Subject, g.Role, g.Scope)));
        Assert.Equal([AuditResult.Started, AuditResult.Failed, AuditResult.Started, AuditResult.Succeeded], _audit.Entries.Select(e => e.Result));
    }

    [Fact]
    public async Task A_grant_for_an_entra_user_by_tenant_and_object_id_is_added_in_lower_case_and_a_malformed_one_is_refused()
    {
        var tenant = Guid.NewGuid();
        var user = Guid.NewGuid();

        var added = await _commands.AddGrantAsync(Admin, $"ENTRA:{tenant:D}/{user:D}".ToUpperInvariant(), Role.Operator, "c1", null);
        var malformed = await _commands.AddGrantAsync(Admin, $"entra:{tenant}/carol@contoso.example", Role.Operator, "c1", null);

        Assert.True(added.Succeeded, added.Message);
        Assert.Equal(ChangeFailure.Invalid, malformed.Failure);
        Assert.Equal([($"entra:{tenant}/{user}", Role.Operator)], _grants.All.Select(g => (g.Subject, g.Role)));
    }

    [Fact]
    public async Task An_Admin_grant_on_an_entra_user_does_not_count_as_the_last_local_admin()
    {
        var alice = await _grants.AddAsync("alice", Role.Admin, AccessScope.Everywhere, "setup");
        await _grants.AddAsync($"entra:{Guid.NewGuid()}/{Guid.NewGuid()}", Role.Admin, AccessScope.Everywhere, "setup");

        var removed = await _commands.RemoveGrantAsync(Admin, alice.Id);

        Assert.Equal((ChangeFailure.Invalid, IdentityCommands.LastAdminGrant), (removed.Failure, removed.Message));
    }

    [Fact]
    public async Task A_stack_scope_without_its_cluster_is_refused_and_nothing_is_granted()
    {
        await _accounts.CreateAsync("alice", "alice-long-password");

        var refused = await _commands.AddGrantAsync(Admin, "alice", Role.Operator, "  ", "shop");

        Assert.Equal((ChangeFailure.Invalid, "A stack scope needs its cluster: choose the cluster as well as the stack."), (refused.Failure, refused.Message));
        Assert.Empty(_grants.All);
        Assert.Equal(AuditResult.Failed, _audit.Entries[^1].Result);
    }

    [Fact]
    public async Task Revoking_someone_elses_token_answers_not_found_and_leaves_the_token_working()
    {
        var alice = Caller("alice", Role.Viewer, AccessScope.Everywhere, accountId: 1);
        var bob = Caller("bob", Role.Admin, AccessScope.Everywhere, accountId: 2);
        var created = (await _commands.CreateTokenAsync(alice, "ci", 30)).Value!;

        var revoked = await _commands.RevokeTokenAsync(bob, created.Id);

        Assert.Equal(ChangeFailure.NotFound, revoked.Failure);
        Assert.NotNull(await _tokens.AuthenticateAsync(created.Token));
        Assert.Empty((await _commands.ListTokensAsync(bob)).Value!);
        Assert.Equal(("bob", "tokens.revoke", AuditResult.Failed), (_audit.Entries[^1].Actor, _audit.Entries[^1].Action, _audit.Entries[^1].Result));

        var own = await _commands.RevokeTokenAsync(alice, created.Id);

        Assert.True(own.Succeeded, own.Message);
        Assert.Null(await _tokens.AuthenticateAsync(created.Token));
    }

    [Fact]
    public async Task A_caller_without_a_local_account_changes_no_password_and_gets_no_token()
    {
        await _accounts.CreateAsync("erin", "erin-long-password");
        var entraUser = Caller("erin", Role.Admin, AccessScope.Everywhere, accountId: null);

        var password = await _commands.ChangePasswordAsync(entraUser, "erin-long-password", "another-long-password");
        var token = await _commands.CreateTokenAsync(entraUser, "ci", 30);
        var tokens = await _commands.ListTokensAsync(entraUser);

        Assert.All(new ChangeResult[] { password, token, tokens }, r => Assert.Equal((ChangeFailure.Invalid, IdentityCommands.LocalAccountsOnly), (r.Failure, r.Message)));
        Assert.Equal("erin-long-password", _accounts.PasswordOf("erin"));
        Assert.Empty(_audit.Entries);
    }

    [Fact]
    public async Task A_local_caller_changes_their_own_password_only_with_the_current_one()
    {
        var alice = await _accounts.CreateAsync("alice", "alice-long-password");
        var caller = Caller("alice", Role.Viewer, AccessScope.Everywhere, accountId: alice.Id);

        var wrong = await _commands.ChangePasswordAsync(caller, "not-the-password", "a-new-long-password");
        var changed = await _commands.ChangePasswordAsync(caller, "alice-long-password", "a-new-long-password");

        Assert.Equal((ChangeFailure.Invalid, "The current password is wrong."), (wrong.Failure, wrong.Message));
        Assert.True(changed.Succeeded, changed.Message);
        Assert.Equal("a-new-long-password", _accounts.PasswordOf("alice"));
        Assert.Equal([AuditResult.Started, AuditResult.Failed, AuditResult.Started, AuditResult.Succeeded], _audit.Entries.Select(e => e.Result));
    }

    [Fact]
    public async Task An_admin_creates_a_user_with_a_grant_on_all_clusters_and_sees_it_in_the_list()
    {
        var created = await _commands.CreateUserAsync(Admin, " alice ", "alice-long-password", Role.Operator);
        var users = await _commands.ListUsersAsync(Admin);

        Assert.True(created.Succeeded, created.Message);
        var alice = Assert.Single(users.Value!);
        Assert.Equal("alice", alice.UserName);
        Assert.Equal([(Role.Operator, AccessScope.Everywhere)], alice.Grants.Select(g => (g.Role, g.Scope)));
        var done = _audit.Entries.Single(e => e.Action == "users.create" && e.Result == AuditResult.Succeeded);
        Assert.Equal(("root", "user alice", "with Operator on all clusters"), (done.Actor, done.Target, done.Detail));
        Assert.DoesNotContain(_audit.Entries, e => (e.Detail ?? "").Contains("alice-long-password", StringComparison.Ordinal));
    }
}
