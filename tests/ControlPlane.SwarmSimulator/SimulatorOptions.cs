namespace ControlPlane.SwarmSimulator;

/// <summary>The size, timing, load and faults of one simulated swarm manager.</summary>
public sealed record SimulatorOptions
{
    public int Nodes { get; init; } = 3;

    /// <summary>How many of the nodes are managers (the first is the leader and the one answering).</summary>
    public int Managers { get; init; } = 1;

    public int Services { get; init; }

    /// <summary>Running tasks in all, spread over the services' replicas.</summary>
    public int Tasks { get; init; }

    /// <summary><c>unix:///path.sock</c> or <c>tcp://host:port</c> (port 0 picks a free one).</summary>
    public string Listen { get; init; } = "tcp://127.0.0.1:0";

    /// <summary>Node hostnames are this prefix and a number from 1 (the local swarm's are cp-node1…).</summary>
    public string HostnamePrefix { get; init; } = "sim-node";

    /// <summary>
    /// Multiplies every simulated duration (a task's start, update delay and monitor, restart delay): 1 is a
    /// real engine's pace, 0.01 a hundred times faster.
    /// </summary>
    public double TimeScale { get; init; } = 1;

    /// <summary>Changes per second the simulator makes by itself (task failures, service updates, node flaps).</summary>
    public double Churn { get; init; }

    /// <summary>Added to every answer (not to streamed events), to simulate a slow manager.</summary>
    public TimeSpan SlowAnswers { get; init; }

    /// <summary>Events the manager keeps for <c>since</c> (dockerd keeps its last 256).</summary>
    public int EventsKept { get; init; } = 256;

    /// <summary>Images whose tasks fail at start (a tag <c>broken</c> fails too, as the local registry's demo image does).</summary>
    public IReadOnlyList<string> FailingImages { get; init; } = [];

    public int Seed { get; init; } = 14;
}
