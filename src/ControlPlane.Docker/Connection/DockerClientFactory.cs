using System.Security.Cryptography.X509Certificates;
using ControlPlane.Docker.Configuration;
using Docker.DotNet;
using Docker.DotNet.Handler.Abstractions;
using Docker.DotNet.NativeHttp;

namespace ControlPlane.Docker.Connection;

/// <summary>Builds Docker.DotNet clients for endpoints, with client certificates where TLS is configured.</summary>
public static class DockerClientFactory
{
    /// <summary>
    /// How long one Engine API call may take (streams such as logs and events are not limited by it), so a
    /// request never waits on a stuck engine for Docker.DotNet's default 100 s.
    /// </summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    public static DockerClient Create(ClusterEndpoint endpoint)
    {
        var uri = endpoint.Uri;
        var builder = new DockerClientBuilder().WithTimeout(CallTimeout);
        if (endpoint.Tls is { } tls)
        {
            // Docker's own convention: tcp:// with TLS material means https.
            uri = new UriBuilder(uri) { Scheme = "https" }.Uri;
            // Not Docker.DotNet.X509's DockerTlsCertificates: against a real dockerd --tlsverify (4.3.3)
            // its legacy ManagedHandler never presented the client certificate ("client didn't provide a
            // certificate") and its CA callback rejected a server certificate signed by that very CA.
            // .NET's own SocketsHttpHandler does both right, with the CA as the only trusted root.
            return builder.WithEndpoint(uri)
                .WithAuthProvider(new ClientCertificateTls(tls))
                .WithTransportOptions(new NativeHttpTransportOptions())
                .Build();
        }
        if (uri.Scheme == "tcp")
        {
            uri = new UriBuilder(uri) { Scheme = "http" }.Uri;
        }
        return builder.WithEndpoint(uri).Build();
    }

    /// <summary>TLS as <c>docker --tlsverify</c> does it: our client certificate, and only the configured CA trusted.</summary>
    private sealed class ClientCertificateTls(TlsOptions tls) : IAuthProvider
    {
        private readonly X509Certificate2 _certificate = X509Certificate2.CreateFromPemFile(tls.CertFile!, tls.KeyFile!);
        private readonly X509Certificate2 _ca = X509CertificateLoader.LoadCertificateFromFile(tls.CaFile!);

        // Tells Docker.DotNet to keep the https scheme (without it, it downgrades the endpoint to http).
        public bool TlsEnabled => true;

        public HttpMessageHandler ConfigureHandler(HttpMessageHandler handler) => UseClientTls((SocketsHttpHandler)handler, _certificate, _ca);
    }

    /// <summary>Presents <paramref name="certificate"/> and trusts <paramref name="ca"/> as the only root.</summary>
    internal static SocketsHttpHandler UseClientTls(SocketsHttpHandler handler, X509Certificate2 certificate, X509Certificate2 ca)
    {
        handler.SslOptions.ClientCertificates = [certificate];
        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            CustomTrustStore = { ca },
            // A private test/ops CA publishes no revocation lists.
            RevocationMode = X509RevocationMode.NoCheck,
        };
        return handler;
    }
}
