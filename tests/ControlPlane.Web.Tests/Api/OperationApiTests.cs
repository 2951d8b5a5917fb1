using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Security;
using ControlPlane.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Web.Tests.Api;

/// <summary>
/// GET /api/operations/{id}, the list and cancel through the real pipeline and database. The operations are
/// started on the server's own runner (the Docker-side operations have their own tests on the swarm).
/// </summary>
public sealed class OperationApiTests : IAsyncLifetime
{
    private const string Cluster = "c1";
    private const string Password = "operations-password-1";

    private readonly ControlPlaneAppFactory _app = new(new Dictionary<string, string?>
    {
        ["ControlPlane:Clusters:0:Name"] = Cluster,
        ["ControlPlane:Clusters:0:Endpoints:0"] = "tcp://127.0.0.1:1",
    });

    private HttpClient _admin = default!;

    public async Task InitializeAsync() => _admin = await _app.CreateSignedInClientAsync(ControlPlaneAppFactory.BootstrapAdmin, ControlPlaneAppFactory.BootstrapPassword);

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _app.DisposeAsync();
    }

    private OperationRunner Runner => _app.Services.GetRequiredService<OperationRunner>();

    private static ChangeCaller AdminCaller => new("admin", [new Grant(1, "admin", Role.Admin, AccessScope.Everywhere)], null);

    private async Task<string> StartAsync(string stack, string target, Func<OperationContext, Task> run)
    {
        var intent = new ChangeIntent(Permissions.Services.Update, AccessTarget.InCluster(Cluster, stack), "services.rollout", target);
        var start = await Runner.StartAsync(AdminCaller, intent, _ => Task.FromResult(new OperationPlan("services.rollout", 2, run) { Parameters = new { image = "demo/app:2", parallelism = 1 } }));
        Assert.True(start.Started, start.Message);
        return start.OperationId!;
    }

    private async Task<HttpClient> UserAsync(string name, Role role, string stack)
    {
        (await _admin.PostAsJsonAsync("/api/users", new { username = name, password = Password })).EnsureSuccessStatusCode();
        (await _admin.PostAsJsonAsync("/api/grants", new { subject = name, role = role.ToString(), scope = new { cluster = Cluster, stack } })).EnsureSuccessStatusCode();
        return await _app.CreateSignedInClientAsync(name, Password);
    }

    [Fact]
    public async Task An_operation_is_read_by_id_with_its_steps_progress_and_settings()
    {
        var id = await StartAsync("shop", "web", async ctx =>
        {
            await ctx.StepAsync("slot 1", OperationStates.Succeeded, "running demo/app:2", new OperationProgress(1, 1), "cp-node2");
            await ctx.ProgressAsync(1);
            throw new OperationFailedException("slot 2 on cp-node3: task exited with 1", rolledBack: true);
        });
        await Runner.WhenFinishedAsync(id);

        using var answer = await _admin.GetAsync($"/api/operations/{id}");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var json = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(id, json.GetProperty("id").GetString());
        Assert.Equal("services.rollout", json.GetProperty("kind").GetString());
        Assert.Equal("rolledback", json.GetProperty("state").GetString());
        Assert.Equal(1, json.GetProperty("progress").GetProperty("done").GetInt32());
        Assert.Equal(2, json.GetProperty("progress").GetProperty("total").GetInt32());
        Assert.Equal("slot 2 on cp-node3: task exited with 1", json.GetProperty("error").GetString());
        var step = json.GetProperty("steps")[0];
        Assert.Equal("slot 1", step.GetProperty("name").GetString());
        Assert.Equal("cp-node2", step.GetProperty("node").GetString());
        Assert.Equal("demo/app:2", json.GetProperty("parameters").GetProperty("image").GetString());
        Assert.False(json.TryGetProperty("permission", out _));

        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetAsync("/api/operations/nope")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _app.CreateClient().GetAsync($"/api/operations/{id}")).StatusCode);
    }

    [Fact]
    public async Task A_user_sees_only_the_operations_of_the_stacks_they_may_read()
    {
        var shop = await StartAsync("shop", "web", _ => Task.CompletedTask);
        var billing = await StartAsync("billing", "invoices", _ => Task.CompletedTask);
        await Runner.WhenFinishedAsync(shop);
        await Runner.WhenFinishedAsync(billing);
        using var viewer = await UserAsync("shop-viewer", Role.Viewer, "shop");

        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync($"/api/operations/{shop}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync($"/api/operations/{billing}")).StatusCode);
        var listed = await viewer.GetFromJsonAsync<JsonElement[]>($"/api/operations?cluster={Cluster}");
        Assert.Contains(listed!, o => o.GetProperty("id").GetString() == shop);
        Assert.DoesNotContain(listed!, o => o.GetProperty("id").GetString() == billing);

        var history = await _admin.GetFromJsonAsync<JsonElement[]>($"/api/operations?cluster={Cluster}&kind=services.rollout&target=invoices");
        Assert.Equal(billing, Assert.Single(history!).GetProperty("id").GetString());
    }

    [Fact]
    public async Task Cancelling_needs_the_permission_on_the_operations_stack_and_is_audited()
    {
        var id = await StartAsync("shop", "web", ctx => Task.Delay(Timeout.Infinite, ctx.Cancellation));
        using var viewer = await UserAsync("shop-viewer-2", Role.Viewer, "shop");
        using var otherOperator = await UserAsync("billing-operator", Role.Operator, "billing");
        using var shopOperator = await UserAsync("shop-operator", Role.Operator, "shop");

        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync($"/api/operations/{id}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await otherOperator.PostAsync($"/api/operations/{id}/cancel", null)).StatusCode);
        Assert.True(Runner.IsRunningHere(id));

        Assert.Equal(HttpStatusCode.Accepted, (await shopOperator.PostAsync($"/api/operations/{id}/cancel", null)).StatusCode);
        await Runner.WhenFinishedAsync(id);
        var after = await _admin.GetFromJsonAsync<JsonElement>($"/api/operations/{id}");
        Assert.Equal("cancelled", after.GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await shopOperator.PostAsync($"/api/operations/{id}/cancel", null)).StatusCode);

        var audit = await _admin.GetFromJsonAsync<JsonElement[]>("/api/audit?action=operations.cancel");
        Assert.Contains(audit!, a => a.GetProperty("actor").GetString() == "billing-operator" && a.GetProperty("result").GetString() == "denied");
        Assert.Contains(audit!, a => a.GetProperty("actor").GetString() == "shop-operator" && a.GetProperty("result").GetString() == "succeeded");
    }
}
