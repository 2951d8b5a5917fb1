using System.Net;
using System.Text.RegularExpressions;
using ControlPlane.Web.Authentication;
using ControlPlane.Web.Tests.Entra;
using ControlPlane.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ControlPlane.Web.Tests.Security;

/// <summary>Open redirects (issue 11, item 7): whatever returnUrl a link carries, signing in ends on this site.</summary>
public sealed partial class ReturnUrlTests(EntraAppFixture fixture) : IClassFixture<EntraAppFixture>
{
    /// <summary>The forms browsers turn into another host: //, a tab or newline they drop, a backslash, a scheme, encoded slashes.</summary>
    public static TheoryData<string> HostileReturnUrls => new()
    {
        "//evil.com",
        "/\t/evil.com",
        "/\n/evil.com",
        "/\\evil.com",
        "https://evil.com",
        "/%2F%2Fevil.com",
        "/%2F/evil.com",
        "/%5Cevil.com",
        "/%09/evil.com",
        "/%252F%252Fevil.com",
        " /evil.com",
    };

    [Theory]
    [MemberData(nameof(HostileReturnUrls))]
    public async Task Signing_in_with_the_form_and_a_hostile_returnUrl_ends_on_the_home_page(string returnUrl)
    {
        using var client = fixture.App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var token = await AntiforgeryTokenAsync(client);

        using var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["username"] = ControlPlaneAppFactory.BootstrapAdmin,
            ["password"] = ControlPlaneAppFactory.BootstrapPassword,
            ["returnUrl"] = returnUrl,
        }));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
    }

    [Theory]
    [MemberData(nameof(HostileReturnUrls))]
    public async Task Signing_in_with_Microsoft_and_a_hostile_returnUrl_comes_back_to_the_home_page(string returnUrl)
    {
        using var client = fixture.App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        using var response = await client.GetAsync($"/account/login/entra?returnUrl={Uri.EscapeDataString(returnUrl)}");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", RedirectAfterEntraSignIn(response));
    }

    [Fact]
    public async Task A_local_returnUrl_is_kept_by_both_sign_ins()
    {
        using var client = fixture.App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var entra = await client.GetAsync("/account/login/entra?returnUrl=%2Fservices%3Fq%3Da");
        var token = await AntiforgeryTokenAsync(client);
        using var form = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["username"] = ControlPlaneAppFactory.BootstrapAdmin,
            ["password"] = ControlPlaneAppFactory.BootstrapPassword,
            ["returnUrl"] = "/services?q=a",
        }));

        Assert.Equal("/services?q=a", RedirectAfterEntraSignIn(entra));
        Assert.Equal("/services?q=a", form.Headers.Location?.OriginalString);
    }

    [Theory]
    [MemberData(nameof(HostileReturnUrls))]
    public async Task The_sign_in_page_never_carries_a_hostile_returnUrl_into_its_form_or_its_Microsoft_link(string returnUrl)
    {
        using var client = fixture.App.CreateClient();

        var page = await client.GetStringAsync($"/account/login?returnUrl={Uri.EscapeDataString(returnUrl)}");

        Assert.Contains("name=\"returnUrl\" value=\"/\"", page);
        Assert.Contains("account/login/entra?returnUrl=%2F\"", page);
    }

    /// <summary>Where the app will send the browser once Entra answers: the RedirectUri sealed into the OpenID Connect state.</summary>
    private string? RedirectAfterEntraSignIn(HttpResponseMessage challenge)
    {
        var location = Assert.IsType<Uri>(challenge.Headers.Location);
        var state = QueryHelpers.ParseQuery(location.Query)["state"].ToString();
        var options = fixture.App.Services.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(AuthenticationSetup.EntraScheme);
        return Assert.IsType<Microsoft.AspNetCore.Authentication.AuthenticationProperties>(options.StateDataFormat.Unprotect(state)).RedirectUri;
    }

    private static async Task<string> AntiforgeryTokenAsync(HttpClient client)
    {
        var page = await client.GetStringAsync("/account/login");
        return AntiforgeryField().Match(page).Groups[1].Value;
    }

    [GeneratedRegex("__RequestVerificationToken\"[^>]*?value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
