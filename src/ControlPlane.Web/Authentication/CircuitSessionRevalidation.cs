using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.Extensions.Options;

namespace ControlPlane.Web.Authentication;

/// <summary>
/// The authentication state of an open page (a Blazor circuit), checked again every
/// <see cref="SessionCheckOptions.RevalidationInterval"/>: a circuit outlives the request that opened it, so without this
/// a revoked session would keep its page working for as long as the tab stayed open. When the check fails the page
/// becomes anonymous and the router sends it to the sign-in page.
/// </summary>
public sealed class CircuitSessionRevalidation(ILoggerFactory loggers, SessionValidator sessions, IOptions<SessionCheckOptions> options)
    : RevalidatingServerAuthenticationStateProvider(loggers)
{
    protected override TimeSpan RevalidationInterval => options.Value.RevalidationInterval;

    protected override Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken) =>
        sessions.IsCurrentAsync(authenticationState.User, cancellationToken);
}
