using System.Net;
using System.Net.Http.Json;
using System.Text;
using ControlPlane.Core.Operations;
using ControlPlane.Web.Tests.Infrastructure;
using Docker.DotNet.Models;

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

    [Fact]
    public async Task A_SecretsAdmin_of_one_stack_cannot_mount_another_stacks_secret_or_config_into_its_own_service_but_can_mount_its_own()
    {
        var shop = swarm.Name("mshop");
        var billing = swarm.Name("mbill");
        var stackLabel = "com.docker.stack.namespace";
        // As docker stack deploy makes them: <stack>_<name>, labelled with the stack's namespace.
        var billingSecret = $"{billing}_dbpass";
        var billingConfig = $"{billing}_conf";
        var shopSecret = $"{shop}_key";
        await swarm.Manager.Secrets.CreateAsync(new SwarmSecretSpec { Name = billingSecret, Labels = new Dictionary<string, string> { [stackLabel] = billing }, Data = Encoding.UTF8.GetBytes("billing-db-password") });
        await swarm.Manager.Configs.CreateConfigAsync(new SwarmCreateConfigParameters
        {
            Config = new SwarmConfigSpec { Name = billingConfig, Labels = new Dictionary<string, string> { [stackLabel] = billing }, Data = Encoding.UTF8.GetBytes("billing=1\n") },
        });
        await swarm.Manager.Secrets.CreateAsync(new SwarmSecretSpec { Name = shopSecret, Labels = new Dictionary<string, string> { [stackLabel] = shop }, Data = Encoding.UTF8.GetBytes("shop-key") });
        var app = swarm.Name("mshop-app");
        var id = await swarm.CreateServiceAsync(app, 1, [], stack: shop);
        await swarm.Admin.GetUntilAsync($"/api/clusters/{Cluster}/services/{app}", (status, _) => status == HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        await swarm.WaitUntilSeenAsync(billingSecret);
        await swarm.WaitUntilSeenAsync(shopSecret);
        await swarm.Admin.GetUntilAsync($"/api/clusters/{Cluster}/configs", (status, json) => status == HttpStatusCode.OK
            && json.EnumerateArray().Any(c => c.GetProperty("family").GetString() == billingConfig), TimeSpan.FromSeconds(60));
        using var shopAdmin = await UserAsync("mshopadmin", "SecretsAdmin", shop);

        using (var secret = await shopAdmin.PostAsJsonAsync($"/api/clusters/{Cluster}/services/{app}/secrets", new { family = billingSecret }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, secret.StatusCode);
        }
        using (var config = await shopAdmin.PostAsJsonAsync($"/api/clusters/{Cluster}/services/{app}/configs", new { family = billingConfig, target = "/etc/billing.conf" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, config.StatusCode);
        }
        var unchanged = (await swarm.ServiceAsync(id)).Spec!.TaskTemplate!.ContainerSpec!;
        Assert.Empty(unchanged.Secrets ?? []);
        Assert.Empty(unchanged.Configs ?? []);
        var audit = await swarm.Admin.GetStringAsync($"/api/audit?actor={swarm.Name("mshopadmin")}");
        Assert.Contains("denied", audit);

        using (var own = await shopAdmin.PostAsJsonAsync($"/api/clusters/{Cluster}/services/{app}/secrets", new { family = shopSecret }))
        {
            var operation = await swarm.FinishedAsync(await SecretsSwarm.OperationIdOf(own));
            Assert.True(operation.State == OperationStates.Succeeded, $"{operation.State}: {operation.Error}");
        }
        Assert.Equal(shopSecret, Assert.Single((await swarm.ServiceAsync(id)).Spec!.TaskTemplate!.ContainerSpec!.Secrets!).SecretName);
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
