namespace ControlPlane.Core.Health;

/// <summary>Whether ControlPlane's own database answers, for readiness.</summary>
public interface IDatabaseProbe
{
    /// <summary>True when a connection can be opened now; false (never an exception) otherwise.</summary>
    Task<bool> CanConnectAsync(CancellationToken cancellationToken = default);
}
