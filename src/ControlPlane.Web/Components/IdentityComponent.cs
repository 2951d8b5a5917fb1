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
    /// The browser's address. An interactive component runs on a circuit, not on an HTTP request, so the
    /// address of the request that started the circuit is handed down from App.razor (see Routes.razor).
    /// </summary>
    [CascadingParameter(Name = "ClientAddress")] protected string? ClientAddress { get; set; }

    /// <summary>The signed-in user as the service's caller, with the browser's address for the audit log.</summary>
    protected async Task<IdentityAdministration.Caller> CallerAsync() =>
        new(AuthenticationState is null ? new ClaimsPrincipal(new ClaimsIdentity()) : (await AuthenticationState).User, ClientAddress);
}
