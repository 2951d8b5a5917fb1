using ControlPlane.Core.Changes;
using ControlPlane.Core.Identity;
using ControlPlane.Web.Authorization;
using Microsoft.AspNetCore.Components;

namespace ControlPlane.Web.Components;

/// <summary>
/// Base of the account and administration pages: they act only through <see cref="IdentityCommands"/>,
/// which checks, validates, acts and audits, so a page cannot skip a step by accident.
/// </summary>
public abstract class IdentityComponent : CallerComponent
{
    /// <summary>What a page says when the service refused to show it (the refusal is audited already).</summary>
    public const string ForbiddenText = "You need Admin on all clusters to see this page.";

    [Inject] protected IdentityCommands Commands { get; set; } = default!;

    [Inject] private AccessControl Access { get; set; } = default!;

    /// <summary>The signed-in user as the commands' caller, with the browser's address for the audit log.</summary>
    protected async Task<ChangeCaller> CallerAsync() => await Access.CallerAsync(await UserAsync(), ClientAddress);
}
