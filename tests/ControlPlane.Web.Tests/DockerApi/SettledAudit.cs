using System.Net.Http.Json;
using System.Text.Json;

namespace ControlPlane.Web.Tests.DockerApi;

/// <summary>
/// The audit records of one actor once every change they started has its end recorded. The endpoint forwards the
/// engine's answer to the CLI first and records the end after it, so a CLI command can return a moment before its
/// "succeeded" record is written.
/// </summary>
internal static class SettledAudit
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    public static async Task<List<JsonElement>> ReadAsync(HttpClient admin, string actor)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            List<JsonElement> records = [.. (await admin.GetFromJsonAsync<JsonElement>($"/api/audit?actor={Uri.EscapeDataString(actor)}")).EnumerateArray()];
            var open = records
                .GroupBy(r => (r.GetProperty("action").GetString(), r.GetProperty("target").GetString()))
                .Any(g => g.Count(r => r.GetProperty("result").GetString() == "started") > g.Count(r => r.GetProperty("result").GetString() != "started"));
            if (!open || DateTime.UtcNow > deadline)
            {
                return records;
            }
            await Task.Delay(100);
        }
    }
}
