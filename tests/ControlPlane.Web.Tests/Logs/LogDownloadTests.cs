using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ControlPlane.Web.Tests.Logs;

/// <summary>The log download endpoints of a ControlPlane watching the real local swarm.</summary>
public sealed class LogDownloadTests(SwarmAppFactory factory) : IClassFixture<SwarmAppFactory>
{
    private const string Cluster = SwarmAppFactory.ClusterId;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private readonly HttpClient _client = factory.CreateAdminClient();

    [Fact]
    public async Task A_service_s_logs_download_as_a_text_attachment_with_its_lines()
    {
        using var docker = new DockerClientBuilder().WithEndpoint(new Uri(SwarmEnvironment.DockerHost)).Build();
        var name = $"dl-{Guid.NewGuid():N}"[..15];
        var id = await CreateChattyServiceAsync(docker, name);
        try
        {
            var response = await GetUntilAsync($"/api/clusters/{Cluster}/services/{name}/logs?tail=5",
                body => body.Contains("line 3", StringComparison.Ordinal));

            Assert.Equal(HttpStatusCode.OK, response.Status);
            Assert.Equal("text/plain", response.ContentType);
            Assert.Equal("attachment", response.Disposition?.DispositionType);
            Assert.StartsWith($"{name}-", response.Disposition?.FileNameStar ?? response.Disposition?.FileName?.Trim('"'));
            var lines = response.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.InRange(lines.Length, 1, 5);
            // "<time> <stream> <task> <text>", one line per log line.
            Assert.All(lines, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z (stdout|stderr) \w+ (line|err) \d+$", l));
            Assert.Contains(lines, l => l.Contains(" stderr ", StringComparison.Ordinal));
        }
        finally
        {
            await docker.Swarm.RemoveServiceAsync(id);
        }
    }

    [Fact]
    public async Task A_container_s_logs_download_by_id()
    {
        using var docker = new DockerClientBuilder().WithEndpoint(new Uri(SwarmEnvironment.DockerHost)).Build();
        var name = $"dlc-{Guid.NewGuid():N}"[..16];
        var id = await CreateChattyServiceAsync(docker, name, onManager: true);
        try
        {
            var containerId = await RunningContainerAsync(docker, id);

            var response = await GetUntilAsync($"/api/clusters/{Cluster}/containers/{containerId}/logs?timestamps=false",
                body => body.Contains("stdout line 2", StringComparison.Ordinal));

            Assert.Equal("attachment", response.Disposition?.DispositionType);
            Assert.StartsWith("stdout line 0\n", response.Body.Replace("stderr err 0\n", ""));
        }
        finally
        {
            await docker.Swarm.RemoveServiceAsync(id);
        }
    }

    [Fact]
    public async Task An_unknown_service_answers_404_problem_details_that_name_it()
    {
        var name = $"no-such-service-{Guid.NewGuid():N}";

        var response = await _client.GetAsync($"/api/clusters/{Cluster}/services/{name}/logs");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal($"Service '{name}' no longer exists in cluster '{Cluster}'.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_unknown_cluster_answers_404()
    {
        var response = await _client.GetAsync("/api/clusters/no-such-cluster/containers/abc/logs");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static async Task<string> CreateChattyServiceAsync(DockerClient docker, string name, bool onManager = false)
    {
        var created = await docker.Swarm.CreateServiceAsync(new ServiceCreateParameters
        {
            Service = new ServiceSpec
            {
                Name = name,
                Labels = new Dictionary<string, string> { ["controlplane.test"] = "true" },
                TaskTemplate = new TaskSpec
                {
                    ContainerSpec = new ContainerSpec
                    {
                        Image = SwarmEnvironment.DemoImage,
                        // PID 1 exits at once on SIGTERM, so removal does not wait out the grace period.
                        Command = ["sh", "-c", "trap 'exit 0' TERM; i=0; while :; do echo \"line $i\"; echo \"err $i\" >&2; i=$((i+1)); sleep 0.2; done"],
                    },
                    Placement = onManager ? new Placement { Constraints = ["node.role==manager"] } : null,
                },
                Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = 1 } },
            },
        });
        return created.ID ?? throw new InvalidOperationException("Docker created the service without an id.");
    }

    private static async Task<string> RunningContainerAsync(DockerClient docker, string serviceId)
    {
        var parameters = new TasksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = new Dictionary<string, bool> { [serviceId] = true } },
        };
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        do
        {
            var containerId = (await docker.Tasks.ListAsync(parameters))
                .Where(t => t.ServiceID == serviceId && t.Status?.State == TaskState.Running)
                .Select(t => t.Status?.ContainerStatus?.ContainerID)
                .FirstOrDefault(c => c is not null);
            if (containerId is not null)
            {
                return containerId;
            }
        }
        while (clock.Elapsed < Timeout && await timer.WaitForNextTickAsync());
        throw new TimeoutException($"No task of service {serviceId} ran within {Timeout.TotalSeconds:0}s.");
    }

    private sealed record Download(HttpStatusCode Status, string? ContentType, System.Net.Http.Headers.ContentDispositionHeaderValue? Disposition, string Body);

    /// <summary>GETs the download until its body satisfies the condition (the service needs a moment to write).</summary>
    private async Task<Download> GetUntilAsync(string path, Func<string, bool> until)
    {
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        var last = "no answer yet";
        do
        {
            using var response = await _client.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            last = $"{(int)response.StatusCode} {body}";
            if (response.IsSuccessStatusCode && until(body))
            {
                return new Download(response.StatusCode, response.Content.Headers.ContentType?.MediaType, response.Content.Headers.ContentDisposition, body);
            }
        }
        while (clock.Elapsed < Timeout && await timer.WaitForNextTickAsync());
        throw new TimeoutException($"GET {path} did not give the expected lines within {Timeout.TotalSeconds:0}s. Last answer: {last}");
    }
}
