using System.Security.Claims;
using ControlPlane.Core.Changes;
using ControlPlane.Web.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace ControlPlane.Web.Components;

/// <summary>Base of components that act for the signed-in user: who they are and, for the audit log, where they call from.</summary>
public abstract class CallerComponent : ComponentBase
{
    [CascadingParameter] private Task<AuthenticationState>? AuthenticationState { get; set; }

    /// <summary>
    /// The browser's address. An interactive component runs on a circuit, not on an HTTP request, so the
    /// address of the request that started the circuit is handed down from App.razor (see Routes.razor).
    /// </summary>
    [CascadingParameter(Name = "ClientAddress")] protected string? ClientAddress { get; set; }

    /// <summary>The signed-in user (anonymous where no authentication runs, as in some component tests).</summary>
    protected async Task<ClaimsPrincipal> UserAsync() =>
        AuthenticationState is null ? new ClaimsPrincipal(new ClaimsIdentity()) : (await AuthenticationState).User;

    // Resolved when asked for, so components that never change anything need no grant source.
    [Inject] private IServiceProvider Services { get; set; } = default!;

    /// <summary>The signed-in user as the application commands take them: name, grants and address.</summary>
    protected async Task<ChangeCaller> ChangeCallerAsync() =>
        await Services.GetRequiredService<Authorization.AccessControl>().CallerAsync(await UserAsync(), ClientAddress);
}
