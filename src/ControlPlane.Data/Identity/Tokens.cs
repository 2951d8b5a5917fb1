using System.Security.Cryptography;
using System.Text;
using ControlPlane.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Data.Identity;

/// <summary>A token just created: the only time its value exists outside the caller's hands.</summary>
public sealed record CreatedToken(long Id, string Token, DateTimeOffset ExpiresAt);

/// <summary>API tokens for automation: created by a user for themselves, stored hashed, revocable, expiring.</summary>
public sealed class Tokens(ControlPlaneDbContext db, TimeProvider time)
{
    /// <summary>Every ControlPlane token starts so; it tells our tokens from Entra's JWTs and makes leaked ones easy to scan for.</summary>
    public const string Prefix = "cpt_";
    public const int MaxDays = 365;

    public async Task<CreatedToken> CreateAsync(long userId, string name, int expiresInDays, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 100)
        {
            throw new ArgumentException("A token needs a name of 1 to 100 characters, e.g. 'ci-deploy'.");
        }
        if (expiresInDays is < 1 or > MaxDays)
        {
            throw new ArgumentException($"expiresInDays must be between 1 and {MaxDays}.");
        }
        var token = Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        var record = new ApiToken
        {
            UserId = userId, Name = name.Trim(), TokenHash = Hash(token), Prefix = token[..10], CreatedAt = now, ExpiresAt = now.AddDays(expiresInDays),
        };
        db.ApiTokens.Add(record);
        await db.SaveChangesAsync(ct);
        return new CreatedToken(record.Id, token, record.ExpiresAt);
    }

    /// <summary>The user a live token belongs to, or null for an unknown, expired or revoked token.</summary>
    public async Task<(UserAccount User, ApiToken Token)?> ValidateAsync(string token, CancellationToken ct = default)
    {
        if (!token.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }
        var hash = Hash(token);
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
        return (user, record);
    }

    public Task<List<ApiToken>> ListAsync(long userId, CancellationToken ct = default) =>
        db.ApiTokens.AsNoTracking().Where(t => t.UserId == userId).OrderByDescending(t => t.Id).ToListAsync(ct);

    /// <summary>Revokes one of the user's own tokens; false when the user has no such token.</summary>
    public async Task<bool> RevokeAsync(long userId, long tokenId, CancellationToken ct = default)
    {
        var record = await db.ApiTokens.FirstOrDefaultAsync(t => t.Id == tokenId && t.UserId == userId, ct);
        if (record is null)
        {
            return false;
        }
        record.RevokedAt ??= time.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return true;
    }

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
