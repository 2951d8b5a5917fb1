using ControlPlane.Core.Audit;
using ControlPlane.Core.Identity;
using ControlPlane.Core.Security;
using ControlPlane.Core.Tests.Changes;

namespace ControlPlane.Core.Tests.Identity;

/// <summary>Local accounts in memory, with the database store's input rules; passwords kept in clear, as only tests see them.</summary>
public sealed class InMemoryAccounts : IAccountStore
{
    private readonly List<(AccountSummary Account, string Password)> _accounts = [];

    public IReadOnlyList<AccountSummary> All => _accounts.Select(a => a.Account).ToList();

    public string PasswordOf(string userName) => _accounts.Single(a => a.Account.UserName == userName).Password;

    public Task<IReadOnlyList<AccountSummary>> ListAsync(CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<AccountSummary>>(All.OrderBy(a => a.UserName, StringComparer.Ordinal).ToList());

    public Task<AccountSummary?> FindAsync(string userName, CancellationToken ct = default) =>
        Task.FromResult(All.FirstOrDefault(a => a.UserName == userName));

    public Task<AccountSummary> CreateAsync(string userName, string password, CancellationToken ct = default)
    {
        if ((IdentityRules.ValidateUserName(userName) ?? IdentityRules.ValidatePassword(password)) is { } problem)
        {
            throw new ArgumentException(problem);
        }
        if (All.Any(a => a.UserName == userName))
        {
            throw new ArgumentException($"A user named '{userName}' already exists.");
        }
        var account = new AccountSummary(_accounts.Count + 1, userName, DateTimeOffset.UnixEpoch, null);
        _accounts.Add((account, password));
        return Task.FromResult(account);
    }

    private readonly Dictionary<string, int> _failures = [];

    public Task<bool> UnlockAsync(string userName, CancellationToken ct = default) =>
        Task.FromResult(_failures.Remove(userName) | _accounts.Any(a => a.Account.UserName == userName));

    /// <summary>As the database does it: five failures lock the account, against the right password too.</summary>
    public Task<SignInResult> SignInAsync(string userName, string password, CancellationToken ct = default)
    {
        if (_failures.GetValueOrDefault(userName) >= 5)
        {
            return Task.FromResult(new SignInResult(SignInOutcome.LockedOut, null, DateTimeOffset.UtcNow.AddMinutes(15)));
        }
        if (_accounts.FirstOrDefault(a => a.Account.UserName == userName) is var (account, stored) && stored == password)
        {
            return Task.FromResult(new SignInResult(SignInOutcome.Succeeded, account, SecurityStamp: Stamps.GetValueOrDefault(account.Id, "initial")));
        }
        _failures[userName] = _failures.GetValueOrDefault(userName) + 1;
        return Task.FromResult(new SignInResult(SignInOutcome.WrongCredentials, null));
    }

    public Task<string?> ChangePasswordAsync(long accountId, string currentPassword, string newPassword, CancellationToken ct = default)
    {
        var index = _accounts.FindIndex(a => a.Account.Id == accountId);
        if (index < 0 || _accounts[index].Password != currentPassword)
        {
            return Task.FromResult<string?>("The current password is wrong.");
        }
        _accounts[index] = (_accounts[index].Account, newPassword);
        Stamps[accountId] = Guid.NewGuid().ToString("N");
        return Task.FromResult<string?>(null);
    }

    /// <summary>Stamps that changed from the "initial" every account starts with.</summary>
    public Dictionary<long, string> Stamps { get; } = [];

    public Task<string?> SecurityStampAsync(long accountId, CancellationToken ct = default) =>
        Task.FromResult(All.Any(a => a.Id == accountId) ? Stamps.GetValueOrDefault(accountId, "initial") : null);

    public Task<bool> RenewSecurityStampAsync(long accountId, CancellationToken ct = default)
    {
        if (!All.Any(a => a.Id == accountId))
        {
            return Task.FromResult(false);
        }
        Stamps[accountId] = Guid.NewGuid().ToString("N");
        return Task.FromResult(true);
    }
}

/// <summary>Grants in memory, refusing what the database store refuses.</summary>
public sealed class InMemoryGrants : IGrantStore
{
    private readonly List<Grant> _grants = [];

