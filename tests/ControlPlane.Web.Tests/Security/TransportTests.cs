using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Web.Tests.Security;

/// <summary>
/// ControlPlane behind a reverse proxy at <see cref="Proxy"/> and the network <see cref="ProxyNetwork"/>. The test
/// server has no sockets, so a startup filter takes each request's peer address from <see cref="PeerHeader"/>.
/// </summary>
public sealed class ProxiedAppFactory() : ControlPlaneAppFactory(new Dictionary<string, string?>
{
    ["ControlPlane:Clusters:0:Name"] = SwarmAppFactory.ClusterId,
    ["ControlPlane:Clusters:0:Endpoints:0"] = SwarmEnvironment.DockerHost,
    ["ControlPlane:ForwardedHeaders:KnownProxies:0"] = Proxy,
    ["ControlPlane:ForwardedHeaders:KnownNetworks:0"] = ProxyNetwork,
})
{
    public const string Proxy = "10.20.30.40";
    public const string ProxyNetwork = "10.77.0.0/16";
    public const string PeerHeader = "X-Test-Peer";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter, PeerFromHeader>());
    }

    private sealed class PeerFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (IPAddress.TryParse(context.Request.Headers[PeerHeader].ToString(), out var peer))
                {
                    context.Connection.RemoteIpAddress = peer;
                }
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}

/// <summary>ControlPlane as deployed: the Production environment, reached over https.</summary>
public sealed class ProductionAppFactory() : ControlPlaneAppFactory(new Dictionary<string, string?>
{
    ["ControlPlane:Clusters:0:Name"] = SwarmAppFactory.ClusterId,
    ["ControlPlane:Clusters:0:Endpoints:0"] = SwarmEnvironment.DockerHost,
})
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseEnvironment("Production");
    }
}

/// <summary>Transport (issue 11, item 11): the content security policy, forwarded client addresses, a Secure cookie and HSTS.</summary>
public sealed class TransportTests(ProxiedAppFactory proxied, ProductionAppFactory production)
    : IClassFixture<ProxiedAppFactory>, IClassFixture<ProductionAppFactory>
{
    [Fact]
    public async Task The_content_security_policy_connects_to_its_own_origin_only()
    {
        using var client = proxied.CreateClient();

        using var response = await client.GetAsync("/account/login");

        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("connect-src 'self';", policy);
        Assert.DoesNotContain("ws:", policy);
        Assert.DoesNotContain("wss:", policy);
    }

    [Theory]
    [InlineData(ProxiedAppFactory.Proxy, "203.0.113.7", "203.0.113.7")]
    [InlineData("10.77.4.5", "203.0.113.8", "203.0.113.8")]
    [InlineData("10.20.30.41", "203.0.113.9", "10.20.30.41")]
    [InlineData("198.51.100.20", "203.0.113.10", "198.51.100.20")]
    public async Task The_audit_log_names_the_forwarded_client_only_when_the_peer_is_a_trusted_proxy(string peer, string forwardedFor, string recorded)
    {
        var userName = $"fwd{Guid.NewGuid():N}"[..14];
        using var client = proxied.CreateClient();
        var login = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login") { Content = JsonContent.Create(new { username = userName, password = "not-the-password" }) };
        login.Headers.Add(ProxiedAppFactory.PeerHeader, peer);
        login.Headers.Add("X-Forwarded-For", forwardedFor);

        using var response = await client.SendAsync(login);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var admin = proxied.CreateAdminClient();
        var audit = await admin.GetFromJsonAsync<JsonElement>($"/api/audit?actor={userName}");
        var record = Assert.Single(audit.EnumerateArray());
        Assert.Equal(recorded, record.GetProperty("clientAddress").GetString());
    }

    [Fact]
    public async Task Outside_Development_the_auth_cookie_is_Secure_and_https_answers_carry_HSTS()
    {
        using var client = production.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions
        {
            BaseAddress = new Uri("https://controlplane.example"),
        });

        using var login = await client.PostAsJsonAsync("/api/auth/login",
            new { username = ControlPlaneAppFactory.BootstrapAdmin, password = ControlPlaneAppFactory.BootstrapPassword });
        using var health = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.NoContent, login.StatusCode);
        var cookie = Assert.Single(login.Headers.GetValues("Set-Cookie"), c => c.StartsWith("ControlPlane.Auth=", StringComparison.Ordinal));
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("max-age=", Assert.Single(health.Headers.GetValues("Strict-Transport-Security")));
    }

    [Fact]
    public async Task Outside_Development_the_auth_cookie_is_Secure_even_when_the_request_came_over_http()
    {
        using var client = production.CreateClient();

        using var login = await client.PostAsJsonAsync("/api/auth/login",
            new { username = ControlPlaneAppFactory.BootstrapAdmin, password = ControlPlaneAppFactory.BootstrapPassword });

        Assert.Equal(HttpStatusCode.NoContent, login.StatusCode);
        var cookie = Assert.Single(login.Headers.GetValues("Set-Cookie"), c => c.StartsWith("ControlPlane.Auth=", StringComparison.Ordinal));
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
    }
}
