using System.Net.Http.Json;
using ControlPlane.Core.Security;
using ControlPlane.Core.Tests.Security;
using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.Web.Tests.Authorization;

/// <summary>
/// An HTTP entry point the permission matrix calls: the permission it demands, its method and route, what it acts
/// on, and a body that is harmless when allowed. Routes name <c>{cluster}</c>, <c>{service}</c> (the shop stack's
/// service) and <c>{run}</c> (the fixture's prefix for secrets and configs).
/// </summary>
internal sealed record MatrixEntryPoint(string Permission, string Method, string Route, Touches On, Func<string, object>? Body = null)
{
    /// <summary>Run before each caller's request: puts back what an allowed caller's request used up (a removed service).</summary>
    public Func<MatrixFixture, Task>? Prepare { get; init; }

    /// <summary>Method and route: the name of the entry point in test results.</summary>
    public string Name => $"{Method} {Route}";

    public HttpRequestMessage Request(string cluster, string service, string run) =>
        new(new HttpMethod(Method), Route.Replace("{cluster}", cluster).Replace("{service}", service).Replace("{run}", run))
        {
            Content = Body is null ? null : JsonContent.Create(Body(run)),
        };
}

/// <summary>The entry points that exercise each permission, listed by hand so a permission without one is noticed.</summary>
internal static class MatrixEntryPoints
{
    private const string Service = "/api/clusters/{cluster}/services/{service}";

