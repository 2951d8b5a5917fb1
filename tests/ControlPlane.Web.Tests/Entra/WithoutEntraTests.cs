using System.Net;
using System.Net.Http.Headers;
using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.Web.Tests.Entra;

/// <summary>A ControlPlane without an <c>AzureAd</c> section: no Microsoft sign-in, and a JWT is nobody.</summary>
public sealed class WithoutEntraTests(SwarmAppFactory factory) : IClassFixture<SwarmAppFactory>
{
    [Fact]
    public async Task A_well_signed_Entra_token_is_refused_with_401_when_AzureAd_is_not_configured()
    {
        await using var authority = await TestAuthority.StartAsync();
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            authority.CreateToken(new TestAuthority.TokenRequest { Roles = ["Admin"] }));

        using var response = await client.GetAsync("/api/clusters");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, authority.DiscoveryRequests);
    }

    [Fact]
    public async Task The_sign_in_page_does_not_offer_Sign_in_with_Microsoft_when_AzureAd_is_not_configured()
    {
        using var client = factory.CreateClient();

        var page = await client.GetStringAsync("/account/login");

        Assert.Contains("Sign in", page);
        Assert.DoesNotContain("Sign in with Microsoft", page);
        Assert.DoesNotContain("account/login/entra", page);
    }
}
