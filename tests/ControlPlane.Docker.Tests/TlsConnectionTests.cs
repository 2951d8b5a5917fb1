using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ControlPlane.Core.Model;
using ControlPlane.Docker.Configuration;

namespace ControlPlane.Docker.Tests;

/// <summary>
/// The manager's real TLS listener (dockerd --tlsverify, set up by deploy/local-swarm.sh): tcp:// with
/// a CA and a client certificate, as configured under ControlPlane:Clusters:N:Tls.
/// </summary>
public sealed class TlsConnectionTests : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("controlplane-tls-");

    [Fact]
    public async Task A_tcp_endpoint_with_the_CA_and_a_client_certificate_it_signed_syncs_the_whole_swarm()
    {
        await using var cluster = WatchedCluster.Start(Configure(LocalSwarm.Tls));

        var state = await cluster.WaitForSyncAsync();

        Assert.Equal(new Uri(LocalSwarm.TlsEndpoint).ToString(), state.Cluster.Endpoint);
        Assert.Equal(LocalSwarm.NodeEndpoints.Count, state.Nodes.Count());
        Assert.Equal(["cp-node1", "cp-node2", "cp-node3"], state.Nodes.Select(n => n.Hostname).Order());
    }

    [Fact]
    public async Task A_client_certificate_from_another_CA_is_refused_and_the_error_names_the_endpoint_and_the_setting()
    {
        var (certFile, keyFile) = WriteClientCertificateOfAnotherCa();
        await using var cluster = WatchedCluster.Start(Configure(new TlsOptions { CaFile = LocalSwarm.Tls.CaFile, CertFile = certFile, KeyFile = keyFile }));

        var state = await cluster.WaitForAsync(s => s.Cluster.Status == ClusterStatus.Unreachable, "the foreign client certificate to be refused");

        Assert.Contains(new Uri(LocalSwarm.TlsEndpoint).ToString(), state.Cluster.Error);
        Assert.Contains("ControlPlane:Clusters:0:Endpoints:0", state.Cluster.Error);
        Assert.Empty(state.Nodes);
    }

    [Fact]
    public async Task A_TLS_endpoint_configured_without_TLS_settings_is_unreachable_with_a_clear_error()
    {
        await using var cluster = WatchedCluster.Start(Configure(null));

        var state = await cluster.WaitForAsync(s => s.Cluster.Status == ClusterStatus.Unreachable, "the plain-HTTP request to be refused");

        Assert.Contains(new Uri(LocalSwarm.TlsEndpoint).ToString(), state.Cluster.Error);
        Assert.Contains("ControlPlane:Clusters:0:Endpoints:0", state.Cluster.Error);
        Assert.Contains("HTTPS", state.Cluster.Error);
        Assert.Empty(state.Nodes);
    }

    private static ClustersOptions Configure(TlsOptions? tls) => new()
    {
        Clusters = [new ClusterOptions { Name = "tls", Endpoints = [LocalSwarm.TlsEndpoint], Tls = tls }],
    };

    /// <summary>A valid client certificate, but signed by a CA the engine does not trust.</summary>
    private (string CertFile, string KeyFile) WriteClientCertificateOfAnotherCa()
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=another test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

        using var clientKey = RSA.Create(2048);
        var clientRequest = new CertificateRequest("CN=foreign client", clientKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        clientRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        clientRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var client = clientRequest.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12), RandomNumberGenerator.GetBytes(16));

        var certFile = Path.Combine(_temp.FullName, "cert.pem");
        var keyFile = Path.Combine(_temp.FullName, "key.pem");
        File.WriteAllText(certFile, client.ExportCertificatePem());
        File.WriteAllText(keyFile, clientKey.ExportPkcs8PrivateKeyPem());
        return (certFile, keyFile);
    }

    public void Dispose() => _temp.Delete(recursive: true);
}
