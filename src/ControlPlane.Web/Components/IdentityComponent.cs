using System.Security.Claims;
using ControlPlane.Web.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace ControlPlane.Web.Components;

/// <summary>
/// Base of the account and administration pages: they act only through <see cref="IdentityAdministration"/>,
/// which checks, validates, acts and audits, so a page cannot skip a step by accident.
/// </summary>
public abstract class IdentityComponent : ComponentBase
{
    /// <summary>What a page says when the service refused to show it (the refusal is audited already).</summary>
    public const string ForbiddenText = "You need Admin on all clusters to see this page.";

    [Inject] protected IdentityAdministration Administration { get; set; } = default!;

    [CascadingParameter] private Task<AuthenticationState>? AuthenticationState { get; set; }

    /// <summary>
    /// The signed-in user as the service's caller. The client address is left out: an interactive
    /// component runs on a circuit, not on an HTTP request, and IHttpContextAccessor is not reliable
    /// there. Page actions are audited without an address; API calls carry theirs.
    /// </summary>
    protected async Task<IdentityAdministration.Caller> CallerAsync() =>
        new(AuthenticationState is null ? new ClaimsPrincipal(new ClaimsIdentity()) : (await AuthenticationState).User, null);
}
