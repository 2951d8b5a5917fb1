using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Secrets;
using ControlPlane.Web.Tests.Infrastructure;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Web.Tests.SecretFamilies;

/// <summary>Every log line the app writes, kept so a test can search them (for a secret value that must not be there).</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Capturing(categoryName, Lines);

    public void Dispose()
    {
    }

    private sealed class Capturing(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        // Everything, debug included: a value logged at any level is a leak.
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}

/// <summary>ControlPlane on the local swarm with its logs captured and a convergence timeout that suits tests.</summary>
public sealed class SecretsAppFactory() : ControlPlaneAppFactory(new Dictionary<string, string?>
{
    ["ControlPlane:Clusters:0:Name"] = SwarmAppFactory.ClusterId,
    ["ControlPlane:Clusters:0:Endpoints:0"] = SwarmEnvironment.DockerHost,
    ["Logging:LogLevel:Default"] = "Debug",
})
{
    public CapturingLoggerProvider Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        builder.ConfigureServices(services => services.AddSingleton(new FileFamilyTimings(TimeSpan.FromSeconds(120))));
    }
}

/// <summary>
/// The app, an admin client and the swarm's engines (the manager and each node's, to read files inside
/// containers), with helpers that create services and families under a unique prefix and remove them after.
/// </summary>
public sealed class SecretsSwarm : IAsyncLifetime
{
    public const string Cluster = SwarmAppFactory.ClusterId;

    public SecretsAppFactory App { get; } = new();

    public HttpClient Admin { get; private set; } = default!;

    public DockerClient Manager { get; } = new DockerClientBuilder().WithEndpoint(new Uri(SwarmEnvironment.DockerHost)).Build();

    public IReadOnlyList<DockerClient> Nodes { get; } = (Environment.GetEnvironmentVariable("CONTROLPLANE_NODE_SOCKETS") ?? SwarmEnvironment.DockerHost)
        .Split(',', StringSplitOptions.RemoveEmptyEntries)
        .Select(e => new DockerClientBuilder().WithEndpoint(new Uri(e)).Build()).ToList();

    /// <summary>Unique per test run, so objects of a run never meet those of another run or of the other tests.</summary>
    public string Run { get; } = Guid.NewGuid().ToString("N")[..6];

    private readonly ConcurrentBag<string> _services = [];

    public Task InitializeAsync()
    {
        Admin = App.CreateAdminClient();
        return Task.CompletedTask;
    }

    public string Name(string what) => $"s5{Run}-{what}";

