using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ControlPlane.Core.Audit;

/// <summary>
/// The secret that seals the audit chain and signs its checkpoints. It is kept outside the database,
/// so someone who can only write the database cannot forge a record or a checkpoint.
/// </summary>
public sealed class AuditKey
{
    /// <summary>Bytes of a generated key; shorter keys are refused.</summary>
    public const int Length = 32;

    private readonly byte[] _secret;

    public AuditKey(ReadOnlySpan<byte> secret)
    {
        if (secret.Length < Length)
        {
            throw new ArgumentException($"An audit key needs at least {Length} bytes; this one has {secret.Length}.", nameof(secret));
        }
        _secret = secret.ToArray();
    }

    /// <summary>HMAC-SHA256 with the key over the previous hash and the record's content.</summary>
    public string Hash(long id, AuditEntry entry, string previousHash) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_secret, AuditRecord.Canonical(id, entry, previousHash)));

    /// <summary>The record that follows <paramref name="previousHash"/>, sealed with the key.</summary>
    public AuditRecord Seal(long id, AuditEntry entry, string previousHash) => new(id, entry, previousHash, Hash(id, entry, previousHash));

    public bool IsSealed(AuditRecord record) => record.Hash == Hash(record.Id, record.Entry, record.PreviousHash);

    /// <summary>The checkpoint with its signature set.</summary>
    public AuditCheckpoint Sign(AuditCheckpoint checkpoint) =>
        checkpoint with { Signature = Convert.ToHexStringLower(HMACSHA256.HashData(_secret, SignedBytes(checkpoint))) };

    public bool IsSigned(AuditCheckpoint checkpoint) =>
        CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Sign(checkpoint).Signature),
            Encoding.ASCII.GetBytes(checkpoint.Signature.ToLowerInvariant()));

    private static byte[] SignedBytes(AuditCheckpoint c) => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new object[]
    {
        "controlplane-audit-checkpoint-v1", c.KeyedFrom, c.LastId, c.LastHash, c.Time.ToUniversalTime().ToString("O"),
    }));
}
