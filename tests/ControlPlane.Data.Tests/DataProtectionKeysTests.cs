using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Data.Tests;

public sealed class DataProtectionKeysTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("controlplane-dpkeys-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string KeyRing(IDictionary<string, string?> settings)
    {
        var keys = Directory.CreateDirectory(Path.Combine(_directory, "keys")).FullName;
        var services = new ServiceCollection();
        var configured = services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(keys))
            .ProtectWithConfiguredCertificate(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        using var provider = services.BuildServiceProvider();
        var protector = provider.GetRequiredService<IDataProtectionProvider>().CreateProtector("test");
        Assert.Equal("cookie", protector.Unprotect(protector.Protect("cookie")));
        Assert.Equal(settings.ContainsKey(DataProtectionKeys.CertificateFileSetting), configured);
        return File.ReadAllText(Directory.GetFiles(keys).Single());
    }

    [Fact]
    public void With_a_configured_certificate_the_stored_key_is_encrypted()
    {
        using var rsa = RSA.Create(2048);
        using var certificate = new CertificateRequest("CN=controlplane-test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var pfx = Path.Combine(_directory, "dp.pfx");
        var passwordFile = Path.Combine(_directory, "dp.password");
        File.WriteAllBytes(pfx, certificate.Export(X509ContentType.Pfx, "s3cret"));
        File.WriteAllText(passwordFile, "s3cret\n");

        var xml = KeyRing(new Dictionary<string, string?>
        {
            [DataProtectionKeys.CertificateFileSetting] = pfx,
            [DataProtectionKeys.CertificatePasswordFileSetting] = passwordFile,
        });

        Assert.Contains("EncryptedData", xml);
        Assert.DoesNotContain("<masterKey", xml);
    }

    [Fact]
    public void Without_one_the_key_is_stored_in_the_clear() =>
        Assert.Contains("<masterKey", KeyRing(new Dictionary<string, string?>()));
}
