using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.WebUtilities;

namespace ControlPlane.Web.Tests.Entra;

/// <summary>
/// Microsoft Entra ID through Microsoft.Identity.Web, against a local test authority: bearer JWTs on the API
/// (app roles and group grants map to ControlPlane roles, bad tokens are refused) and the OpenID Connect
/// sign-in for the UI.
/// </summary>
public sealed class EntraBearerTests(EntraAppFixture fixture) : IClassFixture<EntraAppFixture>
{
    private const string Cluster = EntraAppFixture.ClusterId;
    private static readonly TimeSpan SyncTimeout = TimeSpan.FromSeconds(30);

    private TestAuthority Authority => fixture.Authority;

    [Fact]
    public async Task A_token_with_the_Admin_app_role_lists_the_users()
    {
        using var client = ClientWith(Token(roles: ["Admin"]));

        using var response = await client.GetAsync("/api/users");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var users = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(users.EnumerateArray(), u => u.GetProperty("username").GetString() == ControlPlaneAppFactory.BootstrapAdmin);
    }

    [Fact]
    public async Task A_token_with_the_prefixed_ControlPlane_Admin_app_role_lists_the_users()
    {
        using var client = ClientWith(Token(roles: ["ControlPlane.Admin"]));

        using var response = await client.GetAsync("/api/users");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_token_with_the_Viewer_app_role_lists_the_swarm_but_is_refused_the_users_and_the_refusal_is_audited_under_the_Entra_user_name()
    {
        var userName = $"viewer-{Guid.NewGuid():N}@contoso.example";
        using var viewer = ClientWith(Token(userName, roles: ["Viewer"]));

        var clusters = await viewer.GetUntilAsync("/api/clusters",
            (status, json) => status == HttpStatusCode.OK && json.ValueKind == JsonValueKind.Array
                && json.EnumerateArray().Any(c => c.GetProperty("id").GetString() == Cluster),
            SyncTimeout);
        using var users = await viewer.GetAsync("/api/users");

        Assert.Equal(Cluster, Assert.Single(clusters.EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, users.StatusCode);
        using var admin = ClientWith(Token(roles: ["Admin"]));
        using var audit = await admin.GetAsync("/api/audit?action=users.manage");
        Assert.Equal(HttpStatusCode.OK, audit.StatusCode);
        var records = (await audit.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().ToList();
        var refusal = Assert.Single(records, r => r.GetProperty("actor").GetString() == userName);
        Assert.Equal("users.manage", refusal.GetProperty("action").GetString());
        Assert.Equal("denied", refusal.GetProperty("result").GetString(), ignoreCase: true);
    }

    [Fact]
    public async Task A_token_without_roles_whose_group_has_an_Operator_grant_on_the_swarm_reads_its_nodes_and_the_same_token_without_the_group_is_refused()
    {
        var group = Guid.NewGuid().ToString();
        using (var bootstrapAdmin = fixture.App.CreateAdminClient())
        {
            using var created = await bootstrapAdmin.PostAsJsonAsync("/api/grants",
                new { subject = $"group:{group}", role = "Operator", scope = new { cluster = Cluster } });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        var userName = $"operator-{Guid.NewGuid():N}@contoso.example";
        var objectId = Guid.NewGuid().ToString();
        using var member = ClientWith(Token(userName, groups: [Guid.NewGuid().ToString(), group], objectId: objectId));
        using var outsider = ClientWith(Token(userName, groups: [Guid.NewGuid().ToString()], objectId: objectId));

        var nodes = await member.GetUntilAsync($"/api/clusters/{Cluster}/nodes",
            (status, json) => status == HttpStatusCode.OK && json.ValueKind == JsonValueKind.Array && json.GetArrayLength() > 0,
            SyncTimeout);
        using var refused = await outsider.GetAsync($"/api/clusters/{Cluster}/nodes");

        Assert.True(nodes.GetArrayLength() >= 1);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task A_token_with_a_granted_group_but_neither_scopes_nor_app_roles_such_as_an_id_token_is_refused_with_401()
    {
        var group = Guid.NewGuid().ToString();
        using (var bootstrapAdmin = fixture.App.CreateAdminClient())
        {
            using var created = await bootstrapAdmin.PostAsJsonAsync("/api/grants",
                new { subject = $"group:{group}", role = "Admin", scope = new { } });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        using var client = ClientWith(Authority.CreateToken(new TestAuthority.TokenRequest { Groups = [group], Scopes = null }));

        using var response = await client.GetAsync("/api/users");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("expired", "The token expired")]
    [InlineData("signed by another key", "The signature")]
    [InlineData("for another audience", "The audience")]
    [InlineData("from another tenant", "The issuer")]
    public async Task A_bad_token_is_refused_with_401_naming_what_is_wrong(string defect, string reason)
    {
        var valid = new TestAuthority.TokenRequest { Roles = ["Admin"] };
        var request = defect switch
        {
            "expired" => valid with { IssuedAt = DateTimeOffset.UtcNow.AddHours(-3), Lifetime = TimeSpan.FromHours(1) },
            "signed by another key" => valid with { SigningKey = TestAuthority.ForeignKey() },
            "for another audience" => valid with { Audience = Guid.NewGuid().ToString() },
            "from another tenant" => valid with { TenantId = Guid.NewGuid().ToString() },
            _ => throw new ArgumentOutOfRangeException(nameof(defect), defect, null),
        };
        using var client = ClientWith(Authority.CreateToken(request));

        using var response = await client.GetAsync("/api/users");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(reason, response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task Signing_in_with_Microsoft_redirects_to_the_test_authority_with_the_client_id_and_the_signin_oidc_redirect()
    {
        using var client = fixture.App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        using var response = await client.GetAsync("/account/login/entra?returnUrl=%2Fservices");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = Assert.IsType<Uri>(response.Headers.Location);
        Assert.Equal(Authority.AuthorizationEndpoint, location.GetLeftPart(UriPartial.Path));
        var query = QueryHelpers.ParseQuery(location.Query);
        Assert.Equal(Authority.ClientId, query["client_id"].ToString());
        Assert.Equal("/signin-oidc", new Uri(query["redirect_uri"].ToString()).AbsolutePath);
        Assert.Contains("openid", query["scope"].ToString().Split(' '));
    }

    [Fact]
    public async Task The_sign_in_page_offers_Sign_in_with_Microsoft()
    {
        using var client = fixture.App.CreateClient();

        var page = await client.GetStringAsync("/account/login");

        Assert.Contains("Sign in with Microsoft", page);
        Assert.Contains("account/login/entra", page);
    }

    private string Token(string userName = "alice@contoso.example", string[]? roles = null, string[]? groups = null, string? objectId = null) =>
        Authority.CreateToken(new TestAuthority.TokenRequest
        {
            UserName = userName,
            Roles = roles ?? [],
            Groups = groups ?? [],
            ObjectId = objectId ?? Guid.NewGuid().ToString(),
        });

    private HttpClient ClientWith(string token)
    {
        var client = fixture.App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
