using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;

namespace ControlPlane.Core.Images;

/// <summary>
/// Update settings as a request gives them: every one optional, so what is left out keeps the service's own
/// value (<see cref="Apply"/>). Times are in seconds.
/// </summary>
public sealed record UpdateSettings(
    long? Parallelism = null,
    double? DelaySeconds = null,
    string? FailureAction = null,
    double? MonitorSeconds = null,
    double? MaxFailureRatio = null,
    string? Order = null)
{
    public static readonly IReadOnlyList<string> FailureActions = ["pause", "continue", "rollback"];

    public static readonly IReadOnlyList<string> Orders = ["stop-first", "start-first"];

    /// <summary>The service's policy with these settings applied; refuses (<see cref="ChangeFailure.Invalid"/>) a value Docker would not take.</summary>
    public UpdatePolicy Apply(UpdatePolicy current)
    {
        if (Parallelism is < 0)
        {
            throw Invalid("parallelism must be 0 (all tasks at once) or more.");
        }
        if (DelaySeconds is < 0 or > 86400 || DelaySeconds is double.NaN)
        {
            throw Invalid("delaySeconds must be between 0 and 86400.");
        }
        if (MonitorSeconds is < 0 or > 86400 || MonitorSeconds is double.NaN)
        {
            throw Invalid("monitorSeconds must be between 0 and 86400.");
        }
        if (MaxFailureRatio is < 0 or > 1 || MaxFailureRatio is double.NaN)
        {
            throw Invalid("maxFailureRatio must be between 0 and 1.");
        }
        var failureAction = FailureAction?.Trim().ToLowerInvariant();
        if (failureAction is not null && !FailureActions.Contains(failureAction))
        {
            throw Invalid($"failureAction '{FailureAction}' is not one of {string.Join(", ", FailureActions)}.");
        }
        var order = Order?.Trim().ToLowerInvariant();
        if (order is not null && !Orders.Contains(order))
        {
            throw Invalid($"order '{Order}' is not one of {string.Join(", ", Orders)}.");
        }
        return new UpdatePolicy(
            Parallelism ?? current.Parallelism,
            DelaySeconds is { } delay ? TimeSpan.FromSeconds(delay) : current.Delay,
            failureAction ?? current.FailureAction,
            MonitorSeconds is { } monitor ? TimeSpan.FromSeconds(monitor) : current.Monitor,
            MaxFailureRatio ?? current.MaxFailureRatio,
            order ?? current.Order);
    }

    /// <summary>A policy as the settings a request would give, for an operation's parameters and the UI's prefill.</summary>
    public static UpdateSettings Of(UpdatePolicy policy) => new(
        policy.Parallelism, policy.Delay.TotalSeconds, policy.FailureAction, policy.Monitor.TotalSeconds, policy.MaxFailureRatio, policy.Order);

    private static ChangeRejectedException Invalid(string message) => new(ChangeFailure.Invalid, message);
}
