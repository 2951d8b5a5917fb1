namespace ControlPlane.Web.Tests.Infrastructure;

/// <summary>The real swarm the Docker-backed tests talk to, as <c>tests/run.sh</c> exports it.</summary>
internal static class SwarmEnvironment
{
    /// <summary>The manager's engine endpoint, from <c>DOCKER_HOST</c>; fails the test with a clear message when unset.</summary>
    public static string DockerHost =>
        Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host
            ? host
            : throw new InvalidOperationException(
                "DOCKER_HOST is not set. These tests need the local 3-node swarm: run tests/run.sh, " +
                "or deploy/local-swarm.sh up and export its env (set -a; eval \"$(deploy/local-swarm.sh env)\"; set +a).");

    /// <summary>Demo image version 1 in the swarm's registry.</summary>
    public const string DemoImage = "10.99.0.1:5000/demo/app:1";
}
