namespace ControlPlane.Web.Authentication;

/// <summary>How soon revoking access reaches sessions already open (<c>ControlPlane:Sessions</c>).</summary>
public sealed class SessionCheckOptions
{
    public const string Section = "ControlPlane:Sessions";

    /// <summary>
    /// How long a security stamp read from the database answers for its account. Short, so a password change or a
    /// sign-out everywhere made on another instance ends sessions here within seconds too.
    /// </summary>
    public TimeSpan StampCacheDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often an open page (a Blazor circuit) and a hub stream check that their sign-in still holds.</summary>
    public TimeSpan RevalidationInterval { get; set; } = TimeSpan.FromSeconds(15);
}
