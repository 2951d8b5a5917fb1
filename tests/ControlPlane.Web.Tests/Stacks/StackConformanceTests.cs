using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;
using ControlPlane.Web.Tests.StackConformance;

namespace ControlPlane.Web.Tests.StackTests;

/// <summary>
/// The external objects the corpus names (its README's contract): a secret, a config, an attachable overlay network,
/// and a ControlPlane secret family made through ControlPlane's API. Removed at the end.
/// </summary>
public sealed class ConformanceHost : IAsyncLifetime
{
    public const string Family = "conformance-family";

    public StackHost Host { get; } = new();

    public async Task InitializeAsync()
    {
        await Host.InitializeAsync();
        await RemoveExternalsAsync();
        await StackSwarm.PostAsync("secrets/create", new { Name = "conformance_ext_secret", Data = "c2VjcmV0" });
        await StackSwarm.PostAsync("configs/create", new { Name = "conformance_ext_config", Data = "Y29uZmln" });
        await StackSwarm.PostAsync("networks/create", new { Name = "conformance_ext_net", Driver = "overlay", Attachable = true, CheckDuplicate = true });
        using var family = await Host.Admin.PostAsJsonAsync($"/api/clusters/{SwarmAppFactory.ClusterId}/secrets", new { family = Family, data = "ZmFtaWx5" });
        Assert.True(family.StatusCode == HttpStatusCode.Created, await family.Content.ReadAsStringAsync());
        // Deploys resolve the family from ControlPlane's picture: wait until the picture has it.
        await Host.Admin.GetUntilAsync($"/api/clusters/{SwarmAppFactory.ClusterId}/secrets", (status, json) =>
            status == HttpStatusCode.OK && json.EnumerateArray().Any(s => s.GetProperty("name").GetString() == $"{Family}.v1"), TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        await RemoveExternalsAsync();
        await Host.DisposeAsync();
    }

    private static async Task RemoveExternalsAsync()
    {
        foreach (var (kind, name) in new[] { ("secrets", "conformance_ext_secret"), ("secrets", $"{Family}.v1"), ("configs", "conformance_ext_config"), ("networks", "conformance_ext_net") })
        {
            await StackSwarm.DeleteAsync($"{kind}/{name}");
        }
    }
}

/// <summary>
/// Conformance with the docker CLI on the real swarm (DESIGN §9): every corpus file is deployed by Debian's docker
/// CLI 20.10 (<see cref="StackSwarm.DockerCli"/>, the release of the engines; 28.2 for the jobs file, which 20.10
/// refuses) as <c>cliNN</c> and through ControlPlane's API as <c>cpNN</c>, each waited for until it converges, and
/// the two stacks must give the same <see cref="StackSnapshot"/>. Files run a few at a time; the two stacks of one
/// file run one after the other, because a file's published ports are the same in both.
/// </summary>
public sealed class StackConformanceTests(ConformanceHost conformance) : IClassFixture<ConformanceHost>
{
    private static readonly string Corpus = Path.Combine(AppContext.BaseDirectory, "Stacks", "Corpus");

    private const string NewerCli = "/usr/local/bin/docker";

    private HttpClient Admin => conformance.Host.Admin;

    private static readonly HttpClient Engine = StackSnapshot.EngineClient(SwarmEnvironment.DockerHost);

    private static Dictionary<string, string> Variables(string file)
    {
        var vars = Path.ChangeExtension(file, ".vars");
        return !File.Exists(vars) ? [] : File.ReadAllLines(vars)
            .Where(l => l.Length > 0 && !l.StartsWith('#') && l.Contains('='))
            .ToDictionary(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..]);
    }

