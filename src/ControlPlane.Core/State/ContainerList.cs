using ControlPlane.Core.Model;

namespace ControlPlane.Core.State;

/// <summary>A container with its node's hostname and, when a swarm task runs it, its service.</summary>
public sealed record ContainerRow(ClusterContainer Container, string? NodeHostname, ClusterService? Service);

/// <summary>Filters and orders the containers of the engines ControlPlane reaches.</summary>
public static class ContainerList
{
    /// <summary>
    /// Containers whose name, image, id, service or node contains <paramref name="text"/> and whose state is
    /// <paramref name="containerState"/> (any when empty), grouped by node hostname and then by name.
    /// </summary>
    public static IReadOnlyList<ContainerRow> Of(ClusterState state, string? text = null, string? containerState = null)
    {
        var hostnames = state.Nodes.ToDictionary(n => n.Id, n => n.Hostname, StringComparer.Ordinal);
        var services = state.Services.ToDictionary(s => s.Id, StringComparer.Ordinal);
        return state.Containers
            .Where(c => string.IsNullOrEmpty(containerState) || c.State == containerState)
            .Select(c => new ContainerRow(
                c,
                c.NodeId is { } node ? hostnames.GetValueOrDefault(node) ?? node : null,
                c.ServiceId is { } service ? services.GetValueOrDefault(service) : null))
            .Where(r => Matches(r, text))
            .OrderBy(r => r.NodeHostname, StringComparer.Ordinal)
            .ThenBy(r => r.Container.Name, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The container states present, for the state filter.</summary>
    public static IReadOnlyList<string> States(ClusterState state) =>
        state.Containers.Select(c => c.State).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    private static bool Matches(ContainerRow row, string? text) =>
        string.IsNullOrWhiteSpace(text)
        || TextMatch.Any(text, row.Container.Name, row.Container.Image, row.Container.Id, row.Service?.Name, row.NodeHostname);
}
