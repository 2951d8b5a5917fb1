using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using ControlPlane.Docker.Configuration;
using ControlPlane.Docker.Connection;

namespace ControlPlane.Docker.Changes;

/// <summary>
/// A plain HTTP client for one engine endpoint, for the few Engine API calls Docker.DotNet 4.3.3 does not
/// offer (updating a secret's or a config's labels). Same transport and TLS rules as <see cref="DockerClientFactory"/>.
/// </summary>
internal static class EngineHttp
{
    public static HttpClient Create(ClusterEndpoint endpoint)
    {
        var handler = Handler(endpoint, out var baseAddress);
        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30), DefaultRequestVersion = HttpVersion.Version11 };
    }

    /// <summary>The transport to one engine endpoint (a unix socket, TCP, or TLS with the endpoint's client certificate) and the base address to use on it.</summary>
    public static SocketsHttpHandler Handler(ClusterEndpoint endpoint, out Uri baseAddress)
    {
        var handler = new SocketsHttpHandler();
        if (endpoint.Uri.Scheme == "unix")
        {
            var path = endpoint.Uri.LocalPath;
            handler.ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
                return new NetworkStream(socket, ownsSocket: true);
            };
            baseAddress = new Uri("http://engine/");
        }
        else if (endpoint.Tls is { } tls)
        {
            DockerClientFactory.UseClientTls(handler, X509Certificate2.CreateFromPemFile(tls.CertFile!, tls.KeyFile!), X509CertificateLoader.LoadCertificateFromFile(tls.CaFile!));
            baseAddress = new UriBuilder(endpoint.Uri) { Scheme = "https", Path = "/" }.Uri;
        }
        else
        {
            baseAddress = new UriBuilder(endpoint.Uri) { Scheme = "http", Path = "/" }.Uri;
        }
        return handler;
    }
}
