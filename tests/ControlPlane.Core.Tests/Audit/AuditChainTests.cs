using ControlPlane.Core.Audit;

namespace ControlPlane.Core.Tests.Audit;

public class AuditChainTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);

    private static List<AuditRecord> Chain(int count)
    {
        var records = new List<AuditRecord>();
        var previous = AuditRecord.Genesis;
        for (var id = 1; id <= count; id++)
        {
            var record = AuditRecord.Chain(id, new AuditEntry(Start.AddMinutes(id), "alice", "services.update", $"prod/shop/web{id}", AuditResult.Succeeded, "10.0.0.5"), previous);
            records.Add(record);
            previous = record.Hash;
        }
        return records;
    }

    [Fact]
    public void An_untouched_chain_verifies()
    {
        Assert.Null(AuditRecord.FirstBroken(Chain(10)));
        Assert.Null(AuditRecord.FirstBroken([]));
    }

    [Fact]
    public void A_changed_field_is_found_at_its_record()
    {
        var records = Chain(10);
        records[6] = records[6] with { Entry = records[6].Entry with { Result = AuditResult.Denied } };

        Assert.Equal(7, AuditRecord.FirstBroken(records));
    }

    [Fact]
    public void A_removed_record_breaks_the_chain_at_the_next_one()
    {
        var records = Chain(10);
        records.RemoveAt(3);

        Assert.Equal(5, AuditRecord.FirstBroken(records));
    }

    [Fact]
    public void A_record_rewritten_with_a_fresh_hash_still_breaks_the_link_of_the_next()
    {
        var records = Chain(5);
        var forged = AuditRecord.Chain(3, records[2].Entry with { Actor = "mallory" }, records[2].PreviousHash);
        records[2] = forged;

        Assert.Equal(4, AuditRecord.FirstBroken(records));
    }
}
