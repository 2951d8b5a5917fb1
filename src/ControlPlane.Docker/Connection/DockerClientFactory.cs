using ControlPlane.Docker.Configuration;
using Docker.DotNet;
using Docker.DotNet.X509;

namespace ControlPlane.Docker.Connection;

/// <summary>Builds Docker.DotNet clients for endpoints, with client certificates where TLS is configured.</summary>
public static class DockerClientFactory
{
    public static DockerClient Create(ClusterEndpoint endpoint)
    {
        var uri = endpoint.Uri;
        var builder = new DockerClientBuilder();
        if (endpoint.Tls is { } tls)
        {
            // Docker's own convention: tcp:// with TLS material means https.
            uri = new UriBuilder(uri) { Scheme = "https" }.Uri;
            var certificates = new DockerTlsCertificates(
                DockerTlsCertificates.LoadCertificateAuthorityFromPemFile(tls.CaFile!),
                DockerTlsCertificates.LoadCertificateFromPemFiles(tls.CertFile!, tls.KeyFile!));
            builder = builder.WithAuthProvider(certificates.CreateCredentials());
        }
        else if (uri.Scheme == "tcp")
        {
            uri = new UriBuilder(uri) { Scheme = "http" }.Uri;
        }
        return builder.WithEndpoint(uri).Build();
    }
}
