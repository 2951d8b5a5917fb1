using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ControlPlane.Web.Tests.Rollouts;

/// <summary>The image tests share the demo images on the nodes (one removes them to prove a pull), so they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ImageSwarmCollection : ICollectionFixture<SwarmAppFactory>
{
    public const string Name = "image operations on the swarm";
}

/// <summary>Helpers the image tests share: demo services spread one per node, and following an operation through the API.</summary>
internal static class ImageSwarm
{
    public const string Cluster = SwarmAppFactory.ClusterId;

    public static string Registry => Environment.GetEnvironmentVariable("CONTROLPLANE_REGISTRY") is { Length: > 0 } r ? r : "10.99.0.1:5000";

    public static string Demo(string tag) => $"{Registry}/demo/app:{tag}";

    public static DockerClient Manager() => new DockerClientBuilder().WithEndpoint(new Uri(SwarmEnvironment.DockerHost)).Build();

    public static IReadOnlyList<string> NodeEndpoints =>
        (Environment.GetEnvironmentVariable("CONTROLPLANE_NODE_SOCKETS") ?? throw new InvalidOperationException("CONTROLPLANE_NODE_SOCKETS is not set (deploy/local-swarm.sh env)."))
        .Split(',', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A service on demo/app:<paramref name="tag"/>, at most one task per node, with a short monitor so failures show fast.</summary>
    public static ServiceSpec Spec(string name, ulong replicas, string tag, string? stack = null, IList<string>? command = null) => new()
    {
        Name = name,
        Labels = stack is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["com.docker.stack.namespace"] = stack },
        TaskTemplate = new TaskSpec
        {
            ContainerSpec = new ContainerSpec { Image = Demo(tag), Command = command },
            Placement = new Placement { MaxReplicas = 1 },
        },
        Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = replicas } },
        UpdateConfig = new SwarmUpdateConfig { Parallelism = 1, Monitor = TimeSpan.FromSeconds(1), FailureAction = "pause", Order = "stop-first" },
        RollbackConfig = new SwarmUpdateConfig { Parallelism = 0, Monitor = TimeSpan.FromSeconds(1), FailureAction = "pause", Order = "stop-first" },
    };

    public static async Task<string> CreateRunningAsync(HttpClient client, DockerClient docker, ServiceSpec spec)
    {
        var id = (await docker.Swarm.CreateServiceAsync(new ServiceCreateParameters { Service = spec })).ID!;
        var replicas = (int)spec.Mode!.Replicated!.Replicas!.Value;
        await client.GetUntilAsync($"/api/clusters/{Cluster}/services/{spec.Name}",
            (status, json) => status == HttpStatusCode.OK && json.GetProperty("replicasRunning").GetInt32() == replicas, TimeSpan.FromSeconds(120));
        return id;
    }

    /// <summary>Starts an operation and answers its id (asserting 202 and the Location).</summary>
    public static async Task<string> StartAsync(HttpClient client, string path, object body)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST {path}: {(int)response.StatusCode} {text}");
        var id = JsonDocument.Parse(text).RootElement.GetProperty("operationId").GetString()!;
        Assert.Equal($"/api/operations/{id}", response.Headers.Location?.OriginalString);
        return id;
    }

    /// <summary>Follows an operation until it ends; answers its last record and every progress value seen on the way.</summary>
    public static async Task<(JsonElement Operation, List<int> Progress)> FollowAsync(HttpClient client, string operationId, TimeSpan timeout)
    {
        var seen = new List<int>();
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var operation = await client.GetFromJsonAsync<JsonElement>($"/api/operations/{operationId}");
            var done = operation.GetProperty("progress").GetProperty("done").GetInt32();
            if (seen.Count == 0 || seen[^1] != done)
            {
                seen.Add(done);
            }
            if (operation.GetProperty("state").GetString() is "succeeded" or "failed" or "rolledback" or "cancelled")
            {
                return (operation, seen);
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Operation {operationId} did not end within {timeout.TotalSeconds:0}s: {operation}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>The images of the service's tasks that Docker wants running.</summary>
    public static async Task<List<string>> RunningImagesAsync(DockerClient docker, string serviceId)
    {
        var tasks = await docker.Tasks.ListAsync(new TasksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = new Dictionary<string, bool> { [serviceId] = true } },
        });
        return tasks.Where(t => t.ServiceID == serviceId && t.DesiredState.ToString()?.ToLowerInvariant() == "running")
            .Select(t => t.Spec!.ContainerSpec!.Image!).ToList();
    }

    public static async Task RemoveQuietlyAsync(DockerClient docker, string? serviceId)
    {
        if (serviceId is null)
        {
            return;
        }
        try
        {
            await docker.Swarm.RemoveServiceAsync(serviceId);
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }
}
