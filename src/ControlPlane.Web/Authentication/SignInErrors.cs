namespace ControlPlane.Web.Authentication;

/// <summary>
/// The codes a failed form sign-in sends back to the sign-in page as <c>?error=</c>, and the fixed messages the
/// page shows for them. The page never shows the parameter's text: a link could otherwise put any words
/// (a fake "call this number") on ControlPlane's own sign-in page.
/// </summary>
public static class SignInErrors
{
    public const string Missing = "missing";
    public const string Invalid = "invalid";
    public const string Throttled = "throttled";
    public const string Tenant = "tenant";

    /// <summary>The message for <paramref name="code"/>; any other text gets a generic one.</summary>
    public static string MessageOf(string code) => code switch
    {
        Missing => "Enter a user name and a password.",
        // A locked account gets the same words as a wrong password, so the page tells nobody which names exist.
        Invalid => Core.Identity.PasswordSignIn.WrongCredentials,
        Throttled => "Too many sign-in attempts; wait a few minutes and try again.",
        Tenant => "Your organisation's Microsoft accounts may not sign in here.",
        _ => "Sign-in failed.",
    };
}
