using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Web.Tests.Hubs;
using ControlPlane.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;

namespace ControlPlane.Web.Tests.Security;

/// <summary>Small leaks (issue 11, item 12): what anonymous callers and stack-only users learn that they should not.</summary>
public sealed class LeakTests(SwarmAppFactory factory) : IClassFixture<SwarmAppFactory>
{
    private const string Cluster = SwarmAppFactory.ClusterId;
    private static readonly TimeSpan SyncTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_sign_in_page_shows_a_fixed_message_for_a_known_error_code_and_never_the_text_of_the_error_parameter()
    {
        using var client = factory.CreateClient();

        var forged = await client.GetStringAsync("/account/login?error=" + Uri.EscapeDataString("Your session expired. Call IT at +1 555 0100 to unlock."));
        var known = await client.GetStringAsync("/account/login?error=invalid");

        Assert.DoesNotContain("Call IT", forged);
        Assert.DoesNotContain("555 0100", forged);
        Assert.Contains("Sign-in failed.", forged);
        Assert.Contains("The user name or the password is wrong, or the account is locked", known);
    }

    [Fact]
    public async Task A_failed_form_sign_in_redirects_with_an_error_code_not_a_message()
    {
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var page = await client.GetStringAsync("/account/login");
        var token = System.Text.RegularExpressions.Regex.Match(page, "__RequestVerificationToken\"[^>]*?value=\"([^\"]+)\"").Groups[1].Value;

        using var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["username"] = $"nobody{Guid.NewGuid():N}",
            ["password"] = "wrong-password",
            ["returnUrl"] = "/",
        }));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.OriginalString;
        Assert.Contains("error=invalid&", location);
        Assert.DoesNotContain("wrong", location);
    }

    [Fact]
    public async Task A_stack_only_user_sees_the_cluster_status_but_not_its_endpoint_or_versions_while_an_admin_sees_them()
    {
        using var admin = factory.CreateAdminClient();
        await WaitUntilSyncedAsync(admin);
        using var stackUser = await CreateStackUserAsync(admin);

        var adminView = Assert.Single((await admin.GetFromJsonAsync<JsonElement>("/api/clusters")).EnumerateArray());
        var stackView = Assert.Single((await stackUser.GetFromJsonAsync<JsonElement>("/api/clusters")).EnumerateArray());

        Assert.Equal(SwarmEnvironment.DockerHost, adminView.GetProperty("endpoint").GetString());
        Assert.Equal("synced", stackView.GetProperty("status").GetString());
        Assert.Equal(Cluster, stackView.GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, stackView.GetProperty("endpoint").ValueKind);
        Assert.Equal(JsonValueKind.Null, stackView.GetProperty("engineVersion").ValueKind);
        Assert.Equal(JsonValueKind.Null, stackView.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task A_stack_only_user_watching_the_hub_gets_the_cluster_status_without_its_endpoint()
    {
        using var admin = factory.CreateAdminClient();
        await WaitUntilSyncedAsync(admin);
        using var stackUser = await CreateStackUserAsync(admin);
        using var created = await stackUser.PostAsJsonAsync("/api/tokens", new { name = "leak", expiresInDays = 1 });
        var token = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
        await using var connection = await HubWatchClient.ConnectAsync(factory, token);

        JsonElement first = default;
        await foreach (var message in connection.StreamAsync<JsonElement>("Watch", Cluster))
        {
            first = message;
            break;
        }

        var cluster = first.GetProperty("cluster");
        Assert.Equal("synced", cluster.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, cluster.GetProperty("endpoint").ValueKind);
    }

    [Fact]
    public async Task Readyz_tells_anonymous_callers_only_whether_it_is_ready_and_signed_in_users_the_details()
    {
        using var admin = factory.CreateAdminClient();
        await WaitUntilSyncedAsync(admin);
        using var anonymous = factory.CreateClient();

        using var open = await anonymous.GetAsync("/readyz");
        var openBody = await open.Content.ReadFromJsonAsync<JsonElement>();
        var signedIn = await admin.GetFromJsonAsync<JsonElement>("/readyz");

        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        Assert.True(openBody.GetProperty("ready").GetBoolean());
        Assert.False(openBody.TryGetProperty("clusters", out _));
        Assert.False(openBody.TryGetProperty("database", out _));
        Assert.Equal("reachable", signedIn.GetProperty("database").GetString());
        Assert.Equal(Cluster, Assert.Single(signedIn.GetProperty("clusters").EnumerateArray()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task The_OpenAPI_document_is_served_to_signed_in_callers_only()
    {
        using var anonymous = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var admin = factory.CreateAdminClient();

        using var refused = await anonymous.GetAsync("/openapi/v1.json");
        using var served = await admin.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Contains("/api/clusters", await served.Content.ReadAsStringAsync());
    }

    /// <summary>A new user with Viewer on one stack of the swarm only, signed in.</summary>
    private async Task<HttpClient> CreateStackUserAsync(HttpClient admin)
    {
        var user = $"stack{Guid.NewGuid():N}"[..14];
        (await admin.PostAsJsonAsync("/api/users", new { username = user, password = "stack-user-password" })).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/grants", new { subject = user, role = "Viewer", scope = new { cluster = Cluster, stack = "shop" } })).EnsureSuccessStatusCode();
        return await factory.CreateSignedInClientAsync(user, "stack-user-password");
    }

    private static Task<JsonElement> WaitUntilSyncedAsync(HttpClient admin) =>
        admin.GetUntilAsync("/api/clusters",
            (status, json) => status == HttpStatusCode.OK && json.ValueKind == JsonValueKind.Array
                && json.EnumerateArray().Any(c => c.GetProperty("status").GetString() == "synced"),
            SyncTimeout);
}
