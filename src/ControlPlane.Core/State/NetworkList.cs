using ControlPlane.Core.Model;

namespace ControlPlane.Core.State;

/// <summary>A network with the services whose spec attaches them to it.</summary>
public sealed record NetworkRow(ClusterNetwork Network, IReadOnlyList<ClusterService> Services);

/// <summary>Lists networks with the services attached to each.</summary>
public static class NetworkList
{
    /// <summary>Networks whose name, id, driver, scope or attached service contains <paramref name="text"/>, by name.</summary>
    public static IReadOnlyList<NetworkRow> Of(ClusterState state, string? text = null)
    {
        var services = state.Services.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        return state.Networks
            .Select(n => new NetworkRow(n, services.Where(s => IsAttached(s, n)).ToList()))
            .Where(r => string.IsNullOrWhiteSpace(text)
                || TextMatch.Any(text, [r.Network.Name, r.Network.Id, r.Network.Driver, r.Network.Scope, .. r.Services.Select(s => s.Name)]))
            .OrderBy(r => r.Network.Name, StringComparer.Ordinal)
            .ThenBy(r => r.Network.Id, StringComparer.Ordinal)
            .ToList();
    }

    // The spec's target is whatever the deployer wrote: the stack deployer writes ids, `docker service create --network` may keep a name.
    private static bool IsAttached(ClusterService service, ClusterNetwork network) =>
        service.Details.Networks.Any(target => target == network.Id || target == network.Name);
}
