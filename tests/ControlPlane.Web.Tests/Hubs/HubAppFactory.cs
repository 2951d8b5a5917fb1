using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.Web.Tests.Hubs;

/// <summary>
/// ControlPlane watching the local swarm as <see cref="SwarmAppFactory.ClusterId"/>, with a known admin
/// password so hub clients sign in as automation does: sign in once, create an API token, send it as a
/// bearer token.
/// </summary>
public class HubAppFactory() : ControlPlaneAppFactory(new Dictionary<string, string?>
{
    ["ControlPlane:Clusters:0:Name"] = SwarmAppFactory.ClusterId,
    ["ControlPlane:Clusters:0:Endpoints:0"] = SwarmEnvironment.DockerHost,
    ["ControlPlane:Bootstrap:AdminUser"] = AdminUser,
    ["ControlPlane:Bootstrap:AdminPassword"] = AdminPassword,
})
{
    public const string AdminUser = "admin";
    public const string AdminPassword = "hub-tests-admin-password";

    private readonly SemaphoreSlim _tokenLock = new(1, 1);
    private string? _token;

    /// <summary>An API token of the admin, created through the public API on first use.</summary>
    public async Task<string> ApiTokenAsync()
    {
        await _tokenLock.WaitAsync();
        try
        {
            if (_token is null)
            {
                using var client = CreateClient();
                using var login = await client.PostAsJsonAsync("/api/auth/login", new { username = AdminUser, password = AdminPassword });
                login.EnsureSuccessStatusCode();
                using var created = await client.PostAsJsonAsync("/api/tokens", new { name = $"hub-tests-{Guid.NewGuid():N}", expiresInDays = 1 });
                created.EnsureSuccessStatusCode();
                var body = await created.Content.ReadFromJsonAsync<JsonElement>();
                _token = body.GetProperty("token").GetString() ?? throw new InvalidOperationException($"POST /api/tokens answered without a token: {body}");
            }
            return _token;
        }
        finally
        {
            _tokenLock.Release();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _tokenLock.Dispose();
        GC.SuppressFinalize(this);
    }
}
