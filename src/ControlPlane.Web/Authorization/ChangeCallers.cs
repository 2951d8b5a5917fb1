using System.Security.Claims;
using ControlPlane.Core.Changes;
using ControlPlane.Web.Authentication;

namespace ControlPlane.Web.Authorization;

/// <summary>Who is asking for a change, as the application commands, the executor and the operation runner need it.</summary>
public static class ChangeCallers
{
    public static async Task<ChangeCaller> CallerAsync(this IGrantSource access, ClaimsPrincipal user, string? clientAddress, CancellationToken ct = default) =>
        new(user.Actor(), await access.GrantsOfAsync(user, ct), clientAddress);

    /// <summary>The caller of an API request: its user, that user's grants and the client's address.</summary>
    public static Task<ChangeCaller> ChangeCallerAsync(this HttpContext http) =>
        http.RequestServices.GetRequiredService<IGrantSource>().CallerAsync(http.User, http.ClientAddress(), http.RequestAborted);
}
