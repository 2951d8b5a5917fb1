using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ControlPlane.Data;
using ControlPlane.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Web.Tests.DockerApi;

/// <summary>
/// Debian's docker CLI (<c>/usr/bin/docker</c>, 20.10) through ControlPlane's Docker API endpoint on the local swarm,
/// with client bundles downloaded from the API: the commands work for an Admin, a stack Operator sees and changes only
/// their stack, and every change is in the audit log under the bundle's name.
/// </summary>
public sealed class DockerCliTests(DockerApiAppFactory factory) : IClassFixture<DockerApiAppFactory>
{
    private const string Cluster = DockerApiAppFactory.ClusterId;
    private const string StackLabel = "com.docker.stack.namespace";
    private const string Image = SwarmEnvironment.DemoImage;
    private static readonly TimeSpan SyncTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _admin = factory.CreateAdminClient();

    private async Task SyncedAsync() =>
        await _admin.GetUntilAsync("/api/clusters", (_, json) => json.ValueKind == JsonValueKind.Array && json.EnumerateArray().Any(c => c.GetProperty("status").GetString() == "synced"), SyncTimeout);

    private Task<List<JsonElement>> AuditAsync(string actor) => SettledAudit.ReadAsync(_admin, actor);

    [Fact]
    public async Task An_admin_bundle_runs_version_info_services_stacks_secrets_and_nodes_through_ControlPlane()
    {
        await SyncedAsync();
        var (bundle, _) = await factory.CreateBundleAsync(_admin, "hdlaptop");
        Assert.Contains("DOCKER_TLS_VERIFY=1", await File.ReadAllTextAsync(Path.Combine(bundle, "env.sh")));
        Assert.Contains("docker context create", await File.ReadAllTextAsync(Path.Combine(bundle, "README.txt")));
        using (var certificate = X509Certificate2.CreateFromPemFile(Path.Combine(bundle, "cert.pem"), Path.Combine(bundle, "key.pem")))
        {
            Assert.Contains("CN=admin", certificate.Subject);
            Assert.Contains("bundle hdlaptop", certificate.Subject);
        }

        Assert.Matches(@"^\d+\.\d+", (await factory.DockerOkAsync(bundle, "version", "--format", "{{.Server.Version}}")).Trim());
        Assert.Equal("active", (await factory.DockerOkAsync(bundle, "info", "--format", "{{.Swarm.LocalNodeState}}")).Trim());
        Assert.Equal(3, (await factory.DockerOkAsync(bundle, "node", "ls", "-q")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        var started = DateTimeOffset.UtcNow.AddSeconds(-1);
        try
        {
            await factory.DockerOkAsync(bundle, "service", "create", "--detach", "--name", "hdcli", Image);
            Assert.Contains("hdcli", await factory.DockerOkAsync(bundle, "service", "ls", "--format", "{{.Name}}"));
            Assert.Equal("hdcli", (await factory.DockerOkAsync(bundle, "service", "inspect", "hdcli", "--format", "{{.Spec.Name}}")).Trim());
            await factory.DockerOkAsync(bundle, "service", "ps", "hdcli");
            await factory.DockerOkAsync(bundle, "service", "update", "--detach", "--image", "10.99.0.1:5000/demo/app:2", "hdcli");
            Assert.Contains("demo/app:2", await factory.DockerOkAsync(bundle, "service", "inspect", "hdcli", "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}"));
            await factory.DockerOkAsync(bundle, "service", "scale", "--detach", "hdcli=2");
            Assert.Equal("2", (await factory.DockerOkAsync(bundle, "service", "inspect", "hdcli", "--format", "{{.Spec.Mode.Replicated.Replicas}}")).Trim());
            await factory.DockerOkAsync(bundle, "service", "logs", "--tail", "5", "hdcli");
            // A streamed body: the engine's events, forwarded as they come, until the time asked for.
            var events = await factory.DockerOkAsync(bundle, "events", "--since", started.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--until", DateTimeOffset.UtcNow.AddSeconds(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), "--filter", "type=service", "--format", "{{.Action}} {{.Actor.Attributes.name}}");
            Assert.Contains("create hdcli", events);
            Assert.Contains("update hdcli", events);
        }
        finally
        {
            await factory.DockerAsync(bundle, null, "service", "rm", "hdcli");
        }

        var (exit, _, error) = await factory.DockerAsync(bundle, "not-in-the-audit-log", "secret", "create", "hdclisecret", "-");
        Assert.True(exit == 0, error);
        Assert.Contains("hdclisecret", await factory.DockerOkAsync(bundle, "secret", "ls", "--format", "{{.Name}}"));
        await factory.DockerOkAsync(bundle, "secret", "rm", "hdclisecret");

        var compose = Path.Combine(bundle, "hdstack.yml");
        await File.WriteAllTextAsync(compose, $"version: \"3.8\"\nservices:\n  web:\n    image: {Image}\n");
        try
        {
            await factory.DockerOkAsync(bundle, "stack", "deploy", "-c", compose, "hdclistack");
            Assert.Contains("hdclistack", await factory.DockerOkAsync(bundle, "stack", "ls", "--format", "{{.Name}}"));
        }
        finally
        {
            await CliStackRemoval.RunAsync(() => factory.DockerOkAsync(bundle, "stack", "rm", "hdclistack"));
        }

        var audit = await AuditAsync("admin (docker cli, bundle hdlaptop)");
        Assert.Contains(audit, r => r.GetProperty("action").GetString() == "docker POST /services/create" && r.GetProperty("result").GetString() == "succeeded");
        Assert.Contains(audit, r => r.GetProperty("action").GetString() == "docker POST /services/{id}/update" && r.GetProperty("target").GetString()!.Contains("hdcli"));
        Assert.Contains(audit, r => r.GetProperty("action").GetString() == "docker DELETE /services/{id}" && r.GetProperty("result").GetString() == "succeeded");
        var secret = Assert.Single(audit, r => r.GetProperty("action").GetString() == "docker POST /secrets/create" && r.GetProperty("result").GetString() == "succeeded");
        Assert.Contains("hdclisecret", secret.GetProperty("detail").GetString());
        var everything = string.Join('\n', audit.Select(r => r.ToString()));
        Assert.DoesNotContain("not-in-the-audit-log", everything);
        Assert.DoesNotContain(Convert.ToBase64String("not-in-the-audit-log"u8), everything);
        Assert.Contains(audit, r => r.GetProperty("action").GetString() == "docker POST /networks/create" && r.GetProperty("target").GetString()!.Contains("hdclistack"));
    }

    [Fact]
    public async Task A_stack_operator_bundle_sees_and_changes_only_their_stack_and_host_uses_are_refused_with_the_reason()
    {
        await SyncedAsync();
        var (admin, _) = await factory.CreateBundleAsync(_admin, "hdadmin");
        (await _admin.PostAsJsonAsync("/api/users", new { username = "hdop", password = "hdop-long-password" })).EnsureSuccessStatusCode();
        (await _admin.PostAsJsonAsync("/api/grants", new { subject = "hdop", role = "Operator", scope = new { cluster = Cluster, stack = "hdshop" } })).EnsureSuccessStatusCode();
        using var operatorClient = await factory.CreateSignedInClientAsync("hdop", "hdop-long-password");
        var (bundle, _) = await factory.CreateBundleAsync(operatorClient, "hdterminal");
        try
        {
            await factory.DockerOkAsync(admin, "service", "create", "--detach", "--name", "hdother_web", "--label", $"{StackLabel}=hdother", Image);
            await factory.DockerOkAsync(bundle, "service", "create", "--detach", "--name", "hdshop_web", "--label", $"{StackLabel}=hdshop", Image);

            var listed = (await factory.DockerOkAsync(bundle, "service", "ls", "--format", "{{.Name}}")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(["hdshop_web"], listed);
            Assert.Contains("hdother_web", await factory.DockerOkAsync(admin, "service", "ls", "--format", "{{.Name}}"));

            var inspect = await factory.DockerAsync(bundle, null, "service", "inspect", "hdother_web");
            Assert.NotEqual(0, inspect.Exit);
            Assert.Contains($"Error response from daemon: You have no grant that allows 'clusters.read' on {Cluster}/hdother.", inspect.Error);

            var bind = await factory.DockerAsync(bundle, null, "service", "create", "--detach", "--name", "hdshop_bind", "--label", $"{StackLabel}=hdshop",
                "--mount", "type=bind,source=/tmp,target=/host", Image);
            Assert.NotEqual(0, bind.Exit);
            Assert.Contains("bind mount of the host path /tmp", bind.Error);

            var capability = await factory.DockerAsync(bundle, null, "service", "create", "--detach", "--name", "hdshop_cap", "--label", $"{StackLabel}=hdshop",
                "--cap-add", "NET_ADMIN", Image);
            Assert.NotEqual(0, capability.Exit);
            Assert.Contains("capability", capability.Error);

            var unlabelled = await factory.DockerAsync(bundle, null, "service", "create", "--detach", "--name", "hdloose", Image);
            Assert.NotEqual(0, unlabelled.Exit);
            Assert.Contains(StackLabel, unlabelled.Error);

            await factory.DockerOkAsync(bundle, "service", "scale", "--detach", "hdshop_web=2");
            await factory.DockerOkAsync(bundle, "service", "rm", "hdshop_web");

            var compose = Path.Combine(bundle, "hdshop.yml");
            await File.WriteAllTextAsync(compose, $"version: \"3.8\"\nservices:\n  api:\n    image: {Image}\n");
            await factory.DockerOkAsync(bundle, "stack", "deploy", "-c", compose, "hdshop");
            Assert.Contains("hdshop_api", await factory.DockerOkAsync(bundle, "service", "ls", "--format", "{{.Name}}"));
            var elsewhere = await factory.DockerAsync(bundle, null, "stack", "deploy", "-c", compose, "hdother");
            Assert.NotEqual(0, elsewhere.Exit);
            Assert.Contains("no grant", elsewhere.Error);
            await CliStackRemoval.RunAsync(() => factory.DockerOkAsync(bundle, "stack", "rm", "hdshop"));
        }
        finally
        {
            await factory.DockerAsync(admin, null, "service", "rm", "hdother_web", "hdshop_web", "hdshop_bind", "hdshop_cap", "hdloose", "hdshop_api", "hdother_api");
            await factory.DockerAsync(admin, null, "network", "rm", "hdshop_default", "hdother_default");
        }

        var audit = await AuditAsync("hdop (docker cli, bundle hdterminal)");
        Assert.Contains(audit, r => r.GetProperty("action").GetString() == "docker POST /services/create" && r.GetProperty("result").GetString() == "succeeded"
            && r.GetProperty("target").GetString() == $"{Cluster}/hdshop/service hdshop_web");
        Assert.Contains(audit, r => r.GetProperty("action").GetString() == "docker POST /services/create" && r.GetProperty("result").GetString() == "denied"
            && r.GetProperty("detail").GetString()!.Contains("bind mount"));
        Assert.Contains(audit, r => r.GetProperty("result").GetString() == "denied" && r.GetProperty("target").GetString()!.Contains("hdother"));
        Assert.Contains(audit, r => r.GetProperty("action").GetString() == "docker DELETE /services/{id}" && r.GetProperty("result").GetString() == "succeeded");
    }

    [Fact]
    public async Task A_revoked_or_expired_bundle_is_refused_and_a_foreign_or_missing_certificate_fails_the_handshake_and_no_certificate_is_refused()
    {
        await SyncedAsync();
        var (revoked, revokedId) = await factory.CreateBundleAsync(_admin, "hdrevoked");
        await factory.DockerOkAsync(revoked, "version");
        (await _admin.DeleteAsync($"/api/clientbundles/{revokedId}")).EnsureSuccessStatusCode();
        var afterRevoke = await factory.DockerAsync(revoked, null, "service", "ls");
        Assert.NotEqual(0, afterRevoke.Exit);
        Assert.Contains("revoked or expired", afterRevoke.Error);
        var listed = await _admin.GetFromJsonAsync<JsonElement>("/api/clientbundles");
        Assert.Contains(listed.EnumerateArray(), b => b.GetProperty("id").GetInt64() == revokedId && b.GetProperty("revokedAt").ValueKind == JsonValueKind.String);

        var (expired, expiredId) = await factory.CreateBundleAsync(_admin, "hdexpired");
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ControlPlaneDbContext>();
            await db.ClientBundles.Where(b => b.Id == expiredId).ExecuteUpdateAsync(b => b.SetProperty(r => r.ExpiresAtMs, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds()));
        }
        var afterExpiry = await factory.DockerAsync(expired, null, "service", "ls");
        Assert.NotEqual(0, afterExpiry.Exit);
        Assert.Contains("revoked or expired", afterExpiry.Error);

        // A certificate of another CA, with the right server CA: the server refuses it in the handshake.
        var foreign = Directory.CreateTempSubdirectory("hd-foreign-").FullName;
        try
        {
            File.Copy(Path.Combine(revoked, "ca.pem"), Path.Combine(foreign, "ca.pem"));
            using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var otherCa = new CertificateRequest("CN=admin", otherKey, HashAlgorithmName.SHA256);
            otherCa.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
            using var selfSigned = otherCa.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
            await File.WriteAllTextAsync(Path.Combine(foreign, "cert.pem"), selfSigned.ExportCertificatePem());
            await File.WriteAllTextAsync(Path.Combine(foreign, "key.pem"), otherKey.ExportPkcs8PrivateKeyPem());
            var handshake = await factory.DockerAsync(foreign, null, "version", "--format", "{{.Server.Version}}");
            Assert.NotEqual(0, handshake.Exit);
            // Refused in the handshake (TLS 1.3 reports it on the first read): never an HTTP answer from ControlPlane.
            Assert.Contains("error during connect", handshake.Error);
            Assert.DoesNotContain("Error response from daemon", handshake.Error);
        }
        finally
        {
            Directory.Delete(foreign, recursive: true);
        }

        // No certificate and no token: the TLS connection is made (a CI system may send a token instead), the request refused.
        using var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(revoked, "ca.pem"));
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate is not null,
        };
        using var anonymous = new HttpClient(handler);
        var endpoint = new Uri(factory.DockerHost.Replace("tcp://", "https://", StringComparison.Ordinal) + "/_ping");
        using var refused = await anonymous.GetAsync(endpoint);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("client bundle", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_bundle_revoked_while_its_connection_stays_open_is_refused_on_its_next_request()
    {
        await SyncedAsync();
        var (bundle, id) = await factory.CreateBundleAsync(_admin, "hdopen");
        using var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(bundle, "ca.pem"));
        using var certificate = X509Certificate2.CreateFromPemFile(Path.Combine(bundle, "cert.pem"), Path.Combine(bundle, "key.pem"));
        var opened = 0;
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            SslOptions =
            {
                ClientCertificates = [X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null)],
                RemoteCertificateValidationCallback = (_, server, _, _) =>
                {
                    Interlocked.Increment(ref opened);
                    using var chain = new X509Chain { ChainPolicy = { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck } };
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    return server is not null && chain.Build(new X509Certificate2(server));
                },
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = new Uri(factory.DockerHost.Replace("tcp://", "https://", StringComparison.Ordinal) + "/") };

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("_ping")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("v1.41/version")).StatusCode);
        (await _admin.DeleteAsync($"/api/clientbundles/{id}")).EnsureSuccessStatusCode();
        using var refused = await client.GetAsync("v1.41/services");

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("revoked or expired", await refused.Content.ReadAsStringAsync());
        Assert.Equal(1, opened);
    }

    [Fact]
    public async Task An_api_token_sent_by_the_cli_from_its_config_file_acts_as_its_user_and_is_audited_with_the_token_s_name()
    {
        await SyncedAsync();
        var (bundle, _) = await factory.CreateBundleAsync(_admin, "hdforca");
        var ci = Directory.CreateTempSubdirectory("hd-token-").FullName;
        try
        {
            // Only the CA: the CLI then verifies the server and sends no certificate.
            File.Copy(Path.Combine(bundle, "ca.pem"), Path.Combine(ci, "ca.pem"));
            using var created = await _admin.PostAsJsonAsync("/api/tokens", new { name = "hdci", expiresInDays = 1 });
            created.EnsureSuccessStatusCode();
            var token = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
            Directory.CreateDirectory(Path.Combine(ci, ".docker"));
            await File.WriteAllTextAsync(Path.Combine(ci, ".docker", "config.json"), JsonSerializer.Serialize(new { HttpHeaders = new Dictionary<string, string> { ["Authorization"] = $"Bearer {token}" } }));

            Assert.Equal("active", (await factory.DockerOkAsync(ci, "info", "--format", "{{.Swarm.LocalNodeState}}")).Trim());
            var (exit, _, error) = await factory.DockerAsync(ci, "token-secret-data", "secret", "create", "hdtokensecret", "-");
            Assert.True(exit == 0, error);
            await factory.DockerOkAsync(ci, "secret", "rm", "hdtokensecret");

            var audit = await AuditAsync("admin (docker cli, token hdci)");
            Assert.Contains(audit, r => r.GetProperty("action").GetString() == "docker POST /secrets/create" && r.GetProperty("result").GetString() == "succeeded");
            Assert.Contains(audit, r => r.GetProperty("action").GetString() == "docker DELETE /secrets/{id}" && r.GetProperty("result").GetString() == "succeeded");
            Assert.DoesNotContain(Convert.ToBase64String("token-secret-data"u8), string.Join('\n', audit.Select(r => r.ToString())));
        }
        finally
        {
            await factory.DockerAsync(bundle, null, "secret", "rm", "hdtokensecret");
            Directory.Delete(ci, recursive: true);
        }
    }
}
