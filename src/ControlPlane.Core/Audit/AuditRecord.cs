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
    /// SHA-256 over the id, every field and the previous hash, in a fixed JSON form: changing any field
    /// of any record, or removing or reordering records, breaks the chain from there on.
    /// </summary>
    public static string ComputeHash(long id, AuditEntry entry, string previousHash)
    {
        var canonical = JsonSerializer.Serialize(new object?[]
        {
            id, entry.Time.ToUniversalTime().ToString("O"), entry.Actor, entry.Action, entry.Target, entry.Result.ToString(),
            entry.ClientAddress, entry.Detail, entry.Diff, previousHash,
        });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    public static AuditRecord Chain(long id, AuditEntry entry, string previousHash) =>
        new(id, entry, previousHash, ComputeHash(id, entry, previousHash));

    /// <summary>
    /// Checks records in id order; returns the id of the first record whose hash does not match its
    /// content or whose link does not match the record before, or null when the chain is intact.
    /// </summary>
    public static long? FirstBroken(IEnumerable<AuditRecord> recordsInOrder)
    {
        var previous = Genesis;
        foreach (var record in recordsInOrder)
        {
            if (record.PreviousHash != previous || record.Hash != ComputeHash(record.Id, record.Entry, record.PreviousHash))
            {
                return record.Id;
            }
            previous = record.Hash;
        }
        return null;
    }
}
