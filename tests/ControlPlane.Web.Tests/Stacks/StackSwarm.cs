using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.Web.Tests.StackTests;

/// <summary>
/// The real swarm as the stack tests see it: the Engine API in raw JSON (the whole spec, as the deploy writes it),
/// Debian's docker CLI, waits for a stack to converge and a cleanup that removes whatever carries a stack's label.
/// </summary>
internal static class StackSwarm
{
    /// <summary>
    /// Debian's docker CLI 20.10 (package docker.io), the same release as the swarm's engines: its <c>stack deploy</c> is
    /// the reference ControlPlane is compared with. Not /usr/local/bin/docker, a newer CLI that converts differently.
    /// </summary>
    public const string DockerCli = "/usr/bin/docker";

    public const string StackLabel = "com.docker.stack.namespace";

    private static readonly Lazy<HttpClient> Engine = new(() =>
    {
        var socket = new Uri(SwarmEnvironment.DockerHost).LocalPath;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                await s.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(socket), ct);
                return new System.Net.Sockets.NetworkStream(s, ownsSocket: true);
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri("http://engine/v1.41/") };
    });

    public static async Task<JsonArray> GetAsync(string path)
    {
        var body = await Engine.Value.GetStringAsync(path);
        return JsonNode.Parse(body) as JsonArray ?? [];
    }

    public static async Task<JsonNode?> PostAsync(string path, object body)
    {
        using var response = await Engine.Value.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {text}");
        }
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    public static Task DeleteAsync(string path) => Engine.Value.DeleteAsync(path);

    private static string LabelFilter(string stack) => Uri.EscapeDataString($$"""{"label":["{{StackLabel}}={{stack}}"]}""");

    /// <summary>
    /// Every service, network, secret and config of the swarm with its id, name and version: what "unchanged" means for a
    /// refused deploy. Other suites share the swarm and change it meanwhile, so a test may keep only the names it owns
    /// (everything a stack deploy makes is named after its stack).
    /// </summary>
    public static async Task<string> ListingAsync(params string[] prefixes)
    {
        var lines = new List<string>();
        foreach (var kind in new[] { "services", "secrets", "configs" })
        {
            lines.AddRange((await GetAsync(kind)).Select(o => $"{kind} {o!["ID"]} {o["Spec"]!["Name"]} v{o["Version"]!["Index"]}"));
        }
        lines.AddRange((await GetAsync("networks")).Select(n => $"network {n!["Id"]} {n["Name"]}"));
        return string.Join('\n', lines.Where(l => prefixes.Length == 0 || prefixes.Any(p => l.Split(' ')[2].StartsWith(p, StringComparison.Ordinal))).Order(StringComparer.Ordinal));
    }

    /// <summary>Waits until every service of the stack has its desired tasks running on the spec it now has.</summary>
    private static readonly HashSet<string> TerminalTaskStates = ["complete", "failed", "rejected", "shutdown", "orphaned", "remove"];

    public static async Task WaitConvergedAsync(string stack, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var last = "";
        while (clock.Elapsed < timeout)
        {
            var services = await GetAsync($"services?status=true&filters={LabelFilter(stack)}");
            var jobTasks = new Dictionary<string, JsonArray>();
            foreach (var job in services.Where(s => s!["Spec"]!["Mode"] is JsonObject mode && (mode.ContainsKey("ReplicatedJob") || mode.ContainsKey("GlobalJob"))))
            {
                var id = (string)job!["ID"]!;
                jobTasks[id] = await GetAsync($"tasks?filters={Uri.EscapeDataString($$"""{"service":["{{id}}"]}""")}");
            }
            var pending = services.Where(s =>
            {
                if (jobTasks.TryGetValue((string)s!["ID"]!, out var own))
                {
                    // A job has converged once its tasks have run and ended. Its desired count follows the nodes
                    // (a global job), which other tests pause and drain on the shared swarm meanwhile.
                    return own.Count == 0 || own.Any(t => !TerminalTaskStates.Contains((string?)t!["Status"]?["State"] ?? ""));
                }
                var status = s["ServiceStatus"];
                var running = (long?)status?["RunningTasks"] ?? 0;
                var desired = (long?)status?["DesiredTasks"] ?? 0;
                var updating = (string?)s["UpdateStatus"]?["State"] is "updating" or "rollback_started";
                return running != desired || updating;
            }).Select(s => (string?)s!["Spec"]!["Name"]).ToList();
            if (services.Count > 0 && pending.Count == 0)
            {
                return;
            }
            last = services.Count == 0 ? "no services" : string.Join(", ", pending);
            await Task.Delay(250);
        }
        throw new TimeoutException($"Stack {stack} did not converge within {timeout.TotalSeconds:0} s: {last}");
    }

    /// <summary>Waits until nothing of the swarm is named after the stack any more.</summary>
    public static async Task WaitGoneAsync(string stack, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        List<string> left;
        do
        {
            left = (await ListingAsync()).Split('\n').Where(line => line.Contains($" {stack}_", StringComparison.Ordinal)).ToList();
            if (left.Count == 0)
            {
                return;
            }
            await Task.Delay(250);
        }
        while (clock.Elapsed < timeout);
        throw new TimeoutException($"Left of stack {stack} after {timeout.TotalSeconds:0} s: {string.Join("; ", left)}");
    }

    /// <summary>Removes whatever carries the stack's label, services first; for the end of every test whatever happened in it.</summary>
    public static async Task RemoveAsync(params string[] stacks)
    {
        foreach (var stack in stacks)
        {
            foreach (var service in await GetAsync($"services?filters={LabelFilter(stack)}"))
            {
                await DeleteAsync($"services/{service!["ID"]}");
            }
        }
        var clock = Stopwatch.StartNew();
        foreach (var stack in stacks)
        {
            foreach (var kind in new[] { "secrets", "configs" })
            {
                foreach (var item in await GetAsync($"{kind}?filters={LabelFilter(stack)}"))
                {
                    await DeleteAsync($"{kind}/{item!["ID"]}");
                }
            }
            // A network stays in use while the removed services' tasks stop.
            while (clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                var networks = await GetAsync($"networks?filters={LabelFilter(stack)}");
                if (networks.Count == 0)
                {
                    break;
                }
                foreach (var network in networks)
                {
                    await DeleteAsync($"networks/{network!["Id"]}");
                }
                await Task.Delay(250);
            }
        }
    }

    /// <summary>Runs Debian's docker CLI against the manager with extra environment; fails with its output when it fails.</summary>
    public static Task<string> CliAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        CliAsync(environment, DockerCli, arguments);

    /// <summary>Runs the docker CLI at <paramref name="cli"/> (another release where a test needs one) the same way.</summary>
    public static async Task<string> CliAsync(IReadOnlyDictionary<string, string> environment, string cli, string[] arguments)
    {
        var start = new ProcessStartInfo(cli) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-H");
        start.ArgumentList.Add(SwarmEnvironment.DockerHost);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        start.Environment.Remove("DOCKER_HOST");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}{await output}");
        }
        return await output + await error;
    }
}

/// <summary>The stack API as a client calls it, with the wait for the operation it starts.</summary>
internal static class StackApi
{
    public static string Stacks => $"/api/clusters/{SwarmAppFactory.ClusterId}/stacks";

    public static object Body(string name, string compose, IReadOnlyDictionary<string, string>? variables = null, bool prune = false) =>
        new { name, compose, variables, prune };

    public static Task<HttpResponseMessage> DeployAsync(this HttpClient client, string name, string compose, IReadOnlyDictionary<string, string>? variables = null, bool prune = false) =>
        client.PostAsJsonAsync(Stacks, Body(name, compose, variables, prune));

    public static Task<HttpResponseMessage> PreviewAsync(this HttpClient client, string name, string compose, IReadOnlyDictionary<string, string>? variables = null, bool prune = false) =>
        client.PostAsJsonAsync($"{Stacks}/preview", Body(name, compose, variables, prune));

    /// <summary>Deploys and waits for the operation to end; fails with the operation when it did not succeed.</summary>
    public static async Task<JsonElement> DeployAndWaitAsync(this HttpClient client, string name, string compose, IReadOnlyDictionary<string, string>? variables = null, bool prune = false)
    {
        using var response = await client.DeployAsync(name, compose, variables, prune);
        return await client.FinishedAsync(response);
    }

    /// <summary>The operation a 202 started, once it has ended; fails unless it succeeded.</summary>
    public static async Task<JsonElement> FinishedAsync(this HttpClient client, HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"expected 202, got {(int)response.StatusCode} {body}");
        var id = JsonDocument.Parse(body).RootElement.GetProperty("operationId").GetString();
        Assert.Equal($"/api/operations/{id}", response.Headers.Location?.ToString());
        var operation = await client.GetUntilAsync($"/api/operations/{id}",
            (status, json) => status == HttpStatusCode.OK && json.GetProperty("state").GetString() is "succeeded" or "failed" or "rolledback" or "cancelled", TimeSpan.FromSeconds(120));
        Assert.True(operation.GetProperty("state").GetString() == "succeeded", $"the operation did not succeed: {operation}");
        return operation;
    }

    /// <summary>The <c>errors</c> of a 400 problem: each problem's line, column and key.</summary>
    public static async Task<IReadOnlyList<(int Line, int Column, string Key, string Message)>> ErrorsAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"expected 400, got {(int)response.StatusCode} {body}");
        var json = JsonDocument.Parse(body).RootElement;
        return json.GetProperty("errors").EnumerateArray()
            .Select(e => (e.GetProperty("line").GetInt32(), e.GetProperty("column").GetInt32(), e.GetProperty("key").GetString()!, e.GetProperty("message").GetString()!))
            .ToList();
    }
}
