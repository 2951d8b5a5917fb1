using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ControlPlane.Core.DockerApi;

namespace ControlPlane.Web.DockerApi;

/// <summary>
/// ControlPlane's user CA: signs client bundles' certificates and, unless PEM files are configured, the Docker API
/// endpoint's own server certificate. Its key lives in one owner-only PEM file outside the database, created on first
/// start like the audit key: reading the database is not enough to mint a certificate.
/// </summary>
public sealed class UserCertificateAuthority : IClientCertificateIssuer
{
    private const string Organization = "ControlPlane";

    private readonly X509Certificate2 _ca;

    private UserCertificateAuthority(X509Certificate2 ca)
    {
        _ca = ca;
        CaPem = ca.ExportCertificatePem() + "\n";
    }

    public string CaPem { get; }

    /// <summary>The CA certificate (public part), the only one client certificates are accepted from.</summary>
    public X509Certificate2 Certificate => X509CertificateLoader.LoadCertificate(_ca.RawData);

    public static UserCertificateAuthority LoadOrCreate(string path, ILogger logger)
    {
        if (File.Exists(path))
        {
            var stored = File.ReadAllText(path);
            return new UserCertificateAuthority(X509Certificate2.CreateFromPem(stored, stored));
        }
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=ControlPlane user CA, O={Organization}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var file = new StreamWriter(new FileStream(path, options)))
        {
            file.Write(created.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n");
        }
        logger.LogWarning(
            "Generated ControlPlane's user CA in {CaFile} ({Setting}:CaFile). Keep it and back it up outside the database: " +
            "it signs every client bundle. Several replicas must share one (a Docker secret).", path, DockerApiOptions.SectionName);
        var text = File.ReadAllText(path);
        return new UserCertificateAuthority(X509Certificate2.CreateFromPem(text, text));
    }

    public IssuedCertificate Issue(string userName, string bundleName, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddOrganizationName(Organization);
        subject.AddOrganizationalUnitName($"bundle {bundleName}");
        subject.AddCommonName(userName);
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var certificate = request.Create(_ca, notBefore, Clamp(notAfter), NewSerial());
        return new IssuedCertificate(certificate.SerialNumber, certificate.ExportCertificatePem() + "\n", key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    /// <summary>The endpoint's server certificate for the names clients use (DNS names or IP addresses), with its key.</summary>
    public X509Certificate2 IssueServerCertificate(IEnumerable<string> hostnames)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var names = new SubjectAlternativeNameBuilder();
        var first = "localhost";
        var any = false;
        foreach (var name in hostnames.Where(h => !string.IsNullOrWhiteSpace(h)).Append("localhost").Distinct())
        {
            if (System.Net.IPAddress.TryParse(name, out var address))
            {
                names.AddIpAddress(address);
            }
            else
            {
                names.AddDnsName(name);
            }
            first = any ? first : name;
            any = true;
        }
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        var request = new CertificateRequest($"CN={first}, O={Organization}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        using var issued = request.Create(_ca, now.AddMinutes(-5), Clamp(now.AddDays(365)), NewSerial());
        using var withKey = issued.CopyWithPrivateKey(key);
        // Through PKCS#12, so the key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Whether a client certificate was issued by this CA and is within its validity (revocation is the bundle store's).</summary>
    public bool Issued(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        return chain.Build(certificate) && chain.ChainElements.Count == 2 && chain.ChainElements[^1].Certificate.RawData.AsSpan().SequenceEqual(_ca.RawData);
    }

    private DateTimeOffset Clamp(DateTimeOffset notAfter) => notAfter < _ca.NotAfter ? notAfter : new DateTimeOffset(_ca.NotAfter.ToUniversalTime());

    private static byte[] NewSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // positive
        serial[0] |= 0x10; // no leading zero byte, so the hex form is stable
        return serial;
    }
}
