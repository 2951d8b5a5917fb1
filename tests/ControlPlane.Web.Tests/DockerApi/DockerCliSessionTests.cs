using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.Web.Tests.DockerApi;

/// <summary>
/// More of Debian's docker CLI (<c>/usr/bin/docker</c>, 20.10) through ControlPlane's Docker API endpoint on the local
/// swarm: configs, networks, node labels, followed logs, the hijacked <c>exec</c> and <c>attach</c>, and what a stack
/// user's <c>service ps</c>, <c>events</c> and <c>info</c> show.
/// </summary>
public sealed class DockerCliSessionTests(DockerApiAppFactory factory) : IClassFixture<DockerApiAppFactory>
{
    private const string Cluster = DockerApiAppFactory.ClusterId;
    private const string StackLabel = "com.docker.stack.namespace";
    private const string Image = SwarmEnvironment.DemoImage;
    private static readonly TimeSpan SyncTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StreamTimeout = TimeSpan.FromSeconds(40);

    private readonly HttpClient _admin = factory.CreateAdminClient();

    private async Task SyncedAsync() =>
        await _admin.GetUntilAsync("/api/clusters", (_, json) => json.ValueKind == JsonValueKind.Array && json.EnumerateArray().Any(c => c.GetProperty("status").GetString() == "synced"), SyncTimeout);

    private Task<List<JsonElement>> AuditAsync(string actor) => SettledAudit.ReadAsync(_admin, actor);

