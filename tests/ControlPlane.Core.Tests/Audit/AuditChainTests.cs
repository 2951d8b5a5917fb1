using ControlPlane.Core.Audit;

namespace ControlPlane.Core.Tests.Audit;

public class AuditChainTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);

    private static readonly AuditKey Key = new(Enumerable.Range(1, AuditKey.Length).Select(i => (byte)i).ToArray());

    private static AuditEntry Entry(long id) => new(Start.AddMinutes(id), "alice", "services.update", $"prod/shop/web{id}", AuditResult.Succeeded, "10.0.0.5");

    /// <summary>Records <paramref name="from"/> to <paramref name="to"/> after <paramref name="records"/>, sealed with the key or, as earlier releases and an attacker without the key would, with plain SHA-256.</summary>
    private static List<AuditRecord> Append(List<AuditRecord> records, long from, long to, bool sealedWithKey)
    {
        for (var id = from; id <= to; id++)
        {
            var previous = records.Count == 0 ? AuditRecord.Genesis : records[^1].Hash;
            records.Add(sealedWithKey ? Key.Seal(id, Entry(id), previous) : AuditRecord.Chain(id, Entry(id), previous));
        }
        return records;
    }

    private static List<AuditRecord> Chain(int count) => Append([], 1, count, sealedWithKey: true);

    private static AuditCheckpoint CheckpointAt(IReadOnlyList<AuditRecord> records, long keyedFrom = 1) =>
        Key.Sign(new AuditCheckpoint(keyedFrom, records[^1].Id, records[^1].Hash, Start.AddHours(1)));

    private static long? FirstBroken(IEnumerable<AuditRecord> records, AuditCheckpoint? checkpoint = null) =>
        AuditChainCheck.Verify(records, Key, checkpoint).FirstBadId;

    [Fact]
    public void An_untouched_chain_verifies()
    {
        var records = Chain(10);
        Assert.True(AuditChainCheck.Verify(records, Key, CheckpointAt(records)).Ok);
        Assert.True(AuditChainCheck.Verify([], Key, null).Ok);
    }

    [Fact]
    public void A_changed_field_is_found_at_its_record()
    {
        var records = Chain(10);
        records[6] = records[6] with { Entry = records[6].Entry with { Result = AuditResult.Denied } };

        Assert.Equal(7, FirstBroken(records));
    }

    [Fact]
    public void A_removed_record_breaks_the_chain_at_the_next_one()
    {
        var records = Chain(10);
        records.RemoveAt(3);

        Assert.Equal(5, FirstBroken(records));
    }

    [Fact]
    public void A_record_rewritten_and_every_later_one_rehashed_without_the_key_is_found()
    {
        var records = Chain(8);
        var checkpoint = CheckpointAt(records);
        // An attacker with the database but not the key: change record 4 and chain it and every later one with SHA-256.
        var forged = records.Take(3).ToList();
        forged.Add(AuditRecord.Chain(4, Entry(4) with { Actor = "mallory" }, records[2].Hash));
        for (var id = 5; id <= 8; id++)
        {
            forged.Add(AuditRecord.Chain(id, Entry(id), forged[^1].Hash));
        }

        var verification = AuditChainCheck.Verify(forged, Key, checkpoint);

        Assert.False(verification.Ok);
        Assert.Equal(4, verification.FirstBadId);
        // Even before the first checkpoint is written, a record after a sealed one must be sealed.
        Assert.Equal(4, FirstBroken(forged));
    }

    [Fact]
    public void Deleting_the_newest_records_is_reported_as_truncation_against_the_last_checkpoint()
    {
        var records = Chain(10);
        var checkpoint = CheckpointAt(records);

        var verification = AuditChainCheck.Verify(records.Take(7), Key, checkpoint);

        Assert.False(verification.Ok);
        Assert.True(verification.Truncated);
        Assert.Null(verification.FirstBadId);
        Assert.Contains("record 10", verification.Problem);
    }

    [Fact]
    public void Newest_records_deleted_and_replaced_by_new_ones_under_the_same_ids_are_reported_as_truncation()
    {
        var records = Chain(10);
        var checkpoint = CheckpointAt(records);
        // Records 8 to 10 deleted; ControlPlane, holding the key, then appended other records under those ids.
        var replaced = records.Take(7).ToList();
        for (var id = 8; id <= 12; id++)
        {
            replaced.Add(Key.Seal(id, Entry(id) with { Action = "signin" }, replaced[^1].Hash));
        }

        var verification = AuditChainCheck.Verify(replaced, Key, checkpoint);

        Assert.True(verification.Truncated);
        Assert.False(verification.Ok);
    }

    [Fact]
    public void Records_added_after_the_checkpoint_verify()
    {
        var records = Chain(10);
        var checkpoint = CheckpointAt(records);

        Assert.True(AuditChainCheck.Verify(Append(records, 11, 15, sealedWithKey: true), Key, checkpoint).Ok);
    }

    [Fact]
    public void Plain_sha256_records_of_the_earlier_release_followed_by_sealed_ones_verify_after_the_upgrade()
    {
        var upgraded = Append(Append([], 1, 6, sealedWithKey: false), 7, 10, sealedWithKey: true);

        Assert.True(AuditChainCheck.Verify(upgraded, Key, CheckpointAt(upgraded, keyedFrom: 7)).Ok);
        Assert.True(AuditChainCheck.Verify(upgraded, Key, null).Ok);
    }

    [Fact]
    public void Past_the_start_of_sealed_records_a_plain_sha256_record_is_refused()
    {
        // The checkpoint says sealing began at 7; the attacker replaced 7 onwards with plain SHA-256 records.
        var legacy = Append([], 1, 6, sealedWithKey: false);
        var checkpoint = CheckpointAt(Append(legacy.ToList(), 7, 10, sealedWithKey: true), keyedFrom: 7);
        var forged = Append(legacy, 7, 10, sealedWithKey: false);

        Assert.Equal(7, AuditChainCheck.Verify(forged, Key, checkpoint).FirstBadId);
    }

    [Fact]
    public void A_checkpoint_changed_without_the_key_is_refused()
    {
        var records = Chain(10);
        var forged = CheckpointAt(records.Take(7).ToList()) with { Signature = CheckpointAt(records).Signature };

        var verification = AuditChainCheck.Verify(records.Take(7), Key, forged);

        Assert.False(verification.Ok);
        Assert.Contains("signature", verification.Problem);
    }

    [Fact]
    public void A_short_key_is_refused() =>
        Assert.Throws<ArgumentException>(() => new AuditKey(new byte[16]));
}
