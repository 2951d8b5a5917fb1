namespace ControlPlane.Docker.Configuration;

/// <summary>The <c>ControlPlane</c> configuration section, as far as clusters are concerned.</summary>
public sealed class ClustersOptions
{
    public const string SectionName = "ControlPlane";

    public List<ClusterOptions> Clusters { get; set; } = [];
}

/// <summary>One cluster: a name and the manager endpoints to try, in order.</summary>
public sealed class ClusterOptions
{
    public string? Name { get; set; }

    public List<string> Endpoints { get; set; } = [];

    public TlsOptions? Tls { get; set; }
}

/// <summary>Client certificate and CA for <c>tcp://</c> endpoints protected by TLS.</summary>
public sealed class TlsOptions
{
    public string? CaFile { get; set; }

    public string? CertFile { get; set; }

    public string? KeyFile { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(CaFile) || !string.IsNullOrWhiteSpace(CertFile) || !string.IsNullOrWhiteSpace(KeyFile);
}