    /// <summary>Reads a following command's output until <paramref name="expected"/> appears, then ends the command.</summary>
    private static async Task<string> FollowUntilAsync(Process process, string expected)
    {
        var seen = new StringBuilder();
        using var timeout = new CancellationTokenSource(StreamTimeout);
        try
        {
            var buffer = new char[4096];
            while (!seen.ToString().Contains(expected, StringComparison.Ordinal))
            {
                var read = await process.StandardOutput.ReadAsync(buffer.AsMemory(), timeout.Token);
                if (read == 0)
                {
                    break;
                }
                seen.Append(buffer, 0, read);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        var error = await process.StandardError.ReadToEndAsync();
        Assert.True(seen.ToString().Contains(expected, StringComparison.Ordinal), $"'{expected}' never came; output: {seen} errors: {error}");
        return seen.ToString();
    }

    /// <summary>A running task container of the service on the manager the endpoint forwards to (docker ps goes there).</summary>
    private async Task<string> ContainerOnManagerAsync(string bundle, string service)
    {
        var deadline = DateTime.UtcNow + StreamTimeout;
        while (DateTime.UtcNow < deadline)
        {
            var id = (await factory.DockerOkAsync(bundle, "ps", "-q", "--filter", $"label=com.docker.swarm.service.name={service}")).Trim();
            if (id.Length > 0)
            {
                return id.Split('\n')[0];
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"No running container of {service} on the manager within {StreamTimeout}.");
    }

    [Fact]
    public async Task An_admin_bundle_runs_config_and_network_commands_labels_a_node_and_follows_service_logs()
    {
        await SyncedAsync();
        var (bundle, _) = await factory.CreateBundleAsync(_admin, "hdobjects");
        var label = $"hd-engine-{Guid.NewGuid():N}"[..20];
        var node = (await factory.DockerOkAsync(bundle, "info", "--format", "{{.Swarm.NodeID}}")).Trim();
        try
        {
            var (exit, _, error) = await factory.DockerAsync(bundle, "hd config data", "config", "create", "hdcliconfig", "-");
            Assert.True(exit == 0, error);
            Assert.Contains("hdcliconfig", await factory.DockerOkAsync(bundle, "config", "ls", "--format", "{{.Name}}"));
            await factory.DockerOkAsync(bundle, "config", "rm", "hdcliconfig");
            Assert.DoesNotContain("hdcliconfig", await factory.DockerOkAsync(bundle, "config", "ls", "--format", "{{.Name}}"));

            await factory.DockerOkAsync(bundle, "network", "create", "--driver", "overlay", "hdclinet");
            Assert.Contains("hdclinet", await factory.DockerOkAsync(bundle, "network", "ls", "--format", "{{.Name}}"));
            await factory.DockerOkAsync(bundle, "network", "rm", "hdclinet");
            Assert.DoesNotContain("hdclinet", await factory.DockerOkAsync(bundle, "network", "ls", "--format", "{{.Name}}"));

            await factory.DockerOkAsync(bundle, "node", "update", "--label-add", $"{label}=yes", node);
            Assert.Contains(label, await factory.DockerOkAsync(bundle, "node", "inspect", node, "--format", "{{json .Spec.Labels}}"));

            await factory.DockerOkAsync(bundle, "service", "create", "--detach", "--name", "hdclilogs", "--entrypoint", "sh", Image, "-c", "while true; do echo hdtick; sleep 0.5; done");
            // Followed for as long as it takes the first line to come (about 2 s once the task runs), then ended by the test.
            var logs = await FollowUntilAsync(factory.StartDocker(bundle, "service", "logs", "-f", "--raw", "hdclilogs"), "hdtick");
            Assert.Contains("hdtick", logs);
        }
        finally
        {
            await factory.DockerAsync(bundle, null, "service", "rm", "hdclilogs");
            await factory.DockerAsync(bundle, null, "config", "rm", "hdcliconfig");
            await factory.DockerAsync(bundle, null, "network", "rm", "hdclinet");
            await factory.DockerAsync(bundle, null, "node", "update", "--label-rm", label, node);
        }
        var audit = await AuditAsync("admin (docker cli, bundle hdobjects)");
        Assert.Contains(audit, r => r.GetProperty("action").GetString() == "docker POST /configs/create" && r.GetProperty("result").GetString() == "succeeded");
        Assert.DoesNotContain(Convert.ToBase64String("hd config data"u8), string.Join('\n', audit.Select(r => r.ToString())), StringComparison.Ordinal);
        Assert.Contains(audit, r => r.GetProperty("action").GetString() == "docker POST /networks/create" && r.GetProperty("result").GetString() == "succeeded");
        Assert.Contains(audit, r => r.GetProperty("action").GetString() == "docker POST /nodes/{id}/update" && r.GetProperty("result").GetString() == "succeeded");
    }

    [Fact]
    public async Task Exec_with_and_without_a_tty_with_stdin_and_attach_reach_a_task_container_on_the_manager_and_a_stack_operator_may_not_exec()
    {
        await SyncedAsync();
        var (bundle, _) = await factory.CreateBundleAsync(_admin, "hdsession");
        (await _admin.PostAsJsonAsync("/api/users", new { username = "hdexecop", password = "hdexecop-long-password" })).EnsureSuccessStatusCode();
        (await _admin.PostAsJsonAsync("/api/grants", new { subject = "hdexecop", role = "Operator", scope = new { cluster = Cluster, stack = "hdexec" } })).EnsureSuccessStatusCode();
        using var operatorClient = await factory.CreateSignedInClientAsync("hdexecop", "hdexecop-long-password");
        var (operatorBundle, _) = await factory.CreateBundleAsync(operatorClient, "hdexecterminal");
        // The endpoint forwards to the manager it is connected to; docker exec and attach reach containers on that node.
        var manager = (await factory.DockerOkAsync(bundle, "info", "--format", "{{.Swarm.NodeID}}")).Trim();
        try
        {
            await factory.DockerOkAsync(bundle, "service", "create", "--detach", "--name", "hdexec_web", "--label", $"{StackLabel}=hdexec",
                "--container-label", $"{StackLabel}=hdexec", "--constraint", $"node.id=={manager}", "--entrypoint", "sh", Image, "-c", "while true; do echo hdtick; sleep 0.5; done");
            var container = await ContainerOnManagerAsync(bundle, "hdexec_web");

            Assert.Equal("hd-exec-plain", (await factory.DockerOkAsync(bundle, "exec", container, "echo", "hd-exec-plain")).Trim());
            Assert.Equal("hd-exec-tty", (await factory.DockerOkAsync(bundle, "exec", "-t", container, "echo", "hd-exec-tty")).Trim());
            // /usr/bin/docker half-closes its connection at stdin's end; the engine must hear it, or cat never ends.
            Assert.Equal("hello", (await ExecWithStdinAsync(bundle, container, "hello\n")).Trim());
            var attached = await FollowUntilAsync(factory.StartDocker(bundle, "attach", "--no-stdin", "--sig-proxy=false", container), "hdtick");
            Assert.Contains("hdtick", attached);

            // An Operator of the stack reads it but holds no services.exec: a shell would read the stack's secrets.
            var refused = await factory.DockerAsync(operatorBundle, null, "exec", container, "echo", "no");
            Assert.NotEqual(0, refused.Exit);
            Assert.Contains("Error response from daemon: You have no grant that allows 'services.exec'", refused.Error);
        }
        finally
        {
            await factory.DockerAsync(bundle, null, "service", "rm", "hdexec_web");
        }
        var audit = await AuditAsync("admin (docker cli, bundle hdsession)");
        Assert.Contains(audit, r => r.GetProperty("action").GetString() == "docker POST /containers/{id}/exec" && r.GetProperty("result").GetString() == "succeeded"
            && r.GetProperty("detail").GetString()!.Contains("hd-exec-plain"));
        Assert.Equal(3, audit.Count(r => r.GetProperty("action").GetString() == "docker POST /exec/{id}/start" && r.GetProperty("result").GetString() == "succeeded"));
        // The attach ends on ControlPlane's side once it next writes to the CLI that was ended (or the container goes).
        await _admin.GetUntilAsync($"/api/audit?actor={Uri.EscapeDataString("admin (docker cli, bundle hdsession)")}", (_, json) => json.EnumerateArray().Any(r =>
            r.GetProperty("action").GetString() == "docker POST /containers/{id}/attach" && r.GetProperty("result").GetString() == "succeeded"), SyncTimeout);
        Assert.Contains(await AuditAsync("hdexecop (docker cli, bundle hdexecterminal)"),
            r => r.GetProperty("action").GetString() == "docker POST /containers/{id}/exec" && r.GetProperty("result").GetString() == "denied");
    }

    /// <summary><c>echo … | docker exec -i &lt;container&gt; cat</c> with Debian's CLI: what cat printed, failing when the command does not end by itself.</summary>
    private async Task<string> ExecWithStdinAsync(string bundle, string container, string input)
    {
        using var process = factory.StartDocker(bundle, "exec", "-i", container, "cat");
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"docker exec -i … cat did not end after its stdin ended; output: {await output} errors: {await error}");
        }
        Assert.True(process.ExitCode == 0, $"docker exec -i … cat failed ({process.ExitCode}): {await error}");
        return await output;
    }

    [Fact]
    public async Task A_stack_operator_sees_service_ps_and_events_of_their_stack_only_a_reduced_info_and_may_not_label_nodes()
    {
        await SyncedAsync();
        var (admin, _) = await factory.CreateBundleAsync(_admin, "hdpsadmin");
        (await _admin.PostAsJsonAsync("/api/users", new { username = "hdpsop", password = "hdpsop-long-password" })).EnsureSuccessStatusCode();
        (await _admin.PostAsJsonAsync("/api/grants", new { subject = "hdpsop", role = "Operator", scope = new { cluster = Cluster, stack = "hdps" } })).EnsureSuccessStatusCode();
        using var operatorClient = await factory.CreateSignedInClientAsync("hdpsop", "hdpsop-long-password");
        var (bundle, _) = await factory.CreateBundleAsync(operatorClient, "hdpsterminal");
        var started = DateTimeOffset.UtcNow.AddSeconds(-1);
        try
        {
            await factory.DockerOkAsync(admin, "service", "create", "--detach", "--name", "hdpsnot_web", "--label", $"{StackLabel}=hdpsnot", Image);
            await factory.DockerOkAsync(bundle, "service", "create", "--detach", "--name", "hdps_web", "--label", $"{StackLabel}=hdps", Image);

            // service ps inspects each task's node to print its name; a task not yet scheduled has no node, so wait for it.
            var tasks = "";
            for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(500))
            {
                tasks = (await factory.DockerOkAsync(bundle, "service", "ps", "hdps_web", "--format", "{{.Name}} {{.Node}}")).Trim();
                if (tasks.StartsWith("hdps_web.1 cp-node", StringComparison.Ordinal))
                {
                    break;
                }
            }
            Assert.StartsWith("hdps_web.1 cp-node", tasks, StringComparison.Ordinal);

            var since = started.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            var until = DateTimeOffset.UtcNow.AddSeconds(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            var events = await factory.DockerOkAsync(bundle, "events", "--since", since, "--until", until, "--filter", "type=service", "--format", "{{.Actor.Attributes.name}}");
            Assert.Contains("hdps_web", events);
            Assert.DoesNotContain("hdpsnot_web", events);
            Assert.Contains("hdpsnot_web", await factory.DockerOkAsync(admin, "events", "--since", since, "--until", until, "--filter", "type=service", "--format", "{{.Actor.Attributes.name}}"));

            Assert.Equal("active true", (await factory.DockerOkAsync(bundle, "info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}")).Trim());
            Assert.Equal("", (await factory.DockerOkAsync(bundle, "info", "--format", "{{.KernelVersion}}")).Trim());
            Assert.NotEqual("", (await factory.DockerOkAsync(admin, "info", "--format", "{{.KernelVersion}}")).Trim());

            var node = (await factory.DockerOkAsync(admin, "info", "--format", "{{.Swarm.NodeID}}")).Trim();
            var label = await factory.DockerAsync(bundle, null, "node", "update", "--label-add", "hdpsop=yes", node);
            Assert.NotEqual(0, label.Exit);
            Assert.Contains($"You have no grant that allows 'swarm.engine' on {Cluster}.", label.Error);
        }
        finally
        {
            await factory.DockerAsync(admin, null, "service", "rm", "hdps_web", "hdpsnot_web");
        }
    }
}
