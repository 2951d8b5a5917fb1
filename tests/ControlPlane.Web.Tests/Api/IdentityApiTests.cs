using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.Web.Tests.Api;

/// <summary>Users, grants, tokens and sign-in through the real HTTP pipeline.</summary>
public sealed class IdentityApiTests(UnreachableAppFactory factory) : IClassFixture<UnreachableAppFactory>
{
    private readonly HttpClient _admin = factory.CreateAdminClient();

    [Fact]
    public async Task The_last_admin_grant_on_all_clusters_cannot_be_removed()
    {
        var grants = await _admin.GetFromJsonAsync<JsonElement>("/api/grants");
        var admin = grants.EnumerateArray().Single(g => g.GetProperty("subject").GetString() == ControlPlaneAppFactory.BootstrapAdmin);

        using var response = await _admin.DeleteAsync($"/api/grants/{admin.GetProperty("id").GetInt64()}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("lock everyone out", await response.Content.ReadAsStringAsync());
        Assert.Contains((await _admin.GetFromJsonAsync<JsonElement>("/api/grants")).EnumerateArray(), g => g.GetProperty("id").GetInt64() == admin.GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task A_token_signs_in_automation_until_it_is_revoked_and_is_never_shown_again()
    {
        using var created = await _admin.PostAsJsonAsync("/api/tokens", new { name = "ci", expiresInDays = 7 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var token = body.GetProperty("token").GetString()!;
        using var automation = factory.CreateClient();
        automation.DefaultRequestHeaders.Authorization = new("Bearer", token);

        Assert.Equal(HttpStatusCode.OK, (await automation.GetAsync("/api/clusters")).StatusCode);
        Assert.DoesNotContain(token, await _admin.GetStringAsync("/api/tokens"));

        (await _admin.DeleteAsync($"/api/tokens/{body.GetProperty("id").GetInt64()}")).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Unauthorized, (await automation.GetAsync("/api/clusters")).StatusCode);
    }

    [Fact]
    public async Task A_wrong_password_is_401_audited_and_never_stored()
    {
        using var anonymous = factory.CreateClient();
        using var response = await anonymous.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = "not-the-password-42" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var audit = await _admin.GetStringAsync("/api/audit?action=signin");
        Assert.Contains("\"result\":\"failed\"", audit);
        Assert.DoesNotContain("not-the-password-42", audit);
    }
}
