using System.Security.Cryptography;
using System.Text;
using ControlPlane.Core.Identity;
using ControlPlane.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Data.Identity;

/// <summary>API tokens in the database: only their SHA-256 and first characters are kept.</summary>
public sealed class Tokens(IServiceScopeFactory scopes, TimeProvider time) : ITokenStore
{
    public async Task<CreatedToken> CreateAsync(long accountId, string name, int expiresInDays, CancellationToken ct = default)
    {
        if (IdentityRules.ValidateTokenName(name) is { } problem)
        {
            throw new ArgumentException(problem);
        }
        if (expiresInDays is < 1 or > IdentityRules.MaxTokenDays)
        {
            throw new ArgumentException($"expiresInDays must be between 1 and {IdentityRules.MaxTokenDays}.");
        }
        var token = IdentityRules.TokenPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        var record = new ApiToken
        {
            UserId = accountId, Name = name.Trim(), TokenHash = Hash(token), Prefix = token[..10], CreatedAt = now, ExpiresAt = now.AddDays(expiresInDays),
        };
        await using var scope = scopes.CreateAsyncScope();
        var db = Db(scope);
        db.ApiTokens.Add(record);
        await db.SaveChangesAsync(ct);
        return new CreatedToken(record.Id, token, record.ExpiresAt);
    }

    public async Task<TokenHolder?> AuthenticateAsync(string token, CancellationToken ct = default)
    {
        if (!token.StartsWith(IdentityRules.TokenPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        var hash = Hash(token);
        await using var scope = scopes.CreateAsyncScope();
        var db = Db(scope);
        var record = await db.ApiTokens.FirstOrDefaultAsync(t => t.TokenHash == hash, ct);
        var now = time.GetUtcNow();
        if (record is null || record.RevokedAt is not null || record.ExpiresAt <= now)
        {
            return null;
        }
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == record.UserId, ct);
        if (user is null)
        {
            return null;
        }
        if (record.LastUsedAt is null || now - record.LastUsedAt > TimeSpan.FromMinutes(1))
        {
            record.LastUsedAt = now;
            await db.SaveChangesAsync(ct);
        }
        return new TokenHolder(Accounts.Summary(user), Summary(record));
    }

    public async Task<IReadOnlyList<ApiTokenSummary>> ListAsync(long accountId, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var rows = await Db(scope).ApiTokens.AsNoTracking().Where(t => t.UserId == accountId).OrderByDescending(t => t.Id).ToListAsync(ct);
        return rows.Select(Summary).ToList();
    }

    public async Task<bool> RevokeAsync(long accountId, long tokenId, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = Db(scope);
        var record = await db.ApiTokens.FirstOrDefaultAsync(t => t.Id == tokenId && t.UserId == accountId, ct);
        if (record is null)
        {
            return false;
        }
        record.RevokedAt ??= time.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return true;
    }

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public async Task<bool> IsActiveAsync(long tokenId, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        // Compared here rather than in SQL: SQLite cannot order DateTimeOffset values.
        var token = await Db(scope).ApiTokens.AsNoTracking().Where(t => t.Id == tokenId).Select(t => new { t.RevokedAt, t.ExpiresAt }).FirstOrDefaultAsync(ct);
        return token is { RevokedAt: null } && token.ExpiresAt > time.GetUtcNow();
    }

    private static ApiTokenSummary Summary(ApiToken t) => new(t.Id, t.Name, t.Prefix, t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.LastUsedAt);

    private static ControlPlaneDbContext Db(AsyncServiceScope scope) => scope.ServiceProvider.GetRequiredService<ControlPlaneDbContext>();

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
