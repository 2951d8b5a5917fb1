using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Web.Authentication;
using ControlPlane.Web.Authorization;
using ControlPlane.Web.Hosting;
using ControlPlane.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace ControlPlane.Web.Tests.Api;

/// <summary>ControlPlane with the request limits it ships with (the other test hosts raise them for speed).</summary>
public sealed class DefaultLimitsAppFactory() : ControlPlaneAppFactory(new Dictionary<string, string?>
{
    ["ControlPlane:Clusters:0:Name"] = UnreachableAppFactory.ClusterId,
    ["ControlPlane:Clusters:0:Endpoints:0"] = UnreachableAppFactory.Endpoint,
    ["ControlPlane:RateLimits:SignInPerAddressPerMinute"] = new RequestLimitOptions().SignInPerAddressPerMinute.ToString(),
    ["ControlPlane:RateLimits:SignInPerUserPer15Minutes"] = new RequestLimitOptions().SignInPerUserPer15Minutes.ToString(),
    ["ControlPlane:RateLimits:AnonymousPerAddressPerMinute"] = new RequestLimitOptions().AnonymousPerAddressPerMinute.ToString(),
    ["ControlPlane:RateLimits:PerPrincipalPerSecond"] = new RequestLimitOptions().PerPrincipalPerSecond.ToString(),
});

