using Docker.DotNet.Models;

namespace ControlPlane.Docker.Tests;

/// <summary>Service specs the tests create on the local swarm.</summary>
public static class Specs
{
    public static ServiceSpec Replicated(string name, ulong replicas, string tag = "1") => new()
    {
        Name = name,
        Labels = new Dictionary<string, string> { ["controlplane.test"] = "true" },
        TaskTemplate = new TaskSpec { ContainerSpec = new ContainerSpec { Image = LocalSwarm.Image(tag) } },
        Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = replicas } },
    };
}
