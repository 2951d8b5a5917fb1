using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.Web.Tests.Security;

/// <summary>
/// Cross-site request forgery (issue 11, item 8): a cookie rides along on requests another site (a sibling
/// subdomain is the same site, so SameSite=Lax does not stop it) makes the browser send. Unsafe API calls
/// and hub connections authenticated by cookie must come from this origin; bearer tokens are not ambient.
/// </summary>
public sealed class CrossOriginTests(SwarmAppFactory factory) : IClassFixture<SwarmAppFactory>
{
    private const string Foreign = "https://evil.example";

    [Fact]
    public async Task A_cookie_authenticated_post_from_a_foreign_origin_is_refused_with_403_and_creates_nothing()
    {
        using var admin = factory.CreateAdminClient();
        var user = $"csrf{Guid.NewGuid():N}"[..14];

        using var response = await admin.SendAsync(Post("/api/users", new { username = user, password = "csrf-user-password" }, origin: Foreign));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("origin", (await response.Content.ReadAsStringAsync()).ToLowerInvariant());
        var users = await admin.GetFromJsonAsync<JsonElement>("/api/users");
        Assert.DoesNotContain(users.EnumerateArray(), u => u.GetProperty("username").GetString() == user);
    }

    [Fact]
    public async Task A_bodyless_cookie_authenticated_logout_from_a_foreign_origin_is_refused_and_the_session_lives_on()
    {
        using var admin = factory.CreateAdminClient();

        using var response = await admin.SendAsync(Post("/api/auth/logout", body: null, origin: Foreign));
        using var after = await admin.GetAsync("/api/users");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task A_cookie_authenticated_post_marked_same_site_by_the_browser_is_refused()
    {
        using var admin = factory.CreateAdminClient();
        var request = Post("/api/tokens", new { name = "sibling", expiresInDays = 1 }, origin: "https://sibling.localhost");
        request.Headers.Add("Sec-Fetch-Site", "same-site");

        using var response = await admin.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Theory]
    [InlineData("http://localhost", null)]
    [InlineData(null, "same-origin")]
    [InlineData("http://localhost", "same-origin")]
    public async Task A_cookie_authenticated_post_from_the_apps_own_origin_passes(string? origin, string? fetchSite)
    {
        using var admin = factory.CreateAdminClient();
        var user = $"own{Guid.NewGuid():N}"[..14];
        var request = Post("/api/users", new { username = user, password = "own-user-password" }, origin);
        if (fetchSite is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", fetchSite);
        }

        using var response = await admin.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task A_token_authenticated_post_with_a_foreign_origin_passes()
    {
        using var admin = factory.CreateAdminClient();
        using var created = await admin.PostAsJsonAsync("/api/tokens", new { name = "csrf", expiresInDays = 1 });
        var token = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var request = Post("/api/users", new { username = $"tok{Guid.NewGuid():N}"[..14], password = "token-user-password" }, origin: Foreign);
        request.Headers.Add("Sec-Fetch-Site", "cross-site");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task The_hub_refuses_a_cookie_authenticated_negotiate_from_a_foreign_origin_and_accepts_its_own()
    {
        using var admin = factory.CreateAdminClient();

        using var foreign = await admin.SendAsync(Post("/hubs/cluster/negotiate?negotiateVersion=1", body: null, origin: Foreign));
        using var own = await admin.SendAsync(Post("/hubs/cluster/negotiate?negotiateVersion=1", body: null, origin: "http://localhost"));

        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task A_cookie_authenticated_hub_connect_from_a_foreign_origin_is_refused_before_it_reaches_the_hub()
    {
        using var admin = factory.CreateAdminClient();
        var connect = new HttpRequestMessage(HttpMethod.Get, "/hubs/cluster?id=any");
        connect.Headers.Add("Origin", Foreign);
        connect.Headers.Add("Sec-Fetch-Site", "cross-site");

        using var response = await admin.SendAsync(connect);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task A_request_the_user_typed_or_bookmarked_passes()
    {
        using var admin = factory.CreateAdminClient();
        var request = Post("/api/tokens", new { name = "typed", expiresInDays = 1 }, origin: null);
        request.Headers.Add("Sec-Fetch-Site", "none");

        using var response = await admin.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Signing_in_from_a_foreign_origin_is_refused()
    {
        using var client = factory.CreateClient();

        using var response = await client.SendAsync(Post("/api/auth/login",
            new { username = ControlPlaneAppFactory.BootstrapAdmin, password = ControlPlaneAppFactory.BootstrapPassword }, origin: Foreign));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : []);
    }

    [Fact]
    public async Task The_refusal_is_audited()
    {
        using var admin = factory.CreateAdminClient();

        using var _ = await admin.SendAsync(Post("/api/auth/logout", body: null, origin: Foreign));

        var audit = await admin.GetFromJsonAsync<JsonElement>("/api/audit?action=POST%20%2Fapi%2Fauth%2Flogout");
        Assert.Contains(audit.EnumerateArray(), a => a.GetProperty("result").GetString() == "denied"
            && a.GetProperty("detail").GetString()!.Contains(Foreign, StringComparison.Ordinal));
    }

    private static HttpRequestMessage Post(string path, object? body, string? origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        return request;
    }
}
