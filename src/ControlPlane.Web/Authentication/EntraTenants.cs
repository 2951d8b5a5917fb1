using System.Security.Claims;
using ControlPlane.Web.Authorization;

namespace ControlPlane.Web.Authentication;

/// <summary>
/// The Entra tenants whose users and tokens ControlPlane accepts. An authority of <c>common</c> or <c>organizations</c>
/// lets Entra sign in anyone from any tenant, app roles included (another tenant's administrator can give their own
/// users an app role named Admin), so every token and sign-in is checked against this list by its <c>tid</c> claim.
/// </summary>
public sealed class EntraTenants
{
    public const string AllowedTenantsSetting = "AzureAd:AllowedTenants";
    public const string ControlPlaneAllowedTenantsSetting = "ControlPlane:Entra:AllowedTenants";

    /// <summary>The audit action of a refused token or sign-in.</summary>
    public const string RefusalAction = "entra.sign-in";

    public const string Refusal = "The token's tenant is not one this ControlPlane accepts.";

    private readonly HashSet<Guid> _allowed;

    public EntraTenants(IEnumerable<Guid> allowed) => _allowed = [.. allowed];

    public IReadOnlyCollection<Guid> Allowed => _allowed;

    /// <summary>
    /// The list from <c>AzureAd:AllowedTenants</c> or <c>ControlPlane:Entra:AllowedTenants</c> (an array, or ids separated by
    /// commas); without one, the tenant of <c>AzureAd:TenantId</c> when that is a tenant id. Anything else cannot be made
    /// safe and stops the start, naming the setting.
    /// </summary>
    public static EntraTenants From(IConfiguration configuration)
    {
        var listed = Listed(configuration, AllowedTenantsSetting).Concat(Listed(configuration, ControlPlaneAllowedTenantsSetting)).ToList();
        if (listed.Count > 0)
        {
            return new EntraTenants(listed.Select(id => Guid.TryParse(id, out var tenant)
                ? tenant
                : throw new InvalidOperationException($"{AllowedTenantsSetting} holds '{id}', which is not a tenant id (a GUID).")));
        }
        var configured = configuration[$"{AuthenticationSetup.AzureAdSection}:TenantId"];
        return Guid.TryParse(configured, out var single)
            ? new EntraTenants([single])
            : throw new InvalidOperationException(
                $"AzureAd:TenantId is '{configured}', which does not name one tenant by id: set {AllowedTenantsSetting} " +
                $"(or {ControlPlaneAllowedTenantsSetting}) to the tenant ids whose users may sign in.");
    }

    public bool IsAllowed(ClaimsPrincipal? principal) =>
        Guid.TryParse(principal?.EntraTenantId(), out var tenant) && _allowed.Contains(tenant);

    /// <summary>
    /// Refuses a validated token or sign-in from a tenant not on the list: the audit log records who tried from which
    /// tenant, and the caller is told that this tenant is not accepted. Null when the tenant is allowed.
    /// </summary>
    public async Task<string?> RefuseAsync(HttpContext http, ClaimsPrincipal? principal, string via)
    {
        if (IsAllowed(principal))
        {
            return null;
        }
        var tenant = principal?.EntraTenantId() ?? "none";
        var actor = principal is null ? "anonymous" : $"{principal.UserName()} (tenant {tenant})";
        await http.RequestServices.GetRequiredService<AccessControl>()
            .AuditRefusalAsync(actor, RefusalAction, $"tenant {tenant}", http.ClientAddress(), $"{via} from a tenant not allowed");
        return Refusal;
    }

    private static IEnumerable<string> Listed(IConfiguration configuration, string key)
    {
        var section = configuration.GetSection(key);
        var values = section.GetChildren().Select(c => c.Value ?? "").Append(section.Value ?? "");
        return values.SelectMany(v => v.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
