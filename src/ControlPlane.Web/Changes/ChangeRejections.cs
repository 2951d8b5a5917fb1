using ControlPlane.Core.Changes;

namespace ControlPlane.Web.Changes;

/// <summary>The refusals every change class gives for a target the store does not know, worded alike.</summary>
internal static class ChangeRejections
{
    public static ChangeRejectedException NoCluster(string clusterId) =>
        new(ChangeFailure.NotFound, $"No cluster has the id '{clusterId}'.");

    public static ChangeRejectedException NoService(string clusterId, string service) =>
        new(ChangeFailure.NotFound, $"Cluster '{clusterId}' has no service '{service}'.");
}
