using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.Web.Tests.Entra;

/// <summary>
/// A <see cref="TestAuthority"/> and a ControlPlane host watching the local swarm whose <c>AzureAd</c> section
/// points at it: <c>Instance=http://127.0.0.1:&lt;port&gt;/</c>, the authority's tenant and client ids.
/// </summary>
public sealed class EntraAppFixture : IAsyncLifetime
{
    public const string ClusterId = SwarmAppFactory.ClusterId;

    private TestAuthority? _authority;
    private ControlPlaneAppFactory? _app;

    public TestAuthority Authority => _authority ?? throw new InvalidOperationException("The fixture is not started.");

    public ControlPlaneAppFactory App => _app ?? throw new InvalidOperationException("The fixture is not started.");

    public async Task InitializeAsync()
    {
        _authority = await TestAuthority.StartAsync();
        _app = new ControlPlaneAppFactory(new Dictionary<string, string?>
        {
            ["ControlPlane:Clusters:0:Name"] = ClusterId,
            ["ControlPlane:Clusters:0:Endpoints:0"] = SwarmEnvironment.DockerHost,
            ["AzureAd:Instance"] = _authority.Instance,
            ["AzureAd:TenantId"] = _authority.TenantId,
            ["AzureAd:ClientId"] = _authority.ClientId,
            // Microsoft.Identity.Web's AAD issuer validator reads the issuer from the metadata with its own
            // retriever, which insists on https; a valid issuer given here is checked (with the tid claim) first.
            ["AzureAd:TokenValidationParameters:ValidIssuers:0"] = _authority.Issuer,
        });
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
        if (_authority is not null)
        {
            await _authority.DisposeAsync();
        }
    }
}