/// <summary>
/// Sign-in abuse (issue 11, item 3) through the real pipeline: how many password guesses one client address gets on
/// one account, one answer for every failure, endless names, aggregated anonymous refusals, tokens that mint tokens,
/// and the console's way back in for a locked-out administrator.
/// </summary>
public sealed class SignInAbuseTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly DefaultLimitsAppFactory _app = new();
    private HttpClient _admin = default!;

    public async Task InitializeAsync() => _admin = await _app.CreateSignedInClientAsync(ControlPlaneAppFactory.BootstrapAdmin, ControlPlaneAppFactory.BootstrapPassword);

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task One_address_gets_at_most_five_password_checks_per_account_per_fifteen_minutes_even_sent_in_parallel()
    {
        const string victim = "victim";
        await CreateUserAsync(victim, "victim-long-password");
        using var attacker = _app.CreateClient();

        // Forty guesses at once, as a script would send them: the address limit, the name limit and the lockout decide.
        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            using var response = await attacker.PostAsJsonAsync("/api/auth/login", new { username = victim, password = $"guess-number-{i:00}" });
            return (response.StatusCode, RetryAfter: response.Headers.RetryAfter?.Delta);
        }));

        var checkedGuesses = (await AuditAsync($"actor={victim}&action=signin")).Count(a => a.GetProperty("detail").GetString() == "WrongCredentials");
        output.WriteLine($"40 parallel guesses from one address: {answers.Count(a => a.StatusCode == HttpStatusCode.Unauthorized)} answered 401, "
            + $"{answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests)} answered 429; {checkedGuesses} were checked against the password.");
        Assert.InRange(checkedGuesses, 1, 5);
        Assert.All(answers, a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests }));
        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.TooManyRequests && a.RetryAfter > TimeSpan.Zero);
    }

    [Fact]
    public async Task A_locked_account_an_unknown_name_and_a_wrong_password_get_one_answer_and_an_endless_name_is_refused_unwritten()
    {
        await CreateUserAsync("locked", "locked-long-password");
        using var client = _app.CreateClient();
        for (var i = 0; i < 5; i++)
        {
            using var _ = await client.PostAsJsonAsync("/api/auth/login", new { username = "locked", password = "wrong password!!" });
        }

        var locked = await DetailAsync(client, "locked", "locked-long-password");
        var unknown = await DetailAsync(client, "nobody-here", "wrong password!!");
        var endless = await DetailAsync(client, new string('x', 3000), "wrong password!!");

        Assert.Equal((HttpStatusCode.Unauthorized, unknown.Detail), (locked.Status, locked.Detail));
        Assert.Equal("The user name or the password is wrong, or the account is locked for a while after too many failed attempts.", locked.Detail);
        Assert.Equal("A user name has at most 100 characters.", endless.Detail);
        Assert.DoesNotContain(await AuditAsync("action=signin&limit=1000"), a => a.GetProperty("actor").GetString()!.Length > 100);
    }

    [Fact]
    public async Task Anonymous_refusals_are_one_audit_record_per_address_with_a_count_not_one_row_each()
    {
        using var anonymous = _app.CreateClient();
        await _app.Services.GetRequiredService<AnonymousRefusals>().FlushAsync();
        var before = (await AuditAsync("actor=anonymous&limit=1000")).Length;

        for (var i = 0; i < 25; i++)
        {
            using var response = await anonymous.GetAsync($"/api/clusters?attempt={i}");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        Assert.Equal(before, (await AuditAsync("actor=anonymous&limit=1000")).Length);
        await _app.Services.GetRequiredService<AnonymousRefusals>().FlushAsync();

        var records = await AuditAsync("actor=anonymous&action=requests.unauthenticated&limit=1000");
        var record = Assert.Single(records.Skip(0), r => r.GetProperty("detail").GetString()!.StartsWith("25 requests refused", StringComparison.Ordinal));
        Assert.Contains("GET /api/clusters", record.GetProperty("detail").GetString());
        Assert.Equal(before + 1, (await AuditAsync("actor=anonymous&limit=1000")).Length);
    }

    [Fact]
    public async Task An_api_token_cannot_mint_another_token()
    {
        using var created = await _admin.PostAsJsonAsync("/api/tokens", new { name = "ci", expiresInDays = 30 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var token = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
        using var withToken = _app.CreateClient();
        withToken.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var minted = await withToken.PostAsJsonAsync("/api/tokens", new { name = "successor", expiresInDays = 365 });

        Assert.Equal(HttpStatusCode.Forbidden, minted.StatusCode);
        Assert.Contains("not with another token", await minted.Content.ReadAsStringAsync());
        var tokens = await _admin.GetFromJsonAsync<JsonElement>("/api/tokens");
        Assert.DoesNotContain(tokens.EnumerateArray(), t => t.GetProperty("name").GetString() == "successor");
    }

    [Fact]
    public async Task A_locked_out_admin_gets_back_in_with_the_console_command()
    {
        using var client = _app.CreateClient();
        for (var i = 0; i < 5; i++)
        {
            using var _ = await client.PostAsJsonAsync("/api/auth/login", new { username = ControlPlaneAppFactory.BootstrapAdmin, password = "wrong password!!" });
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await DetailAsync(client, ControlPlaneAppFactory.BootstrapAdmin, ControlPlaneAppFactory.BootstrapPassword)).Status);

        var said = new StringWriter();
        var exit = await ConsoleCommands.RunAsync(
            ["unlock-account", ControlPlaneAppFactory.BootstrapAdmin, $"--ControlPlane:Database:ConnectionString=Data Source={_app.DatabasePath}"], said);

        Assert.Equal((0, $"The account '{ControlPlaneAppFactory.BootstrapAdmin}' is unlocked."), (exit, said.ToString().Trim()));
        Assert.Equal(HttpStatusCode.NoContent, (await DetailAsync(client, ControlPlaneAppFactory.BootstrapAdmin, ControlPlaneAppFactory.BootstrapPassword)).Status);
        Assert.Contains(await AuditAsync("actor=console&action=users.unlock"), a => a.GetProperty("result").GetString() == "succeeded");
    }

    private async Task CreateUserAsync(string name, string password)
    {
        using var created = await _admin.PostAsJsonAsync("/api/users", new { username = name, password, role = "viewer" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    private async Task<JsonElement[]> AuditAsync(string query) =>
        (await _admin.GetFromJsonAsync<JsonElement>($"/api/audit?{query}")).EnumerateArray().ToArray();

    private static async Task<(HttpStatusCode Status, string? Detail)> DetailAsync(HttpClient client, string userName, string password)
    {
        using var response = await client.PostAsJsonAsync("/api/auth/login", new { username = userName, password });
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, body.Length == 0 ? null : JsonDocument.Parse(body).RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null);
    }
}
