namespace ControlPlane.Data.Entities;

/// <summary>A client bundle's certificate, recorded by serial; its private key is never stored.</summary>
public sealed class ClientBundleRow
{
    public long Id { get; set; }

    public long UserId { get; set; }

    public required string UserName { get; set; }

    public required string Name { get; set; }

    /// <summary>The certificate's serial number, upper-case hex, as <c>X509Certificate2.SerialNumber</c> gives it.</summary>
    public required string Serial { get; set; }

    /// <summary>Unix milliseconds: sortable and comparable on every provider.</summary>
    public long CreatedAtMs { get; set; }

    public long ExpiresAtMs { get; set; }

    public long? RevokedAtMs { get; set; }
}
