using System.Text;
using ControlPlane.Core.Audit;
using ControlPlane.Core.Identity;

namespace ControlPlane.Web.Api;

/// <summary>
/// <c>GET /api/audit/export.csv</c>: the audit log as a CSV download, narrowed by the same filters as
/// <c>GET /api/audit</c> and the Audit page. The check and its audit record are <see cref="IdentityCommands"/>'s.
/// </summary>
public static class AuditExportEndpoints
{
    private static readonly string[] Columns =
        ["id", "time", "actor", "action", "target", "result", "clientAddress", "detail", "diff", "previousHash", "hash"];

    public static RouteGroupBuilder MapAuditExport(this RouteGroupBuilder api)
    {
        api.MapGet("/audit/export.csv", async (DateTimeOffset? since, string? actor, string? action, string? cluster, HttpContext http, IdentityCommands commands, TimeProvider time) =>
            {
                var caller = await IdentityEndpoints.CallerAsync(http);
                var outcome = await commands.QueryAuditAsync(caller, new AuditQuery(since, actor, action, cluster, Limit: 10_000), http.RequestAborted);
                if (outcome.Forbidden)
                {
                    return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: outcome.Message);
                }
                var csv = ToCsv(outcome.Value!);
                return Results.File(Encoding.UTF8.GetBytes(csv), "text/csv; charset=utf-8", $"audit-{time.GetUtcNow():yyyyMMdd-HHmmss}.csv");
            })
            .WithTags("Audit").WithName("ExportAudit").WithSummary("Download the audit log as CSV")
            .Produces<string>(StatusCodes.Status200OK, "text/csv").ProducesProblem(StatusCodes.Status403Forbidden);
        return api;
    }

    /// <summary>RFC 4180: a header line, then one line per record, newest first as the query returns them.</summary>
    public static string ToCsv(IEnumerable<AuditRecord> records)
    {
        var csv = new StringBuilder();
        csv.AppendJoin(',', Columns).Append("\r\n");
        foreach (var r in records)
        {
            var e = r.Entry;
            csv.AppendJoin(',', new[]
            {
                r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Time.UtcDateTime.ToString("O"), e.Actor, e.Action, e.Target,
                e.Result.ToString().ToLowerInvariant(), e.ClientAddress, e.Detail, e.Diff, r.PreviousHash, r.Hash,
            }.Select(Field)).Append("\r\n");
        }
        return csv.ToString();
    }

    /// <summary>
    /// Quotes a field when it holds a comma, quote or line break (doubling quotes inside). A field that a
    /// spreadsheet would take for a formula gets a leading apostrophe: actors are whatever a stranger typed
    /// as a user name on the sign-in page, and must not run as formulas when an auditor opens the file.
    /// </summary>
    public static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{value.Replace("\"", "\"\"")}\"" : value;
    }
}
