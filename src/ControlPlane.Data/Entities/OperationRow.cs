namespace ControlPlane.Data.Entities;

/// <summary>A stored operation; its steps are kept as one JSON document because they are always read and written whole.</summary>
public sealed class OperationRow
{
    public required string Id { get; set; }

    public required string Kind { get; set; }

    public required string ClusterId { get; set; }

    public required string Target { get; set; }

    public string? Stack { get; set; }

    public required string Actor { get; set; }

    public required string Permission { get; set; }

    public required string State { get; set; }

    public int Done { get; set; }

    public int Total { get; set; }

    public string? Error { get; set; }

    public string? Parameters { get; set; }

    public required string Steps { get; set; }

    /// <summary>Unix milliseconds: sortable and comparable on every provider.</summary>
    public long CreatedAtMs { get; set; }

    public long UpdatedAtMs { get; set; }

    public long? FinishedAtMs { get; set; }
}
