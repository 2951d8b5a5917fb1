using ControlPlane.Docker.Configuration;

namespace ControlPlane.Benchmarks;

/// <summary>The swarm a benchmark measures: the one in <c>DOCKER_HOST</c>, never a silent fallback to the local socket.</summary>
internal static class LocalSwarmTarget
{
    /// <summary>The cluster behind <c>DOCKER_HOST</c>, or a message saying why there is none.</summary>
    public static (ClusterDefinition? Cluster, string DockerHost, string? Problem) Resolve()
    {
        var dockerHost = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if (string.IsNullOrWhiteSpace(dockerHost))
        {
            // The resolver would fall back to the local socket; a benchmark must say which swarm it measured.
            return (null, "", "DOCKER_HOST is not set. Start the local swarm and export its environment:\n" +
                "  deploy/local-swarm.sh up && set -a && eval \"$(deploy/local-swarm.sh env)\" && set +a");
        }
        var clusters = ClusterEndpointResolver.Resolve(new ClustersOptions(), dockerHost, out var errors);
        return errors.Count > 0 ? (null, dockerHost, string.Join(Environment.NewLine, errors)) : (clusters[0], dockerHost, null);
    }
}
