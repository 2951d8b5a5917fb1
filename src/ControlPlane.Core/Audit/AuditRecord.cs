using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ControlPlane.Core.Audit;

/// <summary>How an audited attempt ended.</summary>
public enum AuditResult
{
    Succeeded,
    Failed,
    Denied,

    /// <summary>A change was allowed and is about to reach the cluster; its result follows in a later record.</summary>
    Started,
}

/// <summary>
/// What someone tried: who, what, on which target, when, from where, how it ended, and for spec
/// changes a before/after diff. Never holds a secret value or a password.
/// </summary>
public sealed record AuditEntry(
    DateTimeOffset Time,
    string Actor,
    string Action,
    string Target,
    AuditResult Result,
    string? ClientAddress = null,
    string? Detail = null,
    string? Diff = null);

/// <summary>A stored audit entry: its place in the chain and the hashes that link it to the one before.</summary>
public sealed record AuditRecord(long Id, AuditEntry Entry, string PreviousHash, string Hash)
{
    /// <summary>The hash before the first record.</summary>
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>
    /// The rule of releases before the keyed chain: SHA-256 over the id, every field and the previous hash.
    /// Anyone who can write the database can recompute it, so it only still verifies records written
    /// before the upgrade; new records are sealed with <see cref="AuditKey"/>.
    /// </summary>
    public static string ComputeHash(long id, AuditEntry entry, string previousHash) =>
        Convert.ToHexStringLower(SHA256.HashData(Canonical(id, entry, previousHash)));

    /// <summary>Plain SHA-256 chaining, as releases before the keyed chain wrote records.</summary>
    public static AuditRecord Chain(long id, AuditEntry entry, string previousHash) =>
        new(id, entry, previousHash, ComputeHash(id, entry, previousHash));

    /// <summary>
    /// The id, every field and the previous hash in a fixed JSON form: changing any field of any
    /// record, or removing or reordering records, changes what is hashed from there on.
    /// </summary>
    public static byte[] Canonical(long id, AuditEntry entry, string previousHash) =>
        Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new object?[]
        {
            id, entry.Time.ToUniversalTime().ToString("O"), entry.Actor, entry.Action, entry.Target, entry.Result.ToString(),
            entry.ClientAddress, entry.Detail, entry.Diff, previousHash,
        }));
}
