using System.Diagnostics;
using ControlPlane.Docker.Configuration;
using Docker.DotNet;

namespace ControlPlane.Docker.Tests;

/// <summary>
/// The real local swarm started by <c>deploy/local-swarm.sh</c> (tests/run.sh exports its environment):
/// the manager's endpoint, each node's engine, the registry, and node stop/start.
/// </summary>
public static class LocalSwarm
{
    public static string ManagerEndpoint => Require("DOCKER_HOST");

    public static string Registry => Require("CONTROLPLANE_REGISTRY");

    public static string Image(string tag) => $"{Registry}/demo/app:{tag}";

    public static IReadOnlyList<string> NodeEndpoints => Require("CONTROLPLANE_NODE_SOCKETS").Split(',', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The manager's TLS listener (tcp://, client certificate required).</summary>
    public static string TlsEndpoint => Require("CONTROLPLANE_TLS_ENDPOINT");

    /// <summary>TLS settings trusted by the manager's TLS listener: the test CA and a client certificate it signed.</summary>
    public static TlsOptions Tls => new()
    {
        CaFile = Require("CONTROLPLANE_TLS_CA"),
        CertFile = Require("CONTROLPLANE_TLS_CERT"),
        KeyFile = Require("CONTROLPLANE_TLS_KEY"),
    };

    public static DockerClient ManagerClient() => new DockerClientBuilder().WithEndpoint(new Uri(ManagerEndpoint)).Build();

    /// <summary>Stops node <paramref name="node"/>'s dockerd. Never node 2: deploy/images.sh builds the stack's images on
    /// its engine while these tests run (tests/run.sh).</summary>
    public static Task StopNodeAsync(int node) => node == 2
        ? throw new ArgumentException("node 2's engine builds the stack's images meanwhile (deploy/images.sh); stop node 1 or 3", nameof(node))
        : RunScriptAsync("stop-node", node.ToString());

    public static Task StartNodeAsync(int node) => RunScriptAsync("start-node", node.ToString());

    private static async Task RunScriptAsync(params string[] args)
    {
        var script = Require("LOCAL_SWARM_SCRIPT");
        var start = new ProcessStartInfo(script) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}{await stdout}");
        }
    }

    private static string Require(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{variable} is not set. These tests run against the local swarm: use tests/run.sh, or run " +
                "deploy/local-swarm.sh up and export what deploy/local-swarm.sh env prints (and LOCAL_SWARM_SCRIPT=deploy/local-swarm.sh).");
}
