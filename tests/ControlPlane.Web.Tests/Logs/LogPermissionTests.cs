using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ControlPlane.Web.Tests.Logs;

/// <summary>
/// Who may download which logs, on the real swarm: the log permission on the service's own stack, nothing
/// less. A refusal is a 403 problem that holds no line and tells nothing about other stacks.
/// </summary>
public sealed class LogPermissionTests(StackLogsSwarm swarm) : IClassFixture<StackLogsSwarm>
{
    private const string Cluster = SwarmAppFactory.ClusterId;

    [Fact]
    public async Task A_viewer_of_one_stack_is_refused_another_stacks_logs_and_learns_nothing_about_that_stack()
    {
        using var viewer = await swarm.UserAsync("viewa", "Viewer", swarm.StackA);

        var known = await GetAsync(viewer, $"/api/clusters/{Cluster}/services/{swarm.ServiceB}/logs");
        var unknown = await GetAsync(viewer, $"/api/clusters/{Cluster}/services/{swarm.StackB}_nothing/logs");

        Assert.Equal(HttpStatusCode.Forbidden, known.Status);
        Assert.Equal("application/problem+json", known.ContentType);
        Assert.DoesNotContain("line", known.Body, StringComparison.Ordinal);
        // The refusal of B's real service reads like that of a name nobody knows: no stack, no existence oracle.
        Assert.DoesNotContain(swarm.StackB, known.Detail.Replace(swarm.ServiceB, ""), StringComparison.Ordinal);
        Assert.Equal(unknown.Detail.Replace($"{swarm.StackB}_nothing", "X"), known.Detail.Replace(swarm.ServiceB, "X"));
        var audit = await swarm.Admin.GetStringAsync($"/api/audit?actor={swarm.Name("viewa")}&action=services.logs");
        Assert.Contains("denied", audit, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(swarm.ServiceB, audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cluster_viewer_reads_no_logs_and_an_operator_of_a_stack_reads_no_container_outside_it()
    {
        using var viewer = await swarm.UserAsync("viewall", "Viewer", stack: null);
        using var operatorA = await swarm.UserAsync("opa2", "Operator", swarm.StackA);

        var refused = new[]
        {
            await GetAsync(viewer, $"/api/clusters/{Cluster}/services/{swarm.ServiceA}/logs"),
            await GetAsync(operatorA, $"/api/clusters/{Cluster}/services/{swarm.ServiceB}/logs"),
            await GetAsync(operatorA, $"/api/clusters/{Cluster}/containers/any-name-at-all/logs"),
        };

        Assert.All(refused, r => Assert.Equal(HttpStatusCode.Forbidden, r.Status));
        Assert.All(refused, r => Assert.DoesNotContain("line", r.Body, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_operator_of_a_stack_reads_its_logs()
    {
        using var operatorA = await swarm.UserAsync("opa", "Operator", swarm.StackA);

        var read = await GetAsync(operatorA, $"/api/clusters/{Cluster}/services/{swarm.ServiceA}/logs?tail=5");

        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.Contains("line", read.Body, StringComparison.Ordinal);
    }

    private static async Task<Answer> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        var detail = response.Content.Headers.ContentType?.MediaType == "application/problem+json"
            ? JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString() ?? ""
            : "";
        return new Answer(response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, detail);
    }

    private sealed record Answer(HttpStatusCode Status, string? ContentType, string Body, string Detail);
}

/// <summary>Two stacks of the real swarm, one chatty service each, that the admin can already read the logs of.</summary>
public sealed class StackLogsSwarm : IAsyncLifetime
{
    private const string Password = "stack-logs-password-1";

    private readonly DockerClient _docker = new DockerClientBuilder().WithEndpoint(new Uri(SwarmEnvironment.DockerHost)).Build();
    private readonly List<string> _serviceIds = [];

    public SwarmAppFactory App { get; } = new();

    public HttpClient Admin { get; private set; } = default!;

    /// <summary>Unique per run, so these stacks never meet another run's.</summary>
    private string Run { get; } = Guid.NewGuid().ToString("N")[..6];

    public string StackA => $"lpa{Run}";

    public string StackB => $"lpb{Run}";

    public string ServiceA => $"{StackA}_web";

    public string ServiceB => $"{StackB}_db";

    public string Name(string what) => $"lp{Run}-{what}";

    public async Task InitializeAsync()
    {
        Admin = App.CreateAdminClient();
        foreach (var (stack, name) in new[] { (StackA, ServiceA), (StackB, ServiceB) })
        {
            _serviceIds.Add(await CreateChattyServiceAsync(stack, name));
        }
        // The store knows both services (and they have written) once the admin can read their lines.
        foreach (var name in new[] { ServiceA, ServiceB })
        {
            await Admin.GetUntilAsync($"/api/clusters/{SwarmAppFactory.ClusterId}/services/{name}", (status, _) => status == HttpStatusCode.OK, TimeSpan.FromSeconds(90));
            await WaitForLinesAsync(name);
        }
    }

    /// <summary>A user made by the admin through the API, with one grant, signed in.</summary>
    public async Task<HttpClient> UserAsync(string name, string role, string? stack)
    {
        var user = Name(name);
        (await Admin.PostAsJsonAsync("/api/users", new { username = user, password = Password })).EnsureSuccessStatusCode();
        (await Admin.PostAsJsonAsync("/api/grants", new { subject = user, role, scope = new { cluster = SwarmAppFactory.ClusterId, stack } })).EnsureSuccessStatusCode();
        return await App.CreateSignedInClientAsync(user, Password);
    }

    private async Task WaitForLinesAsync(string service)
    {
        var path = $"/api/clusters/{SwarmAppFactory.ClusterId}/services/{service}/logs?tail=5";
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        var last = "no answer yet";
        do
        {
            using var response = await Admin.GetAsync(path);
            last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            if (response.IsSuccessStatusCode && last.Contains("line", StringComparison.Ordinal))
            {
                return;
            }
        }
        while (clock.Elapsed < TimeSpan.FromSeconds(90) && await timer.WaitForNextTickAsync());
        throw new TimeoutException($"GET {path} as the admin gave no line within 90s. Last answer: {last}");
    }

    private async Task<string> CreateChattyServiceAsync(string stack, string name)
    {
        var created = await _docker.Swarm.CreateServiceAsync(new ServiceCreateParameters
        {
            Service = new ServiceSpec
            {
                Name = name,
                Labels = new Dictionary<string, string> { ["controlplane.test"] = "true", ["com.docker.stack.namespace"] = stack },
                TaskTemplate = new TaskSpec
                {
                    ContainerSpec = new ContainerSpec
                    {
                        Image = SwarmEnvironment.DemoImage,
                        // PID 1 exits at once on SIGTERM, so removal does not wait out the grace period.
                        Command = ["sh", "-c", "trap 'exit 0' TERM; i=0; while :; do echo \"line $i\"; i=$((i+1)); sleep 0.5; done"],
                    },
                },
                Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = 1 } },
            },
        });
        return created.ID ?? throw new InvalidOperationException("Docker created the service without an id.");
    }

    public async Task DisposeAsync()
    {
        foreach (var id in _serviceIds)
        {
            await _docker.Swarm.RemoveServiceAsync(id);
        }
        Admin.Dispose();
        _docker.Dispose();
        await App.DisposeAsync();
    }
}
