using ControlPlane.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Xunit.Abstractions;

namespace ControlPlane.ApiClient.Tests;

/// <summary>
/// The NSwag-generated client (built from the committed document) against the real app on the real swarm, as an
/// automation team would use it: sign in, make itself an API token, then with the token alone create a service, list
/// services, roll the service out to a new image and follow the operation to its end.
/// </summary>
public sealed class GeneratedClientTests(SwarmAppFactory app, ITestOutputHelper output) : IClassFixture<SwarmAppFactory>
{
    private const string Cluster = SwarmAppFactory.ClusterId;

    private static string Registry => Environment.GetEnvironmentVariable("CONTROLPLANE_REGISTRY") is { Length: > 0 } r ? r : "10.99.0.1:5000";

    private readonly string _run = Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task The_generated_client_signs_in_with_a_token_lists_services_and_follows_a_rollout()
    {
        // A token is made by a signed-in user (never with another token): the one cookie sign-in, through the client too.
        using var browser = app.CreateClient();
        var signedIn = new ControlPlaneClient(browser);
        await signedIn.SignInAsync(new LoginRequest { Username = ControlPlaneAppFactory.BootstrapAdmin, Password = ControlPlaneAppFactory.BootstrapPassword });
        var token = await signedIn.CreateTokenAsync(new CreateTokenRequest { Name = $"apiclient-{_run}", ExpiresInDays = 1 });
        Assert.StartsWith("cpt_", token.Token);

        using var http = app.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token.Token);
        var api = new ControlPlaneClient(http);

        // Without the token the same client is refused, as the document says (401 with a problem).
        using var anonymous = app.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        var refused = await Assert.ThrowsAsync<ApiException<ProblemDetails>>(() => new ControlPlaneClient(anonymous).ListServicesAsync(Cluster));
        Assert.Equal(401, refused.StatusCode);

        var name = $"apiclient-{_run}";
        var created = await api.CreateServiceAsync(Cluster, new ServiceRequest { Name = name, Image = $"{Registry}/demo/app:1", Replicas = 2 });
        try
        {
            Assert.Equal(name, created.Name);
            // Reads answer from ControlPlane's picture, which learns of the new service from the engine's events: a
            // moment after the create it may not hold it yet (404), as it may not hold both replicas running.
            await UntilAsync(async () => await ServiceOrNullAsync(api, name) is { ReplicasRunning: 2 }, TimeSpan.FromSeconds(120), "both replicas running");
            Assert.Contains(await api.ListServicesAsync(Cluster), s => s.Name == name && s.Image.StartsWith($"{Registry}/demo/app:1@sha256:", StringComparison.Ordinal));

            var started = await api.RolloutServiceAsync(Cluster, name,
                new RolloutRequest { Image = $"{Registry}/demo/app:2", Update = new UpdateSettings { Parallelism = 1, MonitorSeconds = 1 } });
            var progress = new List<string>();
            Operation operation = null!;
            await UntilAsync(async () =>
            {
                operation = await api.GetOperationAsync(started.OperationId);
                var seen = $"{operation.State} {operation.Progress.Done}/{operation.Progress.Total}";
                if (progress.Count == 0 || progress[^1] != seen)
                {
                    progress.Add(seen);
                }
                return operation.FinishedAt is not null;
            }, TimeSpan.FromMinutes(3), "the rollout to finish");

            output.WriteLine($"rollout {started.OperationId}: {string.Join(" → ", progress)}");
            Assert.Equal("succeeded", operation.State);
            Assert.Equal(2, operation.Progress.Total);
            Assert.Equal(2, operation.Progress.Done);
            Assert.Equal("rollout", operation.Kind);
            Assert.StartsWith($"{Registry}/demo/app:2@sha256:", (await api.GetServiceAsync(Cluster, name)).Image);
            Assert.Contains(await api.ListOperationsAsync(Cluster, "rollout", null, null, 100), o => o.Id == started.OperationId);

            // A problem the app answers is the client's typed exception, with what the document says it carries.
            var missing = await Assert.ThrowsAsync<ApiException<ProblemDetails>>(() => api.GetServiceAsync(Cluster, $"no-such-{_run}"));
            Assert.Equal(404, missing.StatusCode);
            Assert.Contains($"no-such-{_run}", missing.Result.Detail);
        }
        finally
        {
            await api.RemoveServiceAsync(Cluster, name);
        }
    }

    private static async Task<ClusterService?> ServiceOrNullAsync(ControlPlaneClient api, string name)
    {
        try
        {
            return await api.GetServiceAsync(Cluster, name);
        }
        catch (ApiException<ProblemDetails> ex) when (ex.StatusCode == 404)
        {
            return null;
        }
    }

    /// <summary>Asks again every 250 ms until the condition holds; fails naming what it waited for.</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Waited {timeout} for {what}.");
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
    }
}
