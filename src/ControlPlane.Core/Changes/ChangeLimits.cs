namespace ControlPlane.Core.Changes;

/// <summary>
/// Bounds on what one change may ask of a cluster (<c>ControlPlane:Limits</c>), so that a caller allowed to change a
/// service cannot swamp the managers with it.
/// </summary>
public sealed class ChangeLimits
{
    public const string SectionName = "ControlPlane:Limits";

    /// <summary>The most replicas a scale may ask for.</summary>
    public long MaxReplicas { get; set; } = 1000;
}
