namespace ControlPlane.Core.DockerApi;

/// <summary>A client bundle as its owner sees it in a list.</summary>
public sealed record ClientBundleSummary(long Id, string Name, string Serial, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? RevokedAt);

/// <summary>The holder of a live bundle certificate: the account it was issued to and the bundle.</summary>
public sealed record BundleHolder(long AccountId, string UserName, ClientBundleSummary Bundle);

/// <summary>Client bundles' certificates, recorded by serial so that each can be listed, revoked and checked per request.</summary>
public interface IClientBundleStore
{
    Task<IReadOnlyList<ClientBundleSummary>> ListAsync(long accountId, CancellationToken ct = default);

    Task<ClientBundleSummary> AddAsync(long accountId, string userName, string name, string serial, DateTimeOffset createdAt, DateTimeOffset expiresAt, CancellationToken ct = default);

    /// <summary>Revokes one of the account's own bundles; false when the account has no such bundle.</summary>
    Task<bool> RevokeAsync(long accountId, long bundleId, CancellationToken ct = default);

    /// <summary>The holder of a certificate with this serial while it is neither revoked nor expired, else null.</summary>
    Task<BundleHolder?> ActiveAsync(string serial, CancellationToken ct = default);
}

/// <summary>ControlPlane's user CA: issues the certificate of a client bundle, with a key pair made for it alone.</summary>
public interface IClientCertificateIssuer
{
    /// <summary>The CA certificate, PEM, as the bundle's <c>ca.pem</c>.</summary>
    string CaPem { get; }

    IssuedCertificate Issue(string userName, string bundleName, DateTimeOffset notBefore, DateTimeOffset notAfter);
}

/// <summary>A freshly issued certificate, its key (handed to the caller once, never stored) and serial.</summary>
public sealed record IssuedCertificate(string Serial, string CertificatePem, string KeyPem);