    /// <summary>Deploys the file with the docker CLI, then through ControlPlane, and answers both snapshots (or why they could not be taken).</summary>
    private async Task<(string Cli, string ControlPlane)> BothAsync(string number, string compose, Dictionary<string, string> variables, string cliPath, bool prune = false, bool keep = false)
    {
        var (cli, cp) = ($"cli{number}", $"cp{number}");
        var file = Path.Combine(Path.GetTempPath(), $"hs-conformance-{number}-{Guid.NewGuid():N}.yml");
        await File.WriteAllTextAsync(file, compose);
        try
        {
            var cliVariables = new Dictionary<string, string>(variables) { ["FAMILY_SECRET"] = $"{ConformanceHost.Family}.v1" };
            await StackSwarm.CliAsync(cliVariables, cliPath, ["stack", "deploy", .. prune ? new[] { "--prune" } : [], "-c", file, cli]);
            await StackSwarm.WaitConvergedAsync(cli, TimeSpan.FromSeconds(120));
            var cliText = await SnapshotAsync(cli);
            if (!keep)
            {
                await CliStackRemoval.RunAsync(() => StackSwarm.CliAsync(new Dictionary<string, string>(), cliPath, ["stack", "rm", cli]));
                await StackSwarm.WaitGoneAsync(cli, TimeSpan.FromSeconds(90));
            }

            var cpVariables = new Dictionary<string, string>(variables) { ["FAMILY_SECRET"] = ConformanceHost.Family };
            await Admin.DeployAndWaitAsync(cp, compose, cpVariables, prune);
            await StackSwarm.WaitConvergedAsync(cp, TimeSpan.FromSeconds(120));
            var cpText = await SnapshotAsync(cp);
            if (!keep)
            {
                await Admin.FinishedAsync(await Admin.DeleteAsync($"{StackApi.Stacks}/{cp}"));
                await StackSwarm.WaitGoneAsync(cp, TimeSpan.FromSeconds(90));
            }
            return (cliText, cpText);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// The stack's snapshot, with each service's network attachments in the order of their (placeholder) names: the CLI
    /// orders them by the scoped name, so <c>cli02_backend</c> comes before <c>conformance_ext_net</c> and
    /// <c>cp02_backend</c> after it; the order of attachments means nothing to the engine. Secret and config mounts are
    /// ordered by name and target: the CLI sorts them by name alone with Go's unstable sort, so two mounts of one config
    /// come in either order.
    /// </summary>
    private static async Task<string> SnapshotAsync(string stack)
    {
        var snapshot = await StackSnapshot.TakeAsync(Engine, stack);
        foreach (var service in (snapshot["services"] as System.Text.Json.Nodes.JsonObject ?? []).Select(s => s.Value).OfType<System.Text.Json.Nodes.JsonObject>())
        {
            Sort(service["TaskTemplate"]?["Networks"], n => (string?)n["Target"]);
            Sort(service["TaskTemplate"]?["ContainerSpec"]?["Secrets"], n => $"{(string?)n["SecretName"]} {(string?)n["File"]?["Name"]}");
            Sort(service["TaskTemplate"]?["ContainerSpec"]?["Configs"], n => $"{(string?)n["ConfigName"]} {(string?)n["File"]?["Name"]}");
        }
        return StackSnapshot.Text(snapshot);
    }

    private static void Sort(System.Text.Json.Nodes.JsonNode? list, Func<System.Text.Json.Nodes.JsonNode, string?> key)
    {
        if (list is System.Text.Json.Nodes.JsonArray { Count: > 1 } items)
        {
            var sorted = items.Select(n => n!.DeepClone()).OrderBy(key, StringComparer.Ordinal).ToList();
            items.Clear();
            sorted.ForEach(items.Add);
        }
    }

    [Fact]
    public async Task Every_corpus_file_deployed_through_ControlPlane_gives_the_stack_the_docker_cli_makes()
    {
        var files = Directory.GetFiles(Corpus, "*.yml").Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(files);
        var clock = Stopwatch.StartNew();
        var differences = new List<string>();
        using var few = new SemaphoreSlim(3);
        await Task.WhenAll(files.Select(async file =>
        {
            var number = Path.GetFileName(file)[..2];
            await few.WaitAsync();
            try
            {
                var cliPath = Path.GetFileName(file).Contains("jobs", StringComparison.Ordinal) ? NewerCli : StackSwarm.DockerCli;
                var (cli, cp) = await BothAsync(number, await File.ReadAllTextAsync(file), Variables(file), cliPath);
                if (cli != cp)
                {
                    lock (differences)
                    {
                        differences.Add($"{Path.GetFileName(file)}:\n{Diff(cli, cp)}");
                    }
                }
            }
            catch (Exception ex)
            {
                lock (differences)
                {
                    differences.Add($"{Path.GetFileName(file)}: {ex.Message}");
                }
            }
            finally
            {
                few.Release();
                await StackSwarm.RemoveAsync($"cli{number}", $"cp{number}");
            }
        }));
        Assert.True(differences.Count == 0, $"{differences.Count} of {files.Count} files differ ({clock.Elapsed.TotalSeconds:0} s):\n{string.Join("\n\n", differences)}");
    }

    [Fact]
    public async Task A_redeploy_with_changes_and_one_with_prune_give_the_stack_the_docker_cli_makes()
    {
        const string first = "version: \"3.9\"\nservices:\n  web:\n    image: 10.99.0.1:5000/demo/app:1\n  api:\n    image: 10.99.0.1:5000/demo/app:1\n    deploy:\n      replicas: 1\n";
        const string changed = "version: \"3.9\"\nservices:\n  web:\n    image: 10.99.0.1:5000/demo/app:2\n    environment: [MODE=changed]\n  api:\n    image: 10.99.0.1:5000/demo/app:1\n    deploy:\n      replicas: 2\n  worker:\n    image: 10.99.0.1:5000/demo/app:1\n";
        const string pruned = "version: \"3.9\"\nservices:\n  web:\n    image: 10.99.0.1:5000/demo/app:2\n    environment: [MODE=changed]\n  worker:\n    image: 10.99.0.1:5000/demo/app:1\n";
        try
        {
            foreach (var (compose, prune) in new[] { (first, false), (changed, false), (pruned, true) })
            {
                var (cli, cp) = await BothAsync("90", compose, [], StackSwarm.DockerCli, prune, keep: true);
                Assert.True(cli == cp, Diff(cli, cp));
            }
            Assert.DoesNotContain("_api", await SnapshotAsync("cp90"), StringComparison.Ordinal);
        }
        finally
        {
            await StackSwarm.RemoveAsync("cli90", "cp90");
        }
    }

    /// <summary>Where the two snapshots part: a few lines of each from the first that differs.</summary>
    private static string Diff(string cli, string cp)
    {
        var (a, b) = (cli.Split('\n'), cp.Split('\n'));
        var first = Enumerable.Range(0, Math.Min(a.Length, b.Length)).FirstOrDefault(i => a[i] != b[i], Math.Min(a.Length, b.Length));
        var from = Math.Max(0, first - 4);
        return $"from line {first + 1}:\n--- docker CLI\n{string.Join('\n', a.Skip(from).Take(14))}\n--- ControlPlane\n{string.Join('\n', b.Skip(from).Take(14))}";
    }
}
