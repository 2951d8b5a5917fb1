using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ControlPlane.Core.Telemetry;

/// <summary>
/// ControlPlane's own meter and trace source, exported through OpenTelemetry (<c>/metrics</c>, OTLP). These are
/// the live process counters; the per-minute cluster readings kept for the health charts are
/// <see cref="Metrics.ClusterMetrics"/>, a different thing stored in the database.
/// Static like the framework's own meters: instruments are cheap, and every host in a process reports into them.
/// </summary>
public static class ControlPlaneTelemetry
{
    /// <summary>The name of the meter and of the activity source.</summary>
    public const string Name = "ControlPlane";

    public static readonly ActivitySource Activities = new(Name);

    public static readonly Meter Meter = new(Name);

    private static readonly Histogram<double> EngineRequestDuration = Meter.CreateHistogram<double>(
        "controlplane.engine.request.duration", "s", "Docker Engine API calls made by ControlPlane, by route (client area and call) and result.");

    private static readonly Histogram<double> OperationDuration = Meter.CreateHistogram<double>(
        "controlplane.operation.duration", "s", "Operations that ended, by kind and result (succeeded, failed, rolled-back, cancelled).");

    private static readonly Counter<long> OperationsStarted = Meter.CreateCounter<long>(
        "controlplane.operations.started", description: "Operations started, by kind.");

    private static readonly Counter<long> AuditAppends = Meter.CreateCounter<long>(
        "controlplane.audit.appends", description: "Records appended to the audit log.");

    private static readonly Counter<long> SignInFailures = Meter.CreateCounter<long>(
        "controlplane.signin.failures", description: "Refused sign-ins, by reason (invalid, missing, throttled).");

    private static readonly Histogram<double> EventLag = Meter.CreateHistogram<double>(
        "controlplane.watcher.event.lag", "s", "Time from an engine event (engine clock) to the store holding its change, by cluster.");

    public static void EngineRequest(string route, string result, double seconds) =>
        EngineRequestDuration.Record(seconds, new("route", route), new("result", result));

    public static void OperationStarted(string kind) => OperationsStarted.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public static void OperationEnded(string kind, string result, double seconds) =>
        OperationDuration.Record(seconds, new("kind", kind), new("result", result));

    public static void AuditAppended() => AuditAppends.Add(1);

    public static void SignInFailed(string reason) => SignInFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public static void EventApplied(string clusterId, double lagSeconds) =>
        EventLag.Record(Math.Max(0, lagSeconds), new KeyValuePair<string, object?>("cluster", clusterId));
}
