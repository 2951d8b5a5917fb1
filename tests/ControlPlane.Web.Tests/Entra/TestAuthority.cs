using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ControlPlane.Web.Tests.Entra;

/// <summary>
/// A stand-in for Microsoft Entra ID on 127.0.0.1 with a random port: it serves a tenant's v2.0 discovery
/// document and its signing keys, and signs tokens with a test RSA key. No internet is involved.
/// </summary>
public sealed class TestAuthority : IAsyncDisposable
{
    public const string KeyId = "controlplane-test-key";

    private readonly WebApplication _app;
    private readonly RsaSecurityKey _signingKey = new(RSA.Create(2048)) { KeyId = KeyId };
    private int _discoveryRequests;

    private TestAuthority()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        MapEndpoints();
    }

    /// <summary>The tenant the app is configured for.</summary>
    public string TenantId { get; } = Guid.NewGuid().ToString();

    /// <summary>The app registration's client id.</summary>
    public string ClientId { get; } = Guid.NewGuid().ToString();

    /// <summary>What the app's <c>AzureAd:Instance</c> is set to: <c>http://127.0.0.1:&lt;port&gt;/</c>.</summary>
    public string Instance { get; private set; } = "";

    public string IssuerOf(string tenantId) => $"{Instance}{tenantId}/v2.0";

    public string Issuer => IssuerOf(TenantId);

    /// <summary>
    /// The issuer the discovery document and keys state: for <c>common</c> and <c>organizations</c>, Entra's template
    /// <c>…/{tenantid}/v2.0</c> (each token carries its own tenant's issuer), else the tenant's.
    /// </summary>
    private string MetadataIssuerOf(string tenant) =>
        tenant is "common" or "organizations" ? IssuerOf("{tenantid}") : IssuerOf(tenant);

    public string AuthorizationEndpoint => $"{Instance}{TenantId}/oauth2/v2.0/authorize";

    /// <summary>How many times the discovery document was read (proof that the app asked this authority).</summary>
    public int DiscoveryRequests => _discoveryRequests;

    /// <summary>Starts listening on a free port of 127.0.0.1.</summary>
    public static async Task<TestAuthority> StartAsync()
    {
        var authority = new TestAuthority();
        await authority._app.StartAsync();
        var address = authority._app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        authority.Instance = $"http://127.0.0.1:{new Uri(address).Port}/";
        return authority;
    }

    private void MapEndpoints()
    {
        _app.MapGet("/{tenant}/v2.0/.well-known/openid-configuration", (string tenant) =>
        {
            Interlocked.Increment(ref _discoveryRequests);
            var baseUrl = $"{Instance}{tenant}";
            return Results.Json(new Dictionary<string, object>
            {
                ["issuer"] = MetadataIssuerOf(tenant),
                ["authorization_endpoint"] = $"{baseUrl}/oauth2/v2.0/authorize",
                ["token_endpoint"] = $"{baseUrl}/oauth2/v2.0/token",
                ["end_session_endpoint"] = $"{baseUrl}/oauth2/v2.0/logout",
                ["jwks_uri"] = $"{Instance}{tenant}/discovery/v2.0/keys",
                ["response_types_supported"] = new[] { "code", "id_token", "code id_token", "id_token token" },
                ["response_modes_supported"] = new[] { "query", "fragment", "form_post" },
                ["subject_types_supported"] = new[] { "pairwise" },
                ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
                ["scopes_supported"] = new[] { "openid", "profile", "email", "offline_access" },
                ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_post", "private_key_jwt", "client_secret_basic" },
                ["claims_supported"] = new[] { "sub", "iss", "aud", "exp", "iat", "nbf", "name", "preferred_username", "oid", "tid", "ver", "roles", "groups" },
                ["tenant_region_scope"] = "EU",
                ["cloud_instance_name"] = "microsoftonline.com",
            });
        });
        _app.MapGet("/{tenant}/discovery/v2.0/keys", (string tenant) =>
        {
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_signingKey.Rsa.ExportParameters(false)) { KeyId = KeyId });
            return Results.Json(new
            {
                keys = new[]
                {
                    new { kty = jwk.Kty, use = "sig", kid = jwk.Kid, n = jwk.N, e = jwk.E, issuer = MetadataIssuerOf(tenant) },
                },
            });
        });
    }

    /// <summary>What goes into a token; the defaults make a valid access token for the app from its tenant.</summary>
    public sealed record TokenRequest
    {
        public string UserName { get; init; } = "alice@contoso.example";

        public string ObjectId { get; init; } = Guid.NewGuid().ToString();

        public IReadOnlyList<string> Roles { get; init; } = [];

        public IReadOnlyList<string> Groups { get; init; } = [];

        /// <summary>Delegated scopes (<c>scp</c>), as a user's token for the API carries them; null leaves the claim out.</summary>
        public string? Scopes { get; init; } = "access_as_user";

        /// <summary>Null means the app's client id.</summary>
        public string? Audience { get; init; }

        /// <summary>Null means the configured tenant.</summary>
        public string? TenantId { get; init; }

        public DateTimeOffset? IssuedAt { get; init; }

        public TimeSpan Lifetime { get; init; } = TimeSpan.FromHours(1);

        /// <summary>Null means this authority's key.</summary>
        public SecurityKey? SigningKey { get; init; }
    }

    public string CreateToken(TokenRequest request)
    {
        var tenant = request.TenantId ?? TenantId;
        var issuedAt = (request.IssuedAt ?? DateTimeOffset.UtcNow).UtcDateTime;
        var claims = new Dictionary<string, object>
        {
            ["tid"] = tenant,
            ["oid"] = request.ObjectId,
            ["sub"] = request.ObjectId,
            ["preferred_username"] = request.UserName,
            ["name"] = request.UserName,
            ["ver"] = "2.0",
            ["azp"] = Guid.NewGuid().ToString(),
        };
        if (request.Roles.Count > 0)
        {
            claims["roles"] = request.Roles.ToArray();
        }
        if (request.Groups.Count > 0)
        {
            claims["groups"] = request.Groups.ToArray();
        }
        if (request.Scopes is not null)
        {
            claims["scp"] = request.Scopes;
        }
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = IssuerOf(tenant),
            Audience = request.Audience ?? ClientId,
            Claims = claims,
            IssuedAt = issuedAt,
            NotBefore = issuedAt,
            Expires = issuedAt + request.Lifetime,
            SigningCredentials = new SigningCredentials(request.SigningKey ?? _signingKey, SecurityAlgorithms.RsaSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>A key this authority does not publish.</summary>
    public static SecurityKey ForeignKey() => new RsaSecurityKey(RSA.Create(2048)) { KeyId = KeyId };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _signingKey.Rsa.Dispose();
    }
}
