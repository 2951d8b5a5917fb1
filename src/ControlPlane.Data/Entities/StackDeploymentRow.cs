namespace ControlPlane.Data.Entities;

/// <summary>A stored stack deploy: the Compose file and variables as given, who deployed them, when, and how it ended.</summary>
public sealed class StackDeploymentRow
{
    public long Id { get; set; }

    public required string ClusterId { get; set; }

    public required string Stack { get; set; }

    public required string Compose { get; set; }

    /// <summary>The variables as one JSON object of strings.</summary>
    public required string Variables { get; set; }

    public bool Prune { get; set; }

    public required string DeployedBy { get; set; }

    /// <summary>Unix milliseconds: sortable and comparable on every provider.</summary>
    public long DeployedAtMs { get; set; }

    public string? OperationId { get; set; }

    public required string Result { get; set; }
}
