namespace ControlPlane.Data.Identity;

/// <summary>The <c>ControlPlane:Bootstrap</c> section: the first admin, created when no account exists.</summary>
public sealed class BootstrapOptions
{
    public const string SectionName = "ControlPlane:Bootstrap";

    public string AdminUser { get; set; } = "admin";

    /// <summary>Empty: a password is generated and printed once on the console (never logged).</summary>
    public string? AdminPassword { get; set; }
}
