using System.Diagnostics;
using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.E2E.Tests.Infrastructure;

/// <summary>
/// The docker CLI against the swarm's manager: changes made the way an operator makes them outside
/// ControlPlane, which the UI must pick up from the engine's events on its own.
/// </summary>
internal static class DockerCli
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>Runs <c>docker -H $DOCKER_HOST args…</c> and answers its standard output; fails with its error output.</summary>
    public static async Task<string> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-H");
        start.ArgumentList.Add(SwarmEnvironment.DockerHost);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the docker CLI.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Timeout);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}");
        }
        return await stdout;
    }

    /// <summary><c>docker stack rm</c>, run again while a network is still in use (<see cref="CliStackRemoval"/>).</summary>
    public static Task StackRemoveAsync(string stack) => CliStackRemoval.RunAsync(() => RunAsync("stack", "rm", stack));
}