    public IReadOnlyList<Grant> All => [.. _grants];

    public Task<IReadOnlyList<Grant>> ListAsync(CancellationToken ct = default) => Task.FromResult(All);

    public Task<IReadOnlyList<Grant>> ForSubjectsAsync(IReadOnlyCollection<string> subjects, CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<Grant>>(_grants.Where(g => subjects.Contains(g.Subject)).ToList());

    public Task<Grant> AddAsync(string subject, Role role, AccessScope scope, string createdBy, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(subject) || !scope.IsValid)
        {
            throw new ArgumentException("bad grant");
        }
        var grant = new Grant(_grants.Select(g => g.Id).DefaultIfEmpty().Max() + 1, subject, role, scope);
        _grants.Add(grant);
        return Task.FromResult(grant);
    }

    public Task<Grant?> RemoveAsync(long id, CancellationToken ct = default)
    {
        var grant = _grants.FirstOrDefault(g => g.Id == id);
        if (grant is not null)
        {
            _grants.Remove(grant);
        }
        return Task.FromResult(grant);
    }
}

/// <summary>API tokens in memory: each belongs to one account, which alone may revoke it.</summary>
public sealed class InMemoryTokens : ITokenStore
{
    private readonly List<(long AccountId, ApiTokenSummary Token, string Value)> _tokens = [];

    public Task<IReadOnlyList<ApiTokenSummary>> ListAsync(long accountId, CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<ApiTokenSummary>>(_tokens.Where(t => t.AccountId == accountId).Select(t => t.Token).Reverse().ToList());

    public Task<CreatedToken> CreateAsync(long accountId, string name, int expiresInDays, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(name) || expiresInDays is < 1 or > IdentityRules.MaxTokenDays)
        {
            throw new ArgumentException("bad token");
        }
        var value = $"{IdentityRules.TokenPrefix}{Guid.NewGuid():N}";
        var expires = DateTimeOffset.UnixEpoch.AddDays(expiresInDays);
        var token = new ApiTokenSummary(_tokens.Count + 1, name, value[..10], DateTimeOffset.UnixEpoch, expires, null, null);
        _tokens.Add((accountId, token, value));
        return Task.FromResult(new CreatedToken(token.Id, value, expires));
    }

    public Task<bool> RevokeAsync(long accountId, long tokenId, CancellationToken ct = default)
    {
        var index = _tokens.FindIndex(t => t.AccountId == accountId && t.Token.Id == tokenId);
        if (index < 0)
        {
            return Task.FromResult(false);
        }
        _tokens[index] = _tokens[index] with { Token = _tokens[index].Token with { RevokedAt = DateTimeOffset.UnixEpoch } };
        return Task.FromResult(true);
    }

    public Task<TokenHolder?> AuthenticateAsync(string token, CancellationToken ct = default) =>
        Task.FromResult(_tokens.FirstOrDefault(t => t.Value == token && t.Token.RevokedAt is null) is { Token: not null } found
            ? new TokenHolder(new AccountSummary(found.AccountId, $"#{found.AccountId}", DateTimeOffset.UnixEpoch, null), found.Token)
            : null);

    public Task<bool> IsActiveAsync(long tokenId, CancellationToken ct = default) =>
        Task.FromResult(_tokens.Any(t => t.Token.Id == tokenId && t.Token.RevokedAt is null));
}

/// <summary>Reads back what a <see cref="RecordingAuditLog"/> recorded, newest first.</summary>
public sealed class RecordedAuditReader(RecordingAuditLog log) : IAuditReader
{
    public Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<AuditRecord>>(log.Entries.Select((e, i) => AuditRecord.Chain(i + 1, e, AuditRecord.Genesis)).Reverse().ToList());

    public Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken = default) => Task.FromResult(new AuditVerification(null, false, null, null));
}
