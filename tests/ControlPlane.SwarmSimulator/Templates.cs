using System.Text.Json;
using System.Text.Json.Nodes;

namespace ControlPlane.SwarmSimulator;

/// <summary>
/// Answers recorded from a real dockerd 20.10 swarm manager (the local swarm's cp-node1), embedded as they were;
/// the simulator fills in its own ids, names, counts and times. Copying them keeps every field the engine sends.
/// </summary>
internal static class Templates
{
    public static readonly string IngressId = Ids.Swarm();

    public static readonly DateTime IngressCreated = DateTime.UtcNow;

    public static JsonObject Info => Load("info.json");

    public static JsonObject Version => Load("version.json");

    public static JsonObject Swarm => Load("swarm.json");

    public static JsonObject ContainerInspect => Load("container_inspect.json");

    public static JsonArray Images => JsonNode.Parse(Read("images_json.json"))!.AsArray();

    public static readonly JsonObject TlsInfo = (JsonObject)Load("swarm.json")["TLSInfo"]!;

    /// <summary>The ingress network as a task's NetworksAttachments entry shows it.</summary>
    public static readonly byte[] IngressAttachment = JsonSerializer.SerializeToUtf8Bytes(new JsonObject
    {
        ["ID"] = IngressId,
        ["Version"] = new JsonObject { ["Index"] = 6 },
        ["CreatedAt"] = Time.Format(IngressCreated),
        ["UpdatedAt"] = Time.Format(IngressCreated),
        ["Spec"] = new JsonObject
        {
            ["Name"] = "ingress",
            ["Labels"] = new JsonObject(),
            ["DriverConfiguration"] = new JsonObject(),
            ["Ingress"] = true,
            ["IPAMOptions"] = new JsonObject { ["Driver"] = new JsonObject() },
            ["Scope"] = "swarm",
        },
        ["DriverState"] = new JsonObject
        {
            ["Name"] = "overlay",
            ["Options"] = new JsonObject { ["com.docker.network.driver.overlay.vxlanid_list"] = "4096" },
        },
        ["IPAMOptions"] = new JsonObject
        {
            ["Driver"] = new JsonObject { ["Name"] = "default" },
            ["Configs"] = new JsonArray(new JsonObject { ["Subnet"] = "10.0.0.0/16", ["Gateway"] = "10.0.0.1" }),
        },
    });

    private static JsonObject Load(string name) => JsonNode.Parse(Read(name))!.AsObject();

    private static string Read(string name)
    {
        using var stream = typeof(Templates).Assembly.GetManifestResourceStream($"ControlPlane.SwarmSimulator.Templates.{name}")
            ?? throw new InvalidOperationException($"template {name} is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
