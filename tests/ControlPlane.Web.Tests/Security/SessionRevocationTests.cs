using System.Net;
using System.Net.Http.Json;
using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.Web.Tests.Security;

/// <summary>ControlPlane with no reachable cluster, re-reading security stamps after at most a second.</summary>
public sealed class SessionsAppFactory() : ControlPlaneAppFactory(new Dictionary<string, string?>
{
    ["ControlPlane:Clusters:0:Name"] = UnreachableAppFactory.ClusterId,
    ["ControlPlane:Clusters:0:Endpoints:0"] = UnreachableAppFactory.Endpoint,
    ["ControlPlane:Sessions:StampCacheDuration"] = "00:00:01",
    ["ControlPlane:Sessions:RevalidationInterval"] = "00:00:01",
});

/// <summary>Revoking access ends what is already open: other browsers' cookies stop working within seconds.</summary>
public sealed class SessionRevocationTests(SessionsAppFactory factory) : IClassFixture<SessionsAppFactory>
{
    /// <summary>Well inside the 30 seconds the issue allows; the test host re-reads stamps every second.</summary>
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private async Task<string> NewUserAsync(string password)
    {
        var name = $"s{Guid.NewGuid():N}"[..16];
        using var admin = factory.CreateAdminClient();
        (await admin.PostAsJsonAsync("/api/users", new { username = name, password, role = "Viewer" })).EnsureSuccessStatusCode();
        return name;
    }

    [Fact]
    public async Task A_password_change_in_one_session_ends_the_others_and_the_new_password_signs_in()
    {
        var name = await NewUserAsync("first long password");
        using var a = await factory.CreateSignedInClientAsync(name, "first long password");
        using var b = await factory.CreateSignedInClientAsync(name, "first long password");
        Assert.Equal(HttpStatusCode.OK, (await b.GetAsync("/api/tokens")).StatusCode);

        (await a.PostAsJsonAsync("/api/account/password", new { currentPassword = "first long password", newPassword = "second long password" })).EnsureSuccessStatusCode();

        await b.GetUntilAsync("/api/tokens", (status, _) => status == HttpStatusCode.Unauthorized, Within);
        using var again = await factory.CreateSignedInClientAsync(name, "second long password");
        Assert.Equal(HttpStatusCode.OK, (await again.GetAsync("/api/tokens")).StatusCode);
    }

    [Fact]
    public async Task Signing_out_everywhere_ends_every_session_of_the_user_and_no_one_elses()
    {
        var name = await NewUserAsync("a long password here");
        var other = await NewUserAsync("a long password here");
        using var a = await factory.CreateSignedInClientAsync(name, "a long password here");
        using var b = await factory.CreateSignedInClientAsync(name, "a long password here");
        using var bystander = await factory.CreateSignedInClientAsync(other, "a long password here");

        using var response = await a.PostAsync("/api/account/signout-everywhere", null);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);

        await b.GetUntilAsync("/api/tokens", (status, _) => status == HttpStatusCode.Unauthorized, Within);
        await a.GetUntilAsync("/api/tokens", (status, _) => status == HttpStatusCode.Unauthorized, Within);
        Assert.Equal(HttpStatusCode.OK, (await bystander.GetAsync("/api/tokens")).StatusCode);
        using var admin = factory.CreateAdminClient();
        var audit = await admin.GetStringAsync("/api/audit?action=account.signout-everywhere");
        Assert.Contains(name, audit);
    }
}
