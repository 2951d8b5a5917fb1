using ControlPlane.Web.Authorization;
using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Core.Security;
using ControlPlane.Core.Tests.Security;
using ControlPlane.Web.Tests.Infrastructure;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ControlPlane.Web.Tests.Authorization;

/// <summary>
/// A real ControlPlane on the real swarm, two services in two stacks, and one user per role × scope.
/// Created once for the matrix: users and services cost seconds each.
/// </summary>
public sealed class MatrixFixture : IAsyncLifetime
{
    public const string Cluster = SwarmAppFactory.ClusterId;
    public const string Password = "matrix-password-123";

    public SwarmAppFactory App { get; } = new();

    public string Run { get; } = Guid.NewGuid().ToString("N")[..6];

    public string ShopStack => $"shop{Run}";

    public string BillingStack => $"bill{Run}";

    public string ShopService => $"mx-shop-{Run}";

    public Dictionary<string, HttpClient> Clients { get; } = [];

    public HttpClient Admin { get; private set; } = default!;

    public HttpClient Anonymous { get; private set; } = default!;

    private readonly List<string> _services = [];

    public static IEnumerable<Role> Roles => Enum.GetValues<Role>();

    /// <summary>The scopes every role is tried on, by the policy table's names: all clusters, this cluster, another cluster, the shop stack, another stack.</summary>
    public AccessScope Scope(string name) => name switch
    {
        PolicyTable.AllClusters => AccessScope.Everywhere,
        PolicyTable.ThisCluster => AccessScope.OfCluster(Cluster),
        PolicyTable.OtherCluster => AccessScope.OfCluster("elsewhere"),
        PolicyTable.ShopStack => AccessScope.OfStack(Cluster, ShopStack),
        PolicyTable.OtherStack => AccessScope.OfStack(Cluster, BillingStack),
        _ => throw new ArgumentOutOfRangeException(name),
    };

    public static string UserName(Role role, string scope) => $"mx-{role}-{scope}".ToLowerInvariant();

    public async Task InitializeAsync()
    {
        Admin = App.CreateAdminClient();
        Anonymous = App.CreateClient();
        using var docker = new DockerClientBuilder().WithEndpoint(new Uri(SwarmEnvironment.DockerHost)).Build();
        foreach (var (name, stack) in new[] { (ShopService, ShopStack), ($"mx-bill-{Run}", BillingStack) })
        {
            var created = await docker.Swarm.CreateServiceAsync(new ServiceCreateParameters
            {
                Service = new ServiceSpec
                {
                    Name = name,
                    Labels = new Dictionary<string, string> { ["com.docker.stack.namespace"] = stack },
                    TaskTemplate = new TaskSpec { ContainerSpec = new ContainerSpec { Image = SwarmEnvironment.DemoImage } },
                    Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = 0 } },
                },
            });
            _services.Add(created.ID!);
        }
        await Admin.GetUntilAsync($"/api/clusters/{Cluster}/services/{ShopService}", (status, _) => status == HttpStatusCode.OK, TimeSpan.FromSeconds(60));

        foreach (var role in Roles)
        {
            foreach (var scope in PolicyTable.ScopeNames)
            {
                var user = UserName(role, scope);
                (await Admin.PostAsJsonAsync("/api/users", new { username = user, password = Password })).EnsureSuccessStatusCode();
                var s = Scope(scope);
                (await Admin.PostAsJsonAsync("/api/grants", new { subject = user, role = role.ToString(), scope = new { cluster = s.Cluster, stack = s.Stack } })).EnsureSuccessStatusCode();
                Clients[user] = await App.CreateSignedInClientAsync(user, Password);
            }
        }
    }

    /// <summary>Makes a service of the shop stack with no replicas unless it exists, and waits until ControlPlane sees it.</summary>
    public async Task EnsureShopServiceAsync(string name)
    {
        using var docker = new DockerClientBuilder().WithEndpoint(new Uri(SwarmEnvironment.DockerHost)).Build();
        if (!(await docker.Swarm.ListServicesAsync()).Any(s => s.Spec!.Name == name))
        {
            await docker.Swarm.CreateServiceAsync(new ServiceCreateParameters
            {
                Service = new ServiceSpec
                {
                    Name = name,
                    Labels = new Dictionary<string, string> { ["com.docker.stack.namespace"] = ShopStack },
                    TaskTemplate = new TaskSpec { ContainerSpec = new ContainerSpec { Image = SwarmEnvironment.DemoImage } },
                    Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = 0 } },
                },
            });
        }
        await Admin.GetUntilAsync($"/api/clusters/{Cluster}/services/{name}", (status, _) => status == HttpStatusCode.OK, TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        using var docker = new DockerClientBuilder().WithEndpoint(new Uri(SwarmEnvironment.DockerHost)).Build();
        foreach (var id in _services)
        {
            await docker.Swarm.RemoveServiceAsync(id);
        }
        foreach (var service in (await docker.Swarm.ListServicesAsync()).Where(s => s.Spec!.Name == $"mx-rm-{Run}"))
        {
            await docker.Swarm.RemoveServiceAsync(service.ID!);
        }
        foreach (var secret in (await docker.Secrets.ListAsync()).Where(s => s.Spec!.Name!.StartsWith($"mx{Run}-", StringComparison.Ordinal)))
        {
            await docker.Secrets.DeleteAsync(secret.ID!);
        }
        foreach (var client in Clients.Values.Append(Admin).Append(Anonymous))
        {
            client.Dispose();
        }
        await App.DisposeAsync();
    }
}

