using System.Security.Claims;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Web.Authentication;
using ControlPlane.Web.Authorization;
using Microsoft.Extensions.Options;

namespace ControlPlane.Web.Components.Controls;

/// <summary>
/// The cluster this browser is looking at, among those the signed-in user may see, and what of it they
/// may see. The app bar's switcher changes it; live pages follow. Grants are read when the circuit starts and again
/// every <see cref="SessionCheckOptions.RevalidationInterval"/>, so a grant removed while a page is open takes its view away
/// (actions are checked by the gate with grants read there and then, whatever this holds).
/// </summary>
public sealed class ClusterSelection(ClusterStateStore store, AccessControl access, TimeProvider? time = null, IOptions<SessionCheckOptions>? options = null)
    : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private string? _clusterId;
    private Task<IReadOnlyList<Grant>>? _grants;
    private IReadOnlyList<Grant> _loaded = [];

    /// <summary>Raised when the selected cluster changes, or what the user may see of it.</summary>
    public event Action? Changed;

    /// <summary>Reads the user's grants on first call and starts reading them again periodically; every live component awaits this before subscribing.</summary>
    public async Task InitializeAsync(ClaimsPrincipal user)
    {
        if (_grants is null)
        {
            _grants = access.GrantsOfAsync(user);
            _ = RefreshAsync(user, _stop.Token);
        }
        _loaded = await _grants;
    }

    private async Task RefreshAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        try
        {
            using var timer = new PeriodicTimer((options?.Value ?? new SessionCheckOptions()).RevalidationInterval, time ?? TimeProvider.System);
            while (await timer.WaitForNextTickAsync(ct))
            {
                IReadOnlyList<Grant> fresh;
                try
                {
                    fresh = await access.GrantsOfAsync(user, ct);
                }
                catch (Exception) when (!ct.IsCancellationRequested)
                {
                    // The grant store is briefly out of reach: keep what was read last and try again at the next tick.
                    continue;
                }
                if (fresh.SequenceEqual(_loaded))
                {
                    continue;
                }
                _loaded = fresh;
                if (_clusterId is not null && !VisibleClusters.Any(c => c.Id == _clusterId))
                {
                    _clusterId = null;
                }
                Changed?.Invoke();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
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

    /// <summary>
    /// Whether the user may do something on the cluster itself or on some stack of it they hold a grant on (to show a
    /// button such as "Deploy stack" whose target is chosen afterwards; the server checks the chosen target).
    /// </summary>
    public bool AllowsSomewhere(string permission, string clusterId) =>
        Allows(permission, AccessTarget.InCluster(clusterId))
        || _loaded.Where(g => g.Scope.Cluster == clusterId && g.Scope.Stack is not null).Any(g => Allows(permission, AccessTarget.InCluster(clusterId, g.Scope.Stack)));

    public void Select(string clusterId)
    {
        if (clusterId != ClusterId && VisibleClusters.Any(c => c.Id == clusterId))
        {
            _clusterId = clusterId;
            Changed?.Invoke();
        }
    }
}
