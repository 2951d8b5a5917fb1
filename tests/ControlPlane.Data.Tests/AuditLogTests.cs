using ControlPlane.Core.Audit;
using ControlPlane.Data.Audit;
using ControlPlane.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace ControlPlane.Data.Tests;

/// <summary>The audit log against a fresh database per test, with its key and checkpoint in a temporary directory.</summary>
public abstract class AuditLogTests<TDatabase> : IAsyncLifetime where TDatabase : TestDatabase, new()
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);

    private readonly TDatabase _database = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("controlplane-audit-").FullName;
    private AuditKey _key = default!;
    private AuditCheckpointFile _checkpoints = default!;
    private AuditLog _log = default!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _key = AuditKeyFile.LoadOrCreate(Path.Combine(_directory, "audit.key"), NullLogger.Instance);
        _checkpoints = new AuditCheckpointFile(Path.Combine(_directory, "audit-checkpoint.json"));
        _log = new AuditLog(_database.Services.GetRequiredService<IServiceScopeFactory>(), _key, _checkpoints);
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private static AuditEntry Entry(int i, string actor = "alice") => new(Now.AddSeconds(i), actor, "services.update", $"prod/shop/web{i}", AuditResult.Succeeded, "10.1.2.3");

    private async Task<List<AuditRecord>> AppendAsync(int count)
    {
        var records = new List<AuditRecord>();
        for (var i = 0; i < count; i++)
        {
            records.Add(await _log.AppendAsync(Entry(i)));
        }
        return records;
    }

    /// <summary>Rows written straight into the database: by an earlier release, or by an attacker.</summary>
    private async Task WriteRowsAsync(IEnumerable<AuditRecord> records)
    {
        await using var db = _database.CreateContext();
        foreach (var record in records)
        {
            db.AuditLog.Add(new AuditRow
            {
                Id = record.Id, UnixMilliseconds = record.Entry.Time.ToUnixTimeMilliseconds(), Actor = record.Entry.Actor, Action = record.Entry.Action,
                Target = record.Entry.Target, Result = record.Entry.Result, ClientAddress = record.Entry.ClientAddress, PreviousHash = record.PreviousHash, Hash = record.Hash,
            });
        }
        await db.SaveChangesAsync();
    }

    private async Task DeleteFromAsync(long id)
    {
        await using var db = _database.CreateContext();
        await db.AuditLog.Where(a => a.Id >= id).ExecuteDeleteAsync();
    }

    [Fact]
    public async Task The_chain_verifies_and_a_record_changed_in_the_database_is_found()
    {
        var records = await AppendAsync(5);
        Assert.True((await _log.VerifyAsync()).Ok);
        Assert.Equal(records[3].Hash, records[4].PreviousHash);

        await using (var db = _database.CreateContext())
        {
            // Tampering as someone with database access would: change a field in place.
            await db.AuditLog.Where(a => a.Id == records[2].Id).ExecuteUpdateAsync(s => s.SetProperty(a => a.Result, AuditResult.Denied));
        }

        var verification = await _log.VerifyAsync();
        Assert.Equal(records[2].Id, verification.FirstBadId);
        Assert.False(verification.Ok);
        var found = await _log.QueryAsync(new AuditQuery(Actor: "alice", Action: "services."));
        Assert.Equal(records.Select(r => r.Id).Reverse(), found.Select(r => r.Id));
    }

    [Fact]
    public async Task A_record_rewritten_in_the_database_with_every_later_one_rehashed_without_the_key_is_found()
    {
        var records = await AppendAsync(6);
        await _log.CheckpointAsync(Now);

        // An attacker with the database but not the key: rewrite record 3 and re-chain it and every later one with plain SHA-256.
        await DeleteFromAsync(3);
        var forged = new List<AuditRecord>();
        var previous = records[1].Hash;
        for (var i = 2; i < records.Count; i++)
        {
            forged.Add(AuditRecord.Chain(records[i].Id, i == 2 ? Entry(i, actor: "mallory") : records[i].Entry, previous));
            previous = forged[^1].Hash;
        }
        await WriteRowsAsync(forged);

        var verification = await _log.VerifyAsync();
        Assert.Equal(3, verification.FirstBadId);
        Assert.False(verification.Ok);
    }

    [Fact]
    public async Task Deleting_the_newest_records_is_reported_as_truncation_against_the_last_checkpoint()
    {
        await AppendAsync(8);
        var (checkpoint, written) = await _log.CheckpointAsync(Now);
        Assert.True(written);
        Assert.Equal(8, checkpoint.LastId);

        await DeleteFromAsync(6);

        var verification = await _log.VerifyAsync();
        Assert.True(verification.Truncated);
        Assert.Null(verification.FirstBadId);
        Assert.False(verification.Ok);
        Assert.Contains("no longer in the database", verification.Problem);

        // The next scheduled checkpoint keeps the evidence rather than signing the shortened log.
        await _log.AppendAsync(Entry(99));
        var (kept, rewritten) = await _log.CheckpointAsync(Now.AddMinutes(10));
        Assert.False(rewritten);
        Assert.Equal(checkpoint, kept);
        Assert.True((await _log.VerifyAsync()).Truncated);
    }

    [Fact]
    public async Task Plain_sha256_records_of_the_earlier_release_followed_by_sealed_ones_verify_after_the_upgrade()
    {
        // What the earlier release left: records chained with plain SHA-256, and no key or checkpoint file.
        var legacy = new List<AuditRecord>();
        for (var id = 1; id <= 4; id++)
        {
            legacy.Add(AuditRecord.Chain(id, Entry(id, actor: "before-upgrade"), legacy.Count == 0 ? AuditRecord.Genesis : legacy[^1].Hash));
        }
        await WriteRowsAsync(legacy);

        var (first, _) = await _log.CheckpointAsync(Now);
        Assert.Equal(5, first.KeyedFrom);
        var sealedRecords = await AppendAsync(3);
        Assert.Equal(legacy[^1].Hash, sealedRecords[0].PreviousHash);
        Assert.True(_key.IsSealed(sealedRecords[0]));

        Assert.True((await _log.VerifyAsync()).Ok);
        var (second, _) = await _log.CheckpointAsync(Now.AddMinutes(10));
        Assert.Equal((5L, 7L), (second.KeyedFrom, second.LastId));
        Assert.True((await _log.VerifyAsync()).Ok);
    }

    [Fact]
    public async Task Concurrent_appends_still_form_one_chain()
    {
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            _log.AppendAsync(new AuditEntry(Now, $"user{i}", "signin", "ControlPlane", AuditResult.Succeeded))));

        var all = await _log.QueryAsync(new AuditQuery(Limit: 10_000));
        Assert.Equal(20, all[0].Id);
        Assert.True((await _log.VerifyAsync()).Ok);
    }

    [Fact]
    public async Task A_checkpoint_file_that_is_not_a_checkpoint_makes_verification_fail_and_name_the_file()
    {
        await AppendAsync(2);
        await File.WriteAllTextAsync(_checkpoints.Path, "{ not json");

        var verification = await _log.VerifyAsync();

        Assert.False(verification.Ok);
        Assert.Contains(_checkpoints.Path, verification.Problem);
    }

    [Fact]
    public void A_key_file_too_short_to_be_a_key_is_refused_naming_the_setting()
    {
        var path = Path.Combine(_directory, "short.key");
        File.WriteAllText(path, "password");

        var refused = Assert.Throws<InvalidOperationException>(() => AuditKeyFile.LoadOrCreate(path, NullLogger.Instance));
        Assert.Contains("ControlPlane:Audit:KeyFile", refused.Message);
    }

    [Fact]
    public void The_key_file_is_created_once_readable_only_by_its_owner_and_read_back_on_the_next_start()
    {
        var path = Path.Combine(_directory, "nested", "key");
        var created = AuditKeyFile.LoadOrCreate(path, NullLogger.Instance);
        var reloaded = AuditKeyFile.LoadOrCreate(path, NullLogger.Instance);

        Assert.Equal(AuditKey.Length, new FileInfo(path).Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        var record = created.Seal(1, Entry(1), AuditRecord.Genesis);
        Assert.True(reloaded.IsSealed(record));
        Assert.False(_key.IsSealed(record));
    }
}

public sealed class SqliteAuditLogTests : AuditLogTests<SqliteDatabase>;

public sealed class PostgresAuditLogTests : AuditLogTests<PostgresDatabase>;
