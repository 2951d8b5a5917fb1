namespace ControlPlane.Core.Changes;

/// <summary>No configured manager of a cluster answers: thrown by the engine adapter, caught by any entry point.</summary>
public sealed class ClusterUnreachableException(string message) : Exception(message);
