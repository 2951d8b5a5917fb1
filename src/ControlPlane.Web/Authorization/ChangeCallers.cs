using ControlPlane.Core.Changes;

namespace ControlPlane.Web.Authorization;

/// <summary>Who is asking for a change, as the application commands and the gate need it.</summary>
public static class ChangeCallers
{
    /// <summary>The caller of an API request: its user, that user's grants and the client's address.</summary>
    public static Task<ChangeCaller> ChangeCallerAsync(this HttpContext http) =>
        http.RequestServices.GetRequiredService<AccessControl>().CallerAsync(http.User, http.ClientAddress(), http.RequestAborted);
}
