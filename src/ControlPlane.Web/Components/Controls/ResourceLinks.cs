namespace ControlPlane.Web.Components.Controls;

/// <summary>
/// Where pages link to one another. Relative, like the navigation menu, so the app works under a path base;
/// and kept out of markup because Razor attribute values trip over quoted C# strings.
/// </summary>
public static class ResourceLinks
{
    public static string Service(string serviceId) => $"services/{Uri.EscapeDataString(serviceId)}";

    public static string Stack(string name) => $"stacks/{Uri.EscapeDataString(name)}";

    public static string Node(string nodeId) => $"nodes/{Uri.EscapeDataString(nodeId)}";

    public static string ServiceLogs(string serviceId) => $"logs?service={Uri.EscapeDataString(serviceId)}";

    public static string ContainerLogs(string containerId) => $"logs?container={Uri.EscapeDataString(containerId)}";

    /// <summary>The tasks page, filtered by whichever of service, node and state is given.</summary>
    public static string Tasks(string? serviceId = null, string? nodeId = null, string? state = null)
    {
        var query = new[] { ("service", serviceId), ("node", nodeId), ("state", state) }
            .Where(p => !string.IsNullOrEmpty(p.Item2))
            .Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!)}");
        var joined = string.Join('&', query);
        return joined.Length == 0 ? "tasks" : $"tasks?{joined}";
    }
}
