namespace ControlPlane.Core.Changes;

/// <summary>The refusals every change class gives for a target the store does not know, worded alike.</summary>
public static class ChangeRejections
{
    public static ChangeRejectedException NoCluster(string clusterId) =>
        new(ChangeFailure.NotFound, $"No cluster has the id '{clusterId}'.");

    public static ChangeRejectedException NoService(string clusterId, string service) =>
        new(ChangeFailure.NotFound, $"Cluster '{clusterId}' has no service '{service}'.");
}