/// <summary>
/// Every listed entry point × every role × every scope, through the real HTTP pipeline: allowed or refused as the
/// hand-written <see cref="PolicyTable"/> says; refusals are 403 and audited; anonymous calls are 401 and audited.
/// </summary>
public sealed class PermissionMatrixTests(MatrixFixture fixture) : IClassFixture<MatrixFixture>
{
    public static TheoryData<string> EntryPoints() => [.. MatrixEntryPoints.All.Select(e => e.Name)];

    private HttpRequestMessage RequestFor(MatrixEntryPoint entry) => entry.Request(MatrixFixture.Cluster, fixture.ShopService, fixture.Run);

    [Theory]
    [MemberData(nameof(EntryPoints))]
    public async Task Every_role_on_every_scope_is_allowed_or_refused_as_the_policy_table_says(string entryPoint)
    {
        var entry = MatrixEntryPoints.Named(entryPoint);
        var mismatches = new List<string>();
        foreach (var role in MatrixFixture.Roles)
        {
            foreach (var scope in PolicyTable.ScopeNames)
            {
                var expected = PolicyTable.Allows(role, scope, entry.Permission, entry.On);
                if (entry.Prepare is { } prepare)
                {
                    await prepare(fixture);
                }
                using var response = await fixture.Clients[MatrixFixture.UserName(role, scope)].SendAsync(RequestFor(entry));
                var refused = response.StatusCode == HttpStatusCode.Forbidden;
                // Allowed means the request got past the guard and worked: no 401, no 403, no server error.
                var worked = (int)response.StatusCode is >= 200 and < 500 && !refused && response.StatusCode != HttpStatusCode.Unauthorized;
                if (expected ? !worked : !refused)
                {
                    mismatches.Add($"{role} on {scope}: expected {(expected ? "allowed" : "403")} for {entry.Permission}, got {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }
        }
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    [Theory]
    [MemberData(nameof(EntryPoints))]
    public async Task An_anonymous_call_is_401_and_audited(string entryPoint)
    {
        var entry = MatrixEntryPoints.Named(entryPoint);

        using var response = await fixture.Anonymous.SendAsync(RequestFor(entry));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        // Anonymous refusals are written once a minute per client address; the test does not wait for the minute.
        await fixture.App.Services.GetRequiredService<AnonymousRefusals>().FlushAsync();
        var audit = await fixture.Admin.GetFromJsonAsync<JsonElement>("/api/audit?actor=anonymous&action=requests.unauthenticated&limit=200");
        Assert.Contains(audit.EnumerateArray(), a => a.GetProperty("result").GetString() == "denied"
            && a.GetProperty("detail").GetString()!.Contains(new Uri(fixture.App.Server.BaseAddress, RequestFor(entry).RequestUri!).AbsolutePath, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_refused_change_is_403_audited_with_the_user_and_changes_nothing()
    {
        var viewer = MatrixFixture.UserName(Role.Viewer, PolicyTable.AllClusters);
        var scale = MatrixEntryPoints.All.First(e => e.Permission == Permissions.Services.Update);

        using var response = await fixture.Clients[viewer].SendAsync(RequestFor(scale));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var audit = await fixture.Admin.GetFromJsonAsync<JsonElement>($"/api/audit?actor={viewer}&action=services.scale");
        var denied = audit.EnumerateArray().First(a => a.GetProperty("result").GetString() == "denied");
        Assert.Contains(fixture.ShopService, denied.GetProperty("target").GetString());
        Assert.Null(denied.GetProperty("diff").GetString());
    }
}

/// <summary>Keeps the matrix honest without a swarm: every permission is exercised by a listed entry point, or is listed as not yet exposed.</summary>
public sealed class PermissionMatrixCoverageTests
{
    [Fact]
    public void Every_declared_permission_has_a_listed_entry_point_or_is_listed_as_not_yet_exposed()
    {
        var covered = MatrixEntryPoints.All.Select(e => e.Permission).ToHashSet();

        Assert.Empty(covered.Intersect(MatrixEntryPoints.NotYetExposed));
        Assert.Equal(
            PolicyTable.Declared().Order(StringComparer.Ordinal),
            covered.Union(MatrixEntryPoints.NotYetExposed).Order(StringComparer.Ordinal));
    }
}
