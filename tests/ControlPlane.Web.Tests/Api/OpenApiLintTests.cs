using System.Diagnostics;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ControlPlane.Web.Tests.Api;

/// <summary>
/// The app's own <c>/openapi/v1.json</c>, linted by Redocly CLI (from npm, pinned in tests/openapi-lint) with its
/// recommended rules: clients are generated from this document by tools nobody here wrote, so it is checked by one.
/// </summary>
public sealed class OpenApiLintTests(UnreachableAppFactory app, ITestOutputHelper output) : IClassFixture<UnreachableAppFactory>
{
    [Fact]
    public async Task The_served_document_passes_redocly_recommended_rules_without_an_error()
    {
        var admin = app.CreateAdminClient();
        // Left in place (git ignores it), so a failing rule can be looked up in the very document that broke it.
        var document = Path.Combine(RepositoryRoot.Path, "tests", "openapi-lint", "served-openapi.json");
        await File.WriteAllTextAsync(document, await admin.GetStringAsync("/openapi/v1.json"));
        var (exit, stdout, stderr) = await RunAsync(Path.Combine(RepositoryRoot.Path, "tests", "openapi-lint", "lint.sh"), document);
        Assert.True(stdout.TrimStart().StartsWith('{'), $"redocly lint gave no report (exit {exit}): {stderr}");
        using var report = JsonDocument.Parse(stdout);
        var problems = report.RootElement.GetProperty("problems").EnumerateArray()
            .Select(p => (Severity: p.GetProperty("severity").GetString(), Rule: p.GetProperty("ruleId").GetString(),
                Message: p.GetProperty("message").GetString(),
                Where: string.Join(" ", p.GetProperty("location").EnumerateArray().Select(l => l.GetProperty("pointer").GetString()))))
            .ToList();
        foreach (var p in problems)
        {
            output.WriteLine($"{p.Severity} {p.Rule} at {p.Where}: {p.Message}");
        }
        var totals = report.RootElement.GetProperty("totals");
        output.WriteLine($"redocly lint: {totals.GetProperty("errors").GetInt32()} errors, {totals.GetProperty("warnings").GetInt32()} warnings");

        Assert.Empty(problems.Where(p => p.Severity == "error").Select(p => $"{p.Rule} at {p.Where}: {p.Message}"));
        Assert.Equal(0, exit);
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string script, string argument)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
