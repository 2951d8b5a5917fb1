using ControlPlane.Core.State;

namespace ControlPlane.Web.Components.Controls;

/// <summary>The cluster this browser is looking at; the app bar's switcher changes it, live pages follow.</summary>
public sealed class ClusterSelection(ClusterStateStore store)
{
    private string? _clusterId;

    public event Action? Changed;

    /// <summary>The selected cluster, or the first configured one.</summary>
    public string? ClusterId => _clusterId ?? store.Clusters.FirstOrDefault()?.Id;

    public void Select(string clusterId)
    {
        if (clusterId != ClusterId && store.GetState(clusterId) is not null)
        {
            _clusterId = clusterId;
            Changed?.Invoke();
        }
    }
}
