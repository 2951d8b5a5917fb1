using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace ControlPlane.Web.DockerApi;

/// <summary>
/// The Docker API endpoint's own Kestrel server, beside the web host's: its own port, mutual TLS with the user CA, and
/// <see cref="DockerApiHandler"/> as its whole pipeline. Being a server of its own, no request to it reaches the web
/// pipeline (pages, API, cookies) and no request to the web host reaches it.
/// </summary>
public sealed class DockerApiServer(
    IOptions<DockerApiOptions> options, IServiceProvider services, IHttpContextFactory contexts, ILoggerFactory loggers)
    : IHostedService, IAsyncDisposable
{
    private KestrelServer? _server;

    /// <summary>Where the endpoint listens once started (the actual port when configured with port 0); null when off.</summary>
    public Uri? ListeningOn { get; private set; }

    /// <summary>
    /// The <c>DOCKER_HOST</c> a client bundle names for <paramref name="cluster"/>: the public host name, and the port the
    /// endpoint listens on (the one the OS picked when the configured port is 0).
    /// </summary>
    public string DockerHostFor(string cluster)
    {
        var port = ListeningOn?.Port ?? (Uri.TryCreate(options.Value.Url, UriKind.Absolute, out var url) ? url.Port : 2376);
        return $"tcp://{options.Value.PublicHost}:{port}/clusters/{cluster}";
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return;
        }
        // Asked for here, not in the constructor: a host with the endpoint off makes the CA only when a bundle is asked for.
        var ca = services.GetRequiredService<UserCertificateAuthority>();
        if (!Uri.TryCreate(settings.Url, UriKind.Absolute, out var url) || url.Scheme != "https")
        {
            throw new InvalidOperationException($"{DockerApiOptions.SectionName}:Url must be an https URL such as https://0.0.0.0:2376 (or empty to turn the endpoint off); it is '{settings.Url}'.");
        }
        var address = url.Host switch
        {
            "0.0.0.0" or "*" or "+" => IPAddress.Any,
            "[::]" => IPAddress.IPv6Any,
            "localhost" => IPAddress.Loopback,
            var host => IPAddress.Parse(host.Trim('[', ']')),
        };
        var serverCertificate = !string.IsNullOrWhiteSpace(settings.CertFile)
            ? X509Certificate2.CreateFromPemFile(settings.CertFile, settings.KeyFile)
            : ca.IssueServerCertificate(settings.Hostnames.Append(url.Host is "0.0.0.0" or "*" or "+" or "[::]" ? "localhost" : url.Host.Trim('[', ']')));
        var kestrel = new KestrelServerOptions { ApplicationServices = services, AddServerHeader = false };
        kestrel.Listen(address, url.Port, listen =>
        {
            // HTTP/1.1 only: the Engine API's streams and hijacked connections are HTTP/1.1's.
            listen.Protocols = HttpProtocols.Http1;
            listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = serverCertificate,
                SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                // Allowed rather than required, so CI systems may send an API token instead (checked per request); a
                // certificate that is sent must be the user CA's: any other fails the handshake. Revocation is checked per request.
                ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                ClientCertificateValidation = (certificate, _, _) => ca.Issued(certificate),
            });
            // After TLS, on the decrypted stream: docker exec's hijack carries a body Kestrel would not upgrade.
            listen.Use(next => connection => HijackedRequests.RewriteAsync(connection, next));
        });
        var transport = new SocketTransportFactory(Options.Create(new SocketTransportOptions()), loggers);
        _server = new KestrelServer(Options.Create(kestrel), transport, loggers);
        await _server.StartAsync(new Application(contexts, services.GetRequiredService<DockerApiHandler>()), cancellationToken);
        var bound = _server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        ListeningOn = bound is null ? url : new Uri(bound);
        loggers.CreateLogger<DockerApiServer>().LogInformation("The Docker API endpoint listens on {Address}", ListeningOn);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null)
        {
            await _server.StopAsync(cancellationToken);
        }
    }

    public ValueTask DisposeAsync()
    {
        _server?.Dispose();
        return ValueTask.CompletedTask;
    }

    private sealed class Application(IHttpContextFactory contexts, DockerApiHandler handler) : IHttpApplication<HttpContext>
    {
        public HttpContext CreateContext(IFeatureCollection contextFeatures) => contexts.Create(contextFeatures);

        public Task ProcessRequestAsync(HttpContext context) => handler.InvokeAsync(context);

        public void DisposeContext(HttpContext context, Exception? exception) => contexts.Dispose(context);
    }
}
