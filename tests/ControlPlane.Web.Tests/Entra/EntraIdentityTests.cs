using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace ControlPlane.Web.Tests.Entra;

/// <summary>
/// Entra identities that cannot be spoofed (issue 11 item 6): only the allowed tenants get in, whatever app roles
/// their own administrators hand out; app roles are read by name only; a grant on <c>entra:&lt;tid&gt;/&lt;oid&gt;</c>
/// follows the user whatever their <c>preferred_username</c> becomes. No swarm needed.
/// </summary>
public sealed class EntraIdentityTests(MultiTenantEntraAppFixture fixture) : IClassFixture<MultiTenantEntraAppFixture>
{
    private TestAuthority Authority => fixture.Authority;

    [Fact]
    public async Task A_token_from_the_allowed_tenant_with_the_Admin_app_role_lists_the_users()
    {
        using var client = ClientWith(Authority.CreateToken(new TestAuthority.TokenRequest { Roles = ["Admin"] }));

        using var response = await client.GetAsync("/api/users");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_token_from_a_tenant_not_allowed_is_refused_with_401_even_with_the_Admin_app_role_and_the_refusal_is_audited()
    {
        var foreignTenant = Guid.NewGuid().ToString();
        var userName = $"mallory-{Guid.NewGuid():N}@fabrikam.example";
        using var client = ClientWith(Authority.CreateToken(new TestAuthority.TokenRequest
        {
            TenantId = foreignTenant, UserName = userName, Roles = ["Admin"],
        }));

        using var response = await client.GetAsync("/api/users");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var refusal = Assert.Single(await AuditAsync("entra.sign-in"), r => r.GetProperty("actor").GetString()!.StartsWith(userName, StringComparison.Ordinal));
        Assert.Equal("denied", refusal.GetProperty("result").GetString(), ignoreCase: true);
        Assert.Contains(foreignTenant, refusal.GetProperty("target").GetString());
    }

    [Theory]
    [InlineData("3")]
    [InlineData("ControlPlane.3")]
    [InlineData("99")]
    [InlineData("Admin,Viewer")]
    public async Task An_app_role_that_is_not_a_role_name_gives_no_grant_and_does_not_fail_the_request(string appRole)
    {
        using var client = ClientWith(Authority.CreateToken(new TestAuthority.TokenRequest { Roles = [appRole] }));

        using var users = await client.GetAsync("/api/users");

        Assert.Equal(HttpStatusCode.Forbidden, users.StatusCode);
    }

    [Theory]
    [InlineData(3)]
    [InlineData("3")]
    [InlineData(99)]
    [InlineData("Root")]
    public async Task Creating_a_grant_with_a_role_that_is_not_a_role_name_is_a_400_and_grants_nothing(object role)
    {
        var group = $"group:{Guid.NewGuid()}";
        using var admin = fixture.App.CreateAdminClient();

        using var created = await admin.PostAsJsonAsync("/api/grants", new { subject = group, role, scope = new { } });

        Assert.Equal(HttpStatusCode.BadRequest, created.StatusCode);
        var grants = await admin.GetFromJsonAsync<JsonElement>("/api/grants");
        Assert.DoesNotContain(grants.EnumerateArray(), g => g.GetProperty("subject").GetString() == group);
    }

    [Fact]
    public async Task A_grant_on_the_stable_subject_applies_to_the_user_after_their_preferred_username_changes_and_not_to_someone_given_their_old_name()
    {
        var objectId = Guid.NewGuid().ToString();
        using (var admin = fixture.App.CreateAdminClient())
        {
            // Upper-case ids as an administrator may paste them from the portal.
            using var created = await admin.PostAsJsonAsync("/api/grants",
                new { subject = $"entra:{Authority.TenantId.ToUpperInvariant()}/{objectId.ToUpperInvariant()}", role = "Admin", scope = new { } });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        using var before = ClientWith(Authority.CreateToken(new TestAuthority.TokenRequest { ObjectId = objectId, UserName = "carol@contoso.example" }));
        using var renamed = ClientWith(Authority.CreateToken(new TestAuthority.TokenRequest { ObjectId = objectId, UserName = "carol.new@contoso.example" }));
        using var newcomer = ClientWith(Authority.CreateToken(new TestAuthority.TokenRequest { UserName = "carol@contoso.example" }));

        using var asBefore = await before.GetAsync("/api/users");
        using var asRenamed = await renamed.GetAsync("/api/users");
        using var asNewcomer = await newcomer.GetAsync("/api/users");

        Assert.Equal(HttpStatusCode.OK, asBefore.StatusCode);
        Assert.Equal(HttpStatusCode.OK, asRenamed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, asNewcomer.StatusCode);
    }

    [Fact]
    public async Task A_grant_on_a_malformed_entra_subject_is_refused_with_400()
    {
        using var admin = fixture.App.CreateAdminClient();

        using var created = await admin.PostAsJsonAsync("/api/grants",
            new { subject = $"entra:{Authority.TenantId}/carol@contoso.example", role = "Viewer", scope = new { } });

        Assert.Equal(HttpStatusCode.BadRequest, created.StatusCode);
    }

    private async Task<List<JsonElement>> AuditAsync(string action)
    {
        using var admin = fixture.App.CreateAdminClient();
        var records = await admin.GetFromJsonAsync<JsonElement>($"/api/audit?action={action}");
        return [.. records.EnumerateArray()];
    }

    private HttpClient ClientWith(string token)
    {
        var client = fixture.App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
