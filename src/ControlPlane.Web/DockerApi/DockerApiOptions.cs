namespace ControlPlane.Web.DockerApi;

/// <summary>The <c>ControlPlane:DockerApi</c> section: the Engine API endpoint for the docker CLI (DESIGN §10).</summary>
public sealed class DockerApiOptions
{
    public const string SectionName = "ControlPlane:DockerApi";

    /// <summary>Where the endpoint listens, e.g. <c>https://0.0.0.0:2376</c>; empty turns it off.</summary>
    public string? Url { get; set; }

    /// <summary>The host names (or addresses) clients reach the endpoint by: the server certificate names them, and bundles use the first.</summary>
    public string[] Hostnames { get; set; } = [];

    /// <summary>The server certificate and key as PEM files; when empty, ControlPlane's CA issues one for <see cref="Hostnames"/>.</summary>
    public string? CertFile { get; set; }

    public string? KeyFile { get; set; }

    /// <summary>
    /// The user CA (certificate and key, PEM) that signs client bundles: outside the database, owner-only, created on
    /// first start. Empty: <c>user-ca.pem</c> next to the audit key. Several replicas must share one (a Docker secret).
    /// </summary>
    public string? CaFile { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(Url);

    /// <summary>The host a bundle's <c>DOCKER_HOST</c> names.</summary>
    public string PublicHost => Hostnames.FirstOrDefault(h => !string.IsNullOrWhiteSpace(h)) ?? "localhost";
}