    public static readonly IReadOnlyList<MatrixEntryPoint> All =
    [
        new(Permissions.Clusters.Read, "GET", Service, Touches.ShopStack),
        new(Permissions.Clusters.Read, "GET", "/api/clusters/{cluster}/nodes", Touches.Cluster),
        // Scaling 0 → 0 and activating an active node change nothing in the swarm but run the whole path.
        new(Permissions.Services.Update, "POST", $"{Service}/scale", Touches.ShopStack, _ => new { replicas = 0 }),
        new(Permissions.Services.ReadLogs, "GET", $"{Service}/logs?tail=1", Touches.ShopStack),
        new(Permissions.Nodes.Update, "POST", "/api/clusters/{cluster}/nodes/cp-node3/availability", Touches.Cluster, _ => new { availability = "active" }),
        // A fresh family per request, so every allowed caller really creates one (removed by the fixture).
        new(Permissions.Secrets.Create, "POST", "/api/clusters/{cluster}/secrets", Touches.Cluster,
            run => new { family = $"mx{run}-{Guid.NewGuid():N}"[..20], data = "bWF0cml4" }),
        // Past the guard these meet a family or secret that does not exist (404): the check runs, nothing changes.
        new(Permissions.Secrets.Create, "POST", "/api/clusters/{cluster}/secrets/mx{run}-none/adopt", Touches.Cluster),
        new(Permissions.Secrets.Inject, "POST", $"{Service}/secrets", Touches.ShopStack, run => new { family = $"mx{run}-none" }),
        new(Permissions.Secrets.Rotate, "POST", "/api/clusters/{cluster}/secrets/mx{run}-none/rotate", Touches.Cluster, _ => new { data = "bWF0cml4" }),
        new(Permissions.Secrets.Remove, "DELETE", "/api/clusters/{cluster}/secrets/mx{run}-none", Touches.Cluster),
        // An empty value is refused (400) after the guard, so no config is left behind.
        new(Permissions.Configs.Create, "POST", "/api/clusters/{cluster}/configs", Touches.Cluster, run => new { family = $"mx{run}-cfg", data = "" }),
        new(Permissions.Configs.Inject, "POST", $"{Service}/configs", Touches.ShopStack, run => new { family = $"mx{run}-none" }),
        new(Permissions.Configs.Rotate, "POST", "/api/clusters/{cluster}/configs/mx{run}-none/rotate", Touches.Cluster, _ => new { data = "bWF0cml4" }),
        new(Permissions.Configs.Remove, "DELETE", "/api/clusters/{cluster}/configs/mx{run}-none", Touches.Cluster),
        // No image: refused as invalid after the permission check, so an allowed caller starts nothing.
        new(Permissions.Images.Distribute, "POST", "/api/clusters/{cluster}/images/distribute", Touches.Cluster, _ => new { image = "", nodes = (string[]?)null }),
        // Stacks: a preview changes nothing; a deploy of an unreadable file is refused (400) after the permission check.
        new(Permissions.Stacks.Deploy, "POST", "/api/clusters/{cluster}/stacks/preview", Touches.ShopStack, run => new { name = $"shop{run}", compose = "services: {}\n" }),
        new(Permissions.Stacks.Deploy, "POST", "/api/clusters/{cluster}/stacks", Touches.ShopStack, run => new { name = $"shop{run}", compose = "services: [\n" }),
        new(Permissions.Clusters.Read, "GET", "/api/clusters/{cluster}/stacks/shop{run}/compose", Touches.ShopStack),
        new(Permissions.Clusters.Read, "GET", "/api/clusters/{cluster}/stacks/shop{run}/history", Touches.ShopStack),
        // A bind mount needs the unrestricted permission on the cluster, asked before the file's missing secret is found (400)
        // (the query only tells the two rows apart; the API ignores it).
        new(Permissions.Services.Unrestricted, "POST", "/api/clusters/{cluster}/stacks?bind", Touches.Cluster, run => new
        {
            name = $"shop{run}",
            compose = $"version: \"3.9\"\nservices:\n  web:\n    image: 10.99.0.1:5000/demo/app:1\n    volumes: [\"/etc:/host-etc:ro\"]\n    secrets: [gone]\nsecrets:\n  gone:\n    external: true\n    name: mx{run}-none\n",
        }),
        // Removing the shop stack would take the fixture's service with it: a stack with nothing in it meets 404 past the
        // guard. It is no stack a stack grant names, so only cluster-wide grants reach it.
        new(Permissions.Stacks.Remove, "DELETE", "/api/clusters/{cluster}/stacks/mx{run}-none", Touches.Cluster),
        new(Permissions.Users.Manage, "GET", "/api/users", Touches.ControlPlane),
        new(Permissions.Grants.Manage, "GET", "/api/grants", Touches.ControlPlane),
        new(Permissions.Audit.Read, "GET", "/api/audit?limit=1", Touches.ControlPlane),
        // Workloads. Creating the shop service again is refused as a conflict (409) after the guard, so nothing is made;
        // without a stack label the target is the cluster, and the bind mount asks for the restricted permission there
        // (the query only tells the two rows apart; the API ignores it).
        new(Permissions.Services.Create, "POST", "/api/clusters/{cluster}/services", Touches.ShopStack,
            run => new { name = $"mx-shop-{run}", image = SwarmEnvironment.DemoImage, replicas = 0, labels = new Dictionary<string, string> { ["com.docker.stack.namespace"] = $"shop{run}" } }),
        new(Permissions.Services.Unrestricted, "POST", "/api/clusters/{cluster}/services?bind", Touches.Cluster,
            run => new { name = $"mx-shop-{run}", image = SwarmEnvironment.DemoImage, replicas = 0, mounts = new[] { new { type = "bind", source = "/tmp", target = "/host-tmp" } } }),
        // The shop service has no replicas: an edit to 0 changes nothing, a restart converges at once.
        new(Permissions.Services.Update, "PATCH", Service, Touches.ShopStack, _ => new { replicas = 0 }),
        new(Permissions.Services.Update, "POST", $"{Service}/restart", Touches.ShopStack),
        // A service of the shop stack made (again) for each caller, so every allowed caller really removes one.
        new(Permissions.Services.Remove, "DELETE", "/api/clusters/{cluster}/services/mx-rm-{run}", Touches.ShopStack)
        {
            Prepare = fixture => fixture.EnsureShopServiceAsync($"mx-rm-{fixture.Run}"),
        },
        // Past the guard: no such node (404), or a node that is up (409); nothing changes.
        new(Permissions.Nodes.Update, "POST", "/api/clusters/{cluster}/nodes/mx-none/role", Touches.Cluster, _ => new { role = "worker" }),
        new(Permissions.Nodes.Update, "PUT", "/api/clusters/{cluster}/nodes/mx-none/labels", Touches.Cluster, _ => new { labels = new Dictionary<string, string>() }),
        new(Permissions.Nodes.Remove, "DELETE", "/api/clusters/{cluster}/nodes/cp-node3", Touches.Cluster),
        // Reading the tokens changes nothing; a rotation of no role is refused (400) after the guard.
        new(Permissions.Swarm.JoinTokens, "GET", "/api/clusters/{cluster}/swarm/join-tokens", Touches.Cluster),
        new(Permissions.Swarm.JoinTokens, "POST", "/api/clusters/{cluster}/swarm/join-tokens/rotate", Touches.Cluster, _ => new { role = "nobody" }),
    ];

    /// <summary>Permissions whose entry points arrive with later issues; keep this short.</summary>
    public static readonly IReadOnlyList<string> NotYetExposed =
    [
        // Adding and removing clusters (DESIGN §5: Admin "plus clusters"); clusters come from configuration today.
        Permissions.Clusters.Manage,
        // Asked only on the Docker API endpoint (its own listener, not /api): DockerCliTests and Core's
        // EngineAuthorizationTests cover who holds it.
        Permissions.Swarm.Engine,
        Permissions.Services.Exec,
    ];

    public static MatrixEntryPoint Named(string name) => All.Single(e => e.Name == name);
}
