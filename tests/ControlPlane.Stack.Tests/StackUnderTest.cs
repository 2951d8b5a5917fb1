using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;

namespace ControlPlane.Stack.Tests;

/// <summary>
/// ControlPlane as <c>deploy/stack.sh up</c> runs it on the local swarm: three replicas from the image built by
/// <c>deploy/images.sh</c>, one per node on the node's own address (the local swarm has no routing mesh, see
/// <c>deploy/stack.local.yml</c>), with PostgreSQL and Redis on the manager. Addresses and the admin's password come
/// from <c>deploy/stack.sh env</c>, which <c>tests/run.sh</c> exports. Containers are found and killed on each node's
/// own engine with Debian's docker CLI (<c>/usr/bin/docker</c>, 20.10, like the engines).
/// </summary>
public sealed class StackUnderTest
{
    public const string DebianDocker = "/usr/bin/docker";
    public const string Cluster = "local";
    public const string AdminUser = "admin";
    public const string DemoImage = "10.99.0.1:5000/demo/app:1";

    public StackUnderTest()
    {
        Replicas = Required("CONTROLPLANE_STACK_URLS").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(u => new Uri(u)).ToList();
        NodeEngines = Required("CONTROLPLANE_STACK_NODE_ENGINES").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        AdminPassword = File.ReadAllText(Required("CONTROLPLANE_STACK_ADMIN_PASSWORD_FILE")).Trim();
        MetricsToken = File.ReadAllText(Required("CONTROLPLANE_STACK_METRICS_TOKEN_FILE")).Trim();
        Name = Required("CONTROLPLANE_STACK");
        if (Replicas.Count != NodeEngines.Count)
        {
            throw new InvalidOperationException("CONTROLPLANE_STACK_URLS and CONTROLPLANE_STACK_NODE_ENGINES must list one entry per node, in the same order.");
        }
    }

    /// <summary>One ControlPlane replica per node, in node order.</summary>
    public IReadOnlyList<Uri> Replicas { get; }

    /// <summary>Each node's engine (unix socket), in node order; the first is the manager.</summary>
    public IReadOnlyList<string> NodeEngines { get; }

    public string AdminPassword { get; }

    /// <summary>The scrape token of <c>/metrics</c> (<c>ControlPlane:Metrics:Token</c>, a Docker secret in the stack).</summary>
    public string MetricsToken { get; }

    /// <summary>The sum of a metric's samples (<paramref name="label"/>, when given, in their labels) in one replica's <c>/metrics</c>.</summary>
    public async Task<double> MetricAsync(Uri replica, string metric, string? label = null)
    {
        using var client = Client(replica);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", MetricsToken);
        var exposition = await client.GetStringAsync("/metrics");
        return exposition.Split('\n')
            .Where(line => line.StartsWith(metric, StringComparison.Ordinal) && (line.Length == metric.Length || line[metric.Length] is ' ' or '{'))
            .Where(line => label is null || line.Contains(label, StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The stack's name: its services are <c>{Name}_controlplane</c>, <c>{Name}_postgres</c>, <c>{Name}_redis</c>.</summary>
    public string Name { get; }

    public string Manager => NodeEngines[0];

    private static string Required(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{variable} is not set. These tests need ControlPlane deployed as a stack: run tests/run.sh, " +
                "or deploy/stack.sh up and export what deploy/stack.sh env prints.");

    /// <summary>A client of one replica, trusting its self-signed certificate, not signed in.</summary>
    public static HttpClient Client(Uri replica, CookieContainer? cookies = null) => new(new SocketsHttpHandler
    {
        CookieContainer = cookies ?? new CookieContainer(),
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        ConnectTimeout = TimeSpan.FromSeconds(3),
    })
    { BaseAddress = replica, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>A client of <paramref name="replica"/> signed in as the bootstrap admin; its session cookie lands in <paramref name="cookies"/> when given.</summary>
    public async Task<HttpClient> AdminAsync(Uri replica, CookieContainer? cookies = null)
    {
        var client = Client(replica, cookies);
        using var login = await client.PostAsJsonAsync("/api/auth/login", new { username = AdminUser, password = AdminPassword });
        Assert.True(login.IsSuccessStatusCode, $"signing in on {replica}: {(int)login.StatusCode} {await login.Content.ReadAsStringAsync()}");
        return client;
    }

    /// <summary>Runs Debian's docker CLI against <paramref name="engine"/>; answers its output, fails with its errors.</summary>
    public static async Task<string> DockerAsync(string engine, params string[] args)
    {
        var start = new ProcessStartInfo(DebianDocker) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add("-H");
        start.ArgumentList.Add(engine);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker -H {engine} {string.Join(' ', args)} failed ({process.ExitCode}): {await error}");
        }
        return (await output).Trim();
    }

    /// <summary>The ids of <paramref name="service"/>'s running containers, node by node.</summary>
    public async Task<IReadOnlyList<string>> ContainersAsync(string service)
    {
        var found = new List<string>();
        foreach (var engine in NodeEngines)
        {
            found.Add(await DockerAsync(engine, "ps", "-q", "--no-trunc", "--filter", $"label=com.docker.swarm.service.name={Name}_{service}"));
        }
        return found;
    }

    /// <summary>Kills (SIGKILL, as <c>docker kill</c> does) the running container of <paramref name="service"/> on node <paramref name="node"/>.</summary>
    public async Task<string> KillAsync(string service, int node)
    {
        var container = (await DockerAsync(NodeEngines[node], "ps", "-q", "--filter", $"label=com.docker.swarm.service.name={Name}_{service}")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var id = Assert.Single(container);
        await DockerAsync(NodeEngines[node], "kill", id);
        return id;
    }

    /// <summary>Waits until every replica answers <paramref name="path"/> with 200 (swarm restarts a killed one by itself).</summary>
    public async Task AllAnswerAsync(string path, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        foreach (var replica in Replicas)
        {
            using var client = Client(replica);
            while (true)
            {
                try
                {
                    using var answer = await client.GetAsync(path);
                    if (answer.StatusCode == HttpStatusCode.OK)
                    {
                        break;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                }
                Assert.True(DateTime.UtcNow < deadline, $"{replica} did not answer {path} with 200 within {timeout.TotalSeconds:0} s");
                await Task.Delay(500);
            }
        }
    }

    public static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out after {timeout.TotalSeconds:0} s waiting for: {what}");
            await Task.Delay(250);
        }
    }

    /// <summary>True when the request never reached a replica (nothing listens, or the address is gone): a balancer sends it elsewhere.</summary>
    public static bool NeverArrived(HttpRequestException e) =>
        e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.TimedOut }
        || e.HttpRequestError == HttpRequestError.ConnectionError;
}
