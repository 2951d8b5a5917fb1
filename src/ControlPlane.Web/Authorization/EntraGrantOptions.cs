namespace ControlPlane.Web.Authorization;

/// <summary>
/// Whether grants naming an Entra user by <c>preferred_username</c> still apply (<c>ControlPlane:Entra:UserNameGrants</c>,
/// on by default so that existing grants keep working). That name can be changed or reused in the tenant and can equal
/// a local account's name; once such grants are given again on <c>entra:&lt;tid&gt;/&lt;oid&gt;</c>, turn this off.
/// </summary>
public sealed record EntraGrantOptions(bool UserNameGrants)
{
    public const string UserNameGrantsSetting = "ControlPlane:Entra:UserNameGrants";

    public static EntraGrantOptions From(IConfiguration configuration) => new(configuration.GetValue(UserNameGrantsSetting, true));
}
