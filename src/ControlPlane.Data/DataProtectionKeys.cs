using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Data;

/// <summary>
/// The <c>ControlPlane:DataProtection</c> section: a certificate that encrypts the data-protection keys
/// kept in the database, so reading the database is not enough to forge a sign-in cookie.
/// </summary>
public static class DataProtectionKeys
{
    public const string CertificateFileSetting = "ControlPlane:DataProtection:CertificateFile";

    public const string CertificatePasswordFileSetting = "ControlPlane:DataProtection:CertificatePasswordFile";

    /// <summary>Encrypts new keys with the configured PKCS#12 certificate; false when none is configured.</summary>
    public static bool ProtectWithConfiguredCertificate(this IDataProtectionBuilder builder, IConfiguration configuration)
    {
        if (configuration[CertificateFileSetting] is not { Length: > 0 } certificateFile)
        {
            return false;
        }
        var password = configuration[CertificatePasswordFileSetting] is { Length: > 0 } passwordFile ? File.ReadAllText(passwordFile).TrimEnd('\r', '\n') : null;
        var certificate = X509CertificateLoader.LoadPkcs12FromFile(certificateFile, password);
        if (!certificate.HasPrivateKey)
        {
            throw new InvalidOperationException($"{CertificateFileSetting}: '{certificateFile}' holds no private key; the data-protection keys could not be read back.");
        }
        builder.ProtectKeysWithCertificate(certificate);
        return true;
    }
}

/// <summary>Says at start, once, that data-protection keys lie unencrypted in the database, and which setting changes that.</summary>
public sealed class UnprotectedKeysWarning(ILogger<UnprotectedKeysWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        logger.LogWarning("Data-protection keys are stored unencrypted in the database: anyone who reads it can forge sign-in cookies. " +
            "Set {Setting} (and {PasswordSetting}) to a PKCS#12 certificate to encrypt them.",
            DataProtectionKeys.CertificateFileSetting, DataProtectionKeys.CertificatePasswordFileSetting);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
