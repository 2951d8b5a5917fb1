using System.Net;
using System.Net.Http.Json;
using ControlPlane.Core.Operations;

namespace ControlPlane.Web.Tests.SecretFamilies;

/// <summary>
/// Who may rotate and inject: a SecretsAdmin of one stack acts on that stack's services and on nothing another
/// stack uses; Viewers and Operators change nothing. Each refusal changes nothing in the swarm.
/// </summary>
public sealed class SecretPermissionTests(SecretsSwarm swarm) : IClassFixture<SecretsSwarm>
{
    private const string Cluster = SecretsSwarm.Cluster;
    private const string Password = "s5-permissions-123";

    [Fact]
    public async Task A_SecretsAdmin_of_one_stack_cannot_rotate_a_family_another_stacks_service_uses_but_can_rotate_one_its_own_stack_uses()
    {
        var shop = swarm.Name("shop");
        var billing = swarm.Name("bill");
        var shared = swarm.Name("shared");
        var own = swarm.Name("own");
        var sharedV1 = await swarm.CreateFamilyAsync(shared, "shared-value");
        var ownV1 = await swarm.CreateFamilyAsync(own, "own-value");
        await swarm.CreateServiceAsync(swarm.Name("shop-web"), 1, [(sharedV1, $"{shared}.v1", "shared"), (ownV1, $"{own}.v1", "own")], stack: shop);
        await swarm.CreateServiceAsync(swarm.Name("bill-web"), 1, [(sharedV1, $"{shared}.v1", "shared")], stack: billing);
        await swarm.WaitUntilSeenAsync(shared, swarm.Name("shop-web"), swarm.Name("bill-web"));
        await swarm.WaitUntilSeenAsync(own, swarm.Name("shop-web"));
        using var shopAdmin = await UserAsync("shopadmin", "SecretsAdmin", shop);

        using (var refused = await shopAdmin.PostAsJsonAsync($"/api/clusters/{Cluster}/secrets/{shared}/rotate", new { data = SecretsSwarm.Base64("new") }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        Assert.Equal([$"{shared}.v1"], await swarm.SecretNamesAsync(shared));
        var audit = await swarm.Admin.GetStringAsync($"/api/audit?actor={swarm.Name("shopadmin")}&action=secrets.rotate");
        Assert.Contains("denied", audit);

        using (var allowed = await shopAdmin.PostAsJsonAsync($"/api/clusters/{Cluster}/secrets/{own}/rotate", new { generate = new { length = 24, alphabet = "hex" } }))
        {
            var operation = await swarm.FinishedAsync(await SecretsSwarm.OperationIdOf(allowed));
            Assert.True(operation.State == OperationStates.Succeeded, $"{operation.State}: {operation.Error}");
        }
        Assert.Equal([$"{own}.v2"], await swarm.SecretNamesAsync(own));
        var generated = Assert.Single(await swarm.ReadInContainersAsync(swarm.Name("shop-web"), "/run/secrets/own"));
        Assert.Matches("^[0-9a-f]{24}$", generated);

        // Injecting into the other stack's service is refused too, and leaves it alone.
        using (var inject = await shopAdmin.PostAsJsonAsync($"/api/clusters/{Cluster}/services/{swarm.Name("bill-web")}/secrets", new { family = own }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, inject.StatusCode);
        }
    }

    [Theory]
    [InlineData("Viewer")]
    [InlineData("Operator")]
    public async Task Viewers_and_Operators_cannot_create_inject_rotate_or_delete(string role)
    {
        var family = swarm.Name($"ro{role[..2].ToLowerInvariant()}");
        var v1 = await swarm.CreateFamilyAsync(family, "value");
        var service = swarm.Name($"ro{role[..2].ToLowerInvariant()}svc");
        await swarm.CreateServiceAsync(service, 1, []);
        await swarm.WaitUntilSeenAsync(family);
        using var user = await UserAsync(role.ToLowerInvariant(), role, null);

        var requests = new Func<Task<HttpResponseMessage>>[]
        {
            () => user.PostAsJsonAsync($"/api/clusters/{Cluster}/secrets", new { family = swarm.Name("never"), data = "eA==" }),
            () => user.PostAsJsonAsync($"/api/clusters/{Cluster}/services/{service}/secrets", new { family }),
            () => user.PostAsJsonAsync($"/api/clusters/{Cluster}/secrets/{family}/rotate", new { data = "eA==" }),
            () => user.DeleteAsync($"/api/clusters/{Cluster}/secrets/{family}"),
            () => user.DeleteAsync($"/api/clusters/{Cluster}/services/{service}/secrets/{family}"),
        };
        foreach (var request in requests)
        {
            using var response = await request();
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
        Assert.Equal([$"{family}.v1"], await swarm.SecretNamesAsync(family));
        Assert.Empty(await swarm.SecretNamesAsync(swarm.Name("never")));
        Assert.Empty((await swarm.ServiceAsync((await swarm.Manager.Swarm.ListServicesAsync()).Single(s => s.Spec!.Name == service).ID!)).Spec!.TaskTemplate!.ContainerSpec!.Secrets ?? []);
        Assert.NotEmpty(v1);
    }

    private async Task<HttpClient> UserAsync(string name, string role, string? stack)
    {
        var user = swarm.Name(name);
        (await swarm.Admin.PostAsJsonAsync("/api/users", new { username = user, password = Password })).EnsureSuccessStatusCode();
        (await swarm.Admin.PostAsJsonAsync("/api/grants", new { subject = user, role, scope = new { cluster = Cluster, stack } })).EnsureSuccessStatusCode();
        return await swarm.App.CreateSignedInClientAsync(user, Password);
    }
}
