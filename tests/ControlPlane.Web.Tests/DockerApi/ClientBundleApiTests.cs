using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.Web.Tests.DockerApi;

/// <summary>Client bundles over the API, with no swarm needed: the zip, the certificate it holds, the list and revocation.</summary>
public sealed class ClientBundleApiTests(UnreachableAppFactory factory) : IClassFixture<UnreachableAppFactory>
{
    private readonly HttpClient _admin = factory.CreateAdminClient();

    [Fact]
    public async Task A_bundle_is_a_zip_with_a_certificate_naming_the_user_and_bundle_whose_key_is_never_stored_and_it_can_be_revoked()
    {
        using var response = await _admin.PostAsJsonAsync("/api/clientbundles", new { name = "hdapi", expiresInDays = 7 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var zip = new ZipArchive(await response.Content.ReadAsStreamAsync());
        Assert.Equal(["README.txt", "ca.pem", "cert.pem", "env.cmd", "env.ps1", "env.sh", "key.pem"], zip.Entries.Select(e => e.Name).Order(StringComparer.Ordinal));
        string Read(string name)
        {
            using var reader = new StreamReader(zip.GetEntry(name)!.Open());
            return reader.ReadToEnd();
        }
        var certificatePem = Read("cert.pem");
        var keyPem = Read("key.pem");
        using var certificate = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        Assert.Contains("CN=admin", certificate.Subject);
        Assert.Contains("bundle hdapi", certificate.Subject);
        Assert.InRange(certificate.NotAfter.ToUniversalTime(), DateTime.UtcNow.AddDays(6.9), DateTime.UtcNow.AddDays(7.1));
        using var ca = X509Certificate2.CreateFromPem(Read("ca.pem"));
        Assert.Equal(ca.Subject, certificate.Issuer);
        Assert.Contains($"DOCKER_HOST=tcp://localhost:2376/clusters/{UnreachableAppFactory.ClusterId}", Read("env.sh"));
        Assert.Contains("DOCKER_CERT_PATH", Read("env.ps1"));
        Assert.Contains("DOCKER_TLS_VERIFY=1", Read("env.cmd"));

        var listed = await _admin.GetFromJsonAsync<JsonElement>("/api/clientbundles");
        var bundle = Assert.Single(listed.EnumerateArray(), b => b.GetProperty("name").GetString() == "hdapi");
        Assert.Equal(certificate.SerialNumber, bundle.GetProperty("serial").GetString());
        Assert.Equal(JsonValueKind.Null, bundle.GetProperty("revokedAt").ValueKind);

        var keyBody = keyPem.Split('\n')[1];
        Assert.DoesNotContain(keyBody, Convert.ToBase64String(await File.ReadAllBytesAsync(factory.DatabasePath)) + System.Text.Encoding.Latin1.GetString(await File.ReadAllBytesAsync(factory.DatabasePath)));

        using (var revoked = await _admin.DeleteAsync($"/api/clientbundles/{bundle.GetProperty("id").GetInt64()}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        }
        listed = await _admin.GetFromJsonAsync<JsonElement>("/api/clientbundles");
        Assert.Equal(JsonValueKind.String, listed.EnumerateArray().Single(b => b.GetProperty("name").GetString() == "hdapi").GetProperty("revokedAt").ValueKind);
        using var again = await _admin.DeleteAsync("/api/clientbundles/999999");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task A_bundle_needs_a_plain_name_and_a_signed_in_caller()
    {
        using var badName = await _admin.PostAsJsonAsync("/api/clientbundles", new { name = "my laptop!", expiresInDays = 7 });
        Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        using var tooLong = await _admin.PostAsJsonAsync("/api/clientbundles", new { name = "hdlong", expiresInDays = 4000 });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        using var anonymous = factory.CreateClient();
        using var refused = await anonymous.PostAsJsonAsync("/api/clientbundles", new { name = "hdanon", expiresInDays = 7 });
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }
}
