namespace ControlPlane.Web.Authorization;

/// <summary>Where a request comes from, as checks and audit records name it.</summary>
public static class ClientAddresses
{
    public static string? ClientAddress(this HttpContext http) => http.Connection.RemoteIpAddress?.ToString();
}
