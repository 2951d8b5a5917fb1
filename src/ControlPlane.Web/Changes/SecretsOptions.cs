using ControlPlane.Core.Secrets;

namespace ControlPlane.Web.Changes;

/// <summary>Settings of secret families (<c>ControlPlane:Secrets</c>).</summary>
public sealed class SecretsOptions
{
    public const string SectionName = "ControlPlane:Secrets";

    /// <summary>A secret whose newest version is older than this many days shows as stale on the overview.</summary>
    public int StaleAfterDays { get; set; } = StaleSecrets.DefaultStaleAfterDays;
}
