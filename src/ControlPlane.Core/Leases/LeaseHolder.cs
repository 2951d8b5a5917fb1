namespace ControlPlane.Core.Leases;

/// <summary>This ControlPlane process, as named in the leases it holds (host, process and a per-start nonce).</summary>
public sealed class LeaseHolder
{
    public string Name { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("n")[..8]}";
}
