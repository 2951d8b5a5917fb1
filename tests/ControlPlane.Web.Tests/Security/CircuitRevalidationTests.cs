using System.Security.Claims;
using ControlPlane.Core.Identity;
using ControlPlane.Web.Authentication;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Web.Tests.Security;

/// <summary>An open page (a Blazor circuit) loses its sign-in within seconds of the sign-in being revoked.</summary>
public sealed class CircuitRevalidationTests(SessionsAppFactory factory) : IClassFixture<SessionsAppFactory>
{
    [Fact]
    public async Task An_open_page_becomes_anonymous_after_its_user_signs_out_everywhere()
    {
        var accounts = factory.Services.GetRequiredService<IAccountStore>();
        var account = await accounts.CreateAsync($"c{Guid.NewGuid():N}"[..16], "a circuit's password");
        var stamp = await accounts.SecurityStampAsync(account.Id);
        await using var circuit = factory.Services.CreateAsyncScope();
        var state = circuit.ServiceProvider.GetRequiredService<AuthenticationStateProvider>();
        Assert.IsType<CircuitSessionRevalidation>(state);
        var signedOut = new TaskCompletionSource<ClaimsPrincipal>(TaskCreationOptions.RunContinuationsAsynchronously);
        // As the host does when the circuit starts from the browser's cookie.
        ((IHostEnvironmentAuthenticationStateProvider)state).SetAuthenticationState(Task.FromResult(new AuthenticationState(new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, account.UserName), new Claim(ClaimTypes.NameIdentifier, account.Id.ToString()), new Claim(ControlPlaneClaims.SecurityStamp, stamp!)],
            "Cookies")))));
        state.AuthenticationStateChanged += async task => signedOut.TrySetResult((await task).User);

        Assert.True(await accounts.RenewSecurityStampAsync(account.Id));

        var user = await signedOut.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(user.Identity?.IsAuthenticated);
    }
}
