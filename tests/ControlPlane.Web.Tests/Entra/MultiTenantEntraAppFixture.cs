using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.Web.Tests.Entra;

/// <summary>
/// A <see cref="TestAuthority"/> and a ControlPlane configured as a multi-tenant Entra app (<c>AzureAd:TenantId</c>
/// <c>organizations</c>, which accepts any tenant's issuer) that allows only the authority's own tenant. Its one cluster
/// is unreachable: these tests need no swarm.
/// </summary>
public sealed class MultiTenantEntraAppFixture : IAsyncLifetime
{
    private TestAuthority? _authority;
    private ControlPlaneAppFactory? _app;

    public TestAuthority Authority => _authority ?? throw new InvalidOperationException("The fixture is not started.");

    public ControlPlaneAppFactory App => _app ?? throw new InvalidOperationException("The fixture is not started.");

    public async Task InitializeAsync()
    {
        _authority = await TestAuthority.StartAsync();
        _app = new ControlPlaneAppFactory(new Dictionary<string, string?>
        {
            ["ControlPlane:Clusters:0:Name"] = UnreachableAppFactory.ClusterId,
            ["ControlPlane:Clusters:0:Endpoints:0"] = UnreachableAppFactory.Endpoint,
            ["AzureAd:Instance"] = _authority.Instance,
            ["AzureAd:TenantId"] = "organizations",
            ["AzureAd:ClientId"] = _authority.ClientId,
            // As Entra's own metadata for organizations states it: any tenant's issuer, checked against the token's tid.
            ["AzureAd:TokenValidationParameters:ValidIssuers:0"] = _authority.IssuerOf("{tenantid}"),
            ["AzureAd:AllowedTenants:0"] = _authority.TenantId,
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
