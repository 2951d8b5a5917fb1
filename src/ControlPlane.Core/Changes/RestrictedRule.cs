using System.Text.Json.Nodes;
using ControlPlane.Core.Security;

namespace ControlPlane.Core.Changes;

/// <summary>A use of the host a service spec asks for: the Compose key that asks for it, and what it is.</summary>
public sealed record RestrictedUse(string Key, string What)
{
    public override string ToString() => $"{Key}: {What}";
}

/// <summary>
/// The restricted rule (DESIGN §9, UCP's "restricted control"): host bind mounts, the host network, added
/// capabilities, devices and sysctls reach around the container onto the node, so only an Admin of the cluster may
/// ask for them, whatever the entry point (page, API, Compose file, docker CLI). Read from the Engine API's own
/// <c>ServiceSpec</c> JSON, which every entry point produces before it reaches the engine. Devices have no place in
/// a swarm service spec (<c>docker stack deploy</c> ignores the key): the Compose converter reports them itself.
/// </summary>
public static class RestrictedRule
{
    /// <summary>
    /// Every host use in a service spec, in the order of the spec. A spec read back from the engine names the host
    /// network by its id: <paramref name="hostNetworkIds"/> are the ids of the cluster's networks with the host driver.
    /// </summary>
    public static IReadOnlyList<RestrictedUse> Find(JsonObject serviceSpec, IReadOnlySet<string>? hostNetworkIds = null)
    {
        var uses = new List<RestrictedUse>();
        var task = serviceSpec["TaskTemplate"] as JsonObject;
        var container = task?["ContainerSpec"] as JsonObject;
        foreach (var mount in Items(container?["Mounts"]))
        {
            if (string.Equals((string?)mount?["Type"], "bind", StringComparison.OrdinalIgnoreCase))
            {
                uses.Add(new RestrictedUse("volumes", $"a bind mount of the host path {(string?)mount?["Source"]}"));
            }
        }
        foreach (var network in Items(task?["Networks"]).Concat(Items(serviceSpec["Networks"])))
        {
            if ((string?)network?["Target"] is { } target && (target == "host" || hostNetworkIds?.Contains(target) == true))
            {
                uses.Add(new RestrictedUse("networks", "the host network"));
            }
        }
        foreach (var capability in Items(container?["CapabilityAdd"]))
        {
            uses.Add(new RestrictedUse("cap_add", $"the capability {(string?)capability}"));
        }
        if (container?["Sysctls"] is JsonObject { Count: > 0 } sysctls)
        {
            uses.Add(new RestrictedUse("sysctls", string.Join(", ", sysctls.Select(s => s.Key))));
        }
        return uses;
    }

    /// <summary>What a change that makes these uses needs, beyond its own permission: the unrestricted permission on the cluster.</summary>
    public static IReadOnlyList<PermissionNeed> Needs(string clusterId, string subject, IEnumerable<RestrictedUse> uses) =>
        uses.Select(use => new PermissionNeed(Permissions.Services.Unrestricted, AccessTarget.InCluster(clusterId),
            $"{subject} asks for {use.What} ({use.Key}), which only an Admin of the cluster may use")).Take(1).ToList();

    private static IEnumerable<JsonNode?> Items(JsonNode? node) => node as JsonArray ?? [];
}
