using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace ControlPlane.Web.Tests.Api;

/// <summary>ControlPlane with an unreachable cluster that writes an audit checkpoint every 200 ms.</summary>
public sealed class FrequentCheckpointAppFactory() : ControlPlaneAppFactory(new Dictionary<string, string?>
{
    ["ControlPlane:Clusters:0:Name"] = UnreachableAppFactory.ClusterId,
    ["ControlPlane:Clusters:0:Endpoints:0"] = UnreachableAppFactory.Endpoint,
    ["ControlPlane:Audit:CheckpointInterval"] = "00:00:00.200",
});

/// <summary><c>GET /api/audit/verify</c> against records deleted behind ControlPlane's back, in its SQLite file.</summary>
public sealed class AuditAnchorTests(FrequentCheckpointAppFactory factory) : IClassFixture<FrequentCheckpointAppFactory>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Deleting_the_newest_audit_rows_in_the_database_is_reported_as_truncation_against_the_last_checkpoint()
    {
        using var admin = factory.CreateAdminClient();
        var newest = (await admin.GetFromJsonAsync<JsonElement>("/api/audit?limit=1"))[0].GetProperty("id").GetInt64();
        Assert.True((await admin.GetFromJsonAsync<JsonElement>("/api/audit/verify")).GetProperty("ok").GetBoolean());
        // The sign-in came after the checkpoint written at start; wait for a scheduled one that names it.
        var checkpointed = await WaitForCheckpointAsync(newest);

        using (var connection = new SqliteConnection($"Data Source={factory.DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM AuditLog WHERE Id >= $from";
            delete.Parameters.AddWithValue("$from", newest);
            Assert.True(await delete.ExecuteNonQueryAsync() >= 1);
        }

        using var response = await admin.GetAsync("/api/audit/verify");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var verify = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(verify.GetProperty("ok").GetBoolean(), verify.ToString());
        Assert.True(verify.GetProperty("truncated").GetBoolean(), verify.ToString());
        Assert.Equal(JsonValueKind.Null, verify.GetProperty("firstBadId").ValueKind);
        Assert.Equal(checkpointed, verify.GetProperty("checkpoint").GetProperty("id").GetInt64());
        Assert.Contains("no longer in the database", verify.GetProperty("problem").GetString());
    }

    private async Task<long> WaitForCheckpointAsync(long id)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        var last = "no checkpoint file";
        do
        {
            if (File.Exists(factory.AuditCheckpointPath))
            {
                last = await File.ReadAllTextAsync(factory.AuditCheckpointPath);
                if (JsonDocument.Parse(last).RootElement.GetProperty("lastId").GetInt64() is var checkpointed && checkpointed >= id)
                {
                    return checkpointed;
                }
            }
        }
        while (clock.Elapsed < Timeout && await timer.WaitForNextTickAsync());
        throw new TimeoutException($"No audit checkpoint named record {id} or a later one within {Timeout.TotalSeconds:0}s. Last: {last}");
    }
}
