using System.Net;
using System.Net.Http.Json;
using System.Text;
using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.Web.Tests.Api;

/// <summary><c>GET /api/audit/export.csv</c> through the real pipeline: quoting a spreadsheet reads back, and the permission check.</summary>
public sealed class AuditExportTests(UnreachableAppFactory factory) : IClassFixture<UnreachableAppFactory>
{
    [Fact]
    public async Task An_admin_downloads_the_filtered_log_as_csv_that_reads_back_field_for_field()
    {
        using var admin = await factory.CreateSignedInClientAsync(ControlPlaneAppFactory.BootstrapAdmin, ControlPlaneAppFactory.BootstrapPassword);
        // A refused user name with a comma and a quote: its audit record needs both quoted.
        using var refused = await admin.PostAsJsonAsync("/api/users", new { username = "eve,\"quoted\"", password = "long-enough-password" });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);

        using var response = await admin.GetAsync("/api/audit/export.csv?action=users.create&actor=admin");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.EndsWith(".csv", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var rows = ParseCsv(await response.Content.ReadAsStringAsync());
        Assert.Equal(["id", "time", "actor", "action", "target", "result", "clientAddress", "detail", "diff", "previousHash", "hash"], rows[0]);
        var row = Assert.Single(rows.Skip(1), r => r[4] == "user eve,\"quoted\"" && r[5] == "failed");
        Assert.Equal(["admin", "users.create", "failed"], [row[2], row[3], row[5]]);
        Assert.Contains("A user name may hold", row[7]);
        // The filters reached the query: nothing by the bootstrap or of another action.
        Assert.All(rows.Skip(1), r => Assert.Equal(("admin", "users.create"), (r[2], r[3])));
    }

    [Fact]
    public async Task A_user_name_typed_as_a_formula_on_the_sign_in_page_does_not_run_as_one_in_a_spreadsheet()
    {
        using var anonymous = factory.CreateClient();
        using var attempt = await anonymous.PostAsJsonAsync("/api/auth/login", new { username = "=HYPERLINK(\"http://evil\")", password = "x" });
        Assert.Equal(HttpStatusCode.Unauthorized, attempt.StatusCode);
        using var admin = await factory.CreateSignedInClientAsync(ControlPlaneAppFactory.BootstrapAdmin, ControlPlaneAppFactory.BootstrapPassword);

        var rows = ParseCsv(await admin.GetStringAsync("/api/audit/export.csv?action=signin"));

        Assert.Contains(rows.Skip(1), r => r[2] == "'=HYPERLINK(\"http://evil\")" && r[5] == "failed");
        Assert.DoesNotContain(rows.Skip(1), r => r.Any(field => field.StartsWith('=')));
    }

    [Fact]
    public async Task A_viewer_is_refused_and_the_refusal_is_in_the_log_and_an_anonymous_caller_is_told_to_sign_in()
    {
        using var admin = await factory.CreateSignedInClientAsync(ControlPlaneAppFactory.BootstrapAdmin, ControlPlaneAppFactory.BootstrapPassword);
        using var viewer = await factory.CreateSignedInViewerAsync("csv-viewer");
        using var anonymous = factory.CreateClient();

        using var refused = await viewer.GetAsync("/api/audit/export.csv");
        using var unsigned = await anonymous.GetAsync("/api/audit/export.csv");

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        var rows = ParseCsv(await admin.GetStringAsync("/api/audit/export.csv?actor=csv-viewer&action=audit.read"));
        Assert.Contains(rows.Skip(1), r => r[5] == "denied");
    }

    /// <summary>An RFC 4180 reader, as a spreadsheet would read the file: quoted fields may hold commas, quotes and line breaks.</summary>
    private static List<string[]> ParseCsv(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"' && field.Length == 0)
            {
                quoted = true;
            }
            else if (c == ',')
            {
                row.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                row.Add(field.ToString());
                field.Clear();
                rows.Add([.. row]);
                row.Clear();
                i++;
            }
            else
            {
                field.Append(c);
            }
        }
        Assert.False(quoted, "the file ends inside a quoted field");
        Assert.Equal(0, row.Count + field.Length);
        Assert.All(rows, r => Assert.Equal(11, r.Length));
        return rows;
    }
}
