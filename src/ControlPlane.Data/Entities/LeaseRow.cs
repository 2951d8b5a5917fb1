namespace ControlPlane.Data.Entities;

/// <summary>Who holds a named lease, and until when (Unix milliseconds).</summary>
public sealed class LeaseRow
{
    public required string Name { get; set; }

    public required string Holder { get; set; }

    public long ExpiresAtMs { get; set; }
}