    public static string Base64(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value));

    /// <summary>Creates a family through the API and answers its version 1's id.</summary>
    public async Task<string> CreateFamilyAsync(string family, string value, string kind = "secrets")
    {
        using var created = await Admin.PostAsJsonAsync($"/api/clusters/{Cluster}/{kind}", new { family, data = Base64(value) });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        return kind == "secrets"
            ? (await Manager.Secrets.ListAsync()).Single(s => s.Spec!.Name == $"{family}.v1").ID!
            : (await Manager.Configs.ListConfigsAsync()).Single(s => s.Spec!.Name == $"{family}.v1").ID!;
    }

    /// <summary>
    /// A replicated service of the demo image, its tasks spread over the nodes (a spread preference rather than a
    /// per-node cap, so start-first updates still have room), mounting <paramref name="secrets"/>.
    /// </summary>
    public async Task<string> CreateServiceAsync(string name, int replicas, IEnumerable<(string Id, string Name, string Target)> secrets, string? stack = null, IList<string>? command = null)
    {
        var created = await Manager.Swarm.CreateServiceAsync(new ServiceCreateParameters
        {
            Service = new ServiceSpec
            {
                Name = name,
                Labels = stack is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["com.docker.stack.namespace"] = stack },
                TaskTemplate = new TaskSpec
                {
                    ContainerSpec = new ContainerSpec
                    {
                        Image = SwarmEnvironment.DemoImage,
                        Command = command,
                        Secrets = secrets.Select(s => new SecretReference
                        {
                            SecretID = s.Id,
                            SecretName = s.Name,
                            File = new SecretReferenceFileTarget { Name = s.Target, UID = "0", GID = "0", Mode = 0x124 },
                        }).ToList(),
                        StopGracePeriod = TimeSpan.FromSeconds(2),
                    },
                    Placement = new Placement { Preferences = [new PlacementPreference { Spread = new SpreadOver { SpreadDescriptor = "node.id" } }] },
                    RestartPolicy = new SwarmRestartPolicy { Condition = "on-failure", Delay = TimeSpan.FromSeconds(1) },
                },
                Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = (ulong)replicas } },
                UpdateConfig = new SwarmUpdateConfig { Parallelism = 1, FailureAction = "pause", Monitor = TimeSpan.FromSeconds(2) },
            },
        });
        _services.Add(created.ID!);
        await WaitAsync(async () => await RunningAsync(created.ID!) >= replicas, TimeSpan.FromSeconds(90), $"{name} runs {replicas} tasks");
        return created.ID!;
    }

    /// <summary>How many of a service's tasks are running right now, as the manager lists them.</summary>
    public async Task<int> RunningAsync(string serviceId)
    {
        var tasks = await Manager.Tasks.ListAsync(new TasksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = new Dictionary<string, bool> { [serviceId] = true } },
        });
        return tasks.Count(t => t.ServiceID == serviceId && t.Status?.State == TaskState.Running);
    }

    /// <summary>The distinct nodes running a service's tasks.</summary>
    public async Task<int> NodesRunningAsync(string serviceId)
    {
        var tasks = await Manager.Tasks.ListAsync(new TasksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = new Dictionary<string, bool> { [serviceId] = true } },
        });
        return tasks.Where(t => t.ServiceID == serviceId && t.Status?.State == TaskState.Running).Select(t => t.NodeID).Distinct().Count();
    }

    /// <summary>Waits until the store has seen the family's versions used by the given services, so the API can act on them.</summary>
    public Task WaitUntilSeenAsync(string family, params string[] services) =>
        Admin.GetUntilAsync($"/api/clusters/{Cluster}/secrets", (status, json) => status == HttpStatusCode.OK
            && services.All(service => json.EnumerateArray().Any(s => s.GetProperty("family").GetString() == family
                && s.GetProperty("usedBy").EnumerateArray().Any(u => u.GetString() == service)))
            && json.EnumerateArray().Any(s => s.GetProperty("family").GetString() == family), TimeSpan.FromSeconds(60));

    /// <summary>Waits for an operation to end and answers its record.</summary>
    public async Task<Operation> FinishedAsync(string operationId, TimeSpan? timeout = null)
    {
        var operations = App.Services.GetRequiredService<IOperationStore>();
        Operation? operation = null;
        await WaitAsync(async () => (operation = await operations.FindAsync(operationId)) is { IsFinished: true }, timeout ?? TimeSpan.FromMinutes(5), $"operation {operationId} ends");
        return operation!;
    }

    /// <summary>Waits until an operation's step is in <paramref name="state"/>.</summary>
    public Task WaitForStepAsync(string operationId, string step, string state)
    {
        var operations = App.Services.GetRequiredService<IOperationStore>();
        return WaitAsync(async () => (await operations.FindAsync(operationId))?.FindStep(step)?.State == state, TimeSpan.FromMinutes(2), $"step '{step}' is {state}");
    }

    /// <summary>Cancels an operation as the bootstrap admin and waits for it to end.</summary>
    public async Task<Operation> CancelAsync(string operationId)
    {
        var admin = new Core.Changes.ChangeCaller(ControlPlaneAppFactory.BootstrapAdmin, [new(0, ControlPlaneAppFactory.BootstrapAdmin, Core.Security.Role.Admin, Core.Security.AccessScope.Everywhere)], null);
        var result = await App.Services.GetRequiredService<OperationRunner>().CancelAsync(admin, operationId);
        Assert.True(result.Succeeded, result.Message);
        return await FinishedAsync(operationId);
    }

    public static async Task<string> OperationIdOf(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("operationId").GetString()!;
    }

    /// <summary>What each running container of a service reads at <paramref name="path"/>, read through the engine of the node that runs it.</summary>
    public async Task<IReadOnlyList<string>> ReadInContainersAsync(string serviceName, string path)
    {
        var contents = new List<string>();
        foreach (var node in Nodes)
        {
            var containers = await node.Containers.ListContainersAsync(new ContainersListParameters
            {
                Filters = new Dictionary<string, IDictionary<string, bool>>
                {
                    ["label"] = new Dictionary<string, bool> { [$"com.docker.swarm.service.name={serviceName}"] = true },
                    ["status"] = new Dictionary<string, bool> { ["running"] = true },
                },
            });
            foreach (var container in containers)
            {
                var exec = await node.Exec.CreateContainerExecAsync(container.ID, new ContainerExecCreateParameters { Cmd = ["cat", path], AttachStdout = true, AttachStderr = true });
                using var stream = await node.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters());
                var (stdout, stderr) = await stream.ReadOutputToEndAsync(CancellationToken.None);
                contents.Add(stdout + stderr);
            }
        }
        return contents;
    }

    public async Task<IReadOnlyList<string>> SecretNamesAsync(string prefix) =>
        (await Manager.Secrets.ListAsync()).Select(s => s.Spec!.Name!).Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order().ToList();

    public async Task<SwarmService> ServiceAsync(string id) => await Manager.Swarm.InspectServiceAsync(id);

    public static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }
            await timer.WaitForNextTickAsync();
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var id in _services)
        {
            try
            {
                await Manager.Swarm.RemoveServiceAsync(id);
            }
            catch (DockerApiException)
            {
                // Removed by the test itself.
            }
        }
        // Secrets stay "in use" until the removed services' tasks are gone.
        await WaitAsync(async () =>
        {
            foreach (var secret in (await Manager.Secrets.ListAsync()).Where(s => s.Spec!.Name!.StartsWith($"s5{Run}-", StringComparison.Ordinal)))
            {
                try
                {
                    await Manager.Secrets.DeleteAsync(secret.ID!);
                }
                catch (DockerApiException)
                {
                    return false;
                }
            }
            foreach (var config in (await Manager.Configs.ListConfigsAsync()).Where(s => s.Spec!.Name!.StartsWith($"s5{Run}-", StringComparison.Ordinal)))
            {
                try
                {
                    await Manager.Configs.RemoveConfigAsync(config.ID!);
                }
                catch (DockerApiException)
                {
                    return false;
                }
            }
            return true;
        }, TimeSpan.FromSeconds(60), "the test's secrets and configs are removed");
        Admin.Dispose();
        Manager.Dispose();
        foreach (var node in Nodes)
        {
            node.Dispose();
        }
        await App.DisposeAsync();
    }
}
