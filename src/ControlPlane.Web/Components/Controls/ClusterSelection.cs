using System.Security.Claims;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Web.Authorization;

namespace ControlPlane.Web.Components.Controls;

/// <summary>
/// The cluster this browser is looking at, among those the signed-in user may see, and what of it they
/// may see. The app bar's switcher changes it; live pages follow. Grants are read once per circuit.
/// </summary>
public sealed class ClusterSelection(ClusterStateStore store, AccessControl access)
{
    private string? _clusterId;
    private Task<IReadOnlyList<Grant>>? _grants;
    private IReadOnlyList<Grant> _loaded = [];

    public event Action? Changed;

    /// <summary>Reads the user's grants once; every live component awaits this before subscribing.</summary>
    public async Task InitializeAsync(ClaimsPrincipal user)
    {
        _grants ??= access.GrantsOfAsync(user);
        _loaded = await _grants;
    }

    /// <summary>The clusters the user has some grant on, in configuration order.</summary>
    public IReadOnlyList<Core.Model.ClusterInfo> VisibleClusters =>
        ClusterVisibility.VisibleClusters(_loaded, store.Clusters).ToList();

    /// <summary>Whether some cluster exists that the user may not see any of (to tell "no access" from "none configured").</summary>
    public bool HasHiddenClusters => store.Clusters.Count > VisibleClusters.Count;

    /// <summary>The selected cluster, or the first one the user may see.</summary>
    public string? ClusterId => _clusterId ?? VisibleClusters.FirstOrDefault()?.Id;

    public ClusterVisibility Visibility(string clusterId) => ClusterVisibility.For(_loaded, clusterId);

    /// <summary>Whether the user may do something on a target (to hide what they cannot do; the server checks again).</summary>
    public bool Allows(string permission, AccessTarget target) => AccessPolicy.IsAllowed(_loaded, permission, target);

    public void Select(string clusterId)
    {
        if (clusterId != ClusterId && VisibleClusters.Any(c => c.Id == clusterId))
        {
            _clusterId = clusterId;
            Changed?.Invoke();
        }
    }
}
