using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;

namespace ControlPlane.Web.Tests.Infrastructure;

/// <summary>
/// The real ControlPlane host in memory, with its own SQLite file and the cluster settings a test class
/// gives it. Settings go in as host settings (<c>UseSetting</c>), so they are visible while the host
/// registers its services, which read configuration there and then.
/// </summary>
public class ControlPlaneAppFactory(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
{
    /// <summary>The first admin every test host creates on its empty database (Admin on all clusters).</summary>
    public const string BootstrapAdmin = "admin";

    public const string BootstrapPassword = "web-tests-admin-password";

    private readonly string _databasePath = Path.Combine(Path.GetTempPath(), $"controlplane-webtests-{Guid.NewGuid():N}.db");

    /// <summary>The SQLite file of this host, for tests that look inside it (that a secret never lands there, say).</summary>
    public string DatabasePath => _databasePath;

    private readonly string _auditDirectory = Path.Combine(Path.GetTempPath(), $"controlplane-webtests-audit-{Guid.NewGuid():N}");

    /// <summary>The signed audit checkpoint this host writes, next to its own audit key.</summary>
    public string AuditCheckpointPath => Path.Combine(_auditDirectory, "audit-checkpoint.json");

    private string ConnectionString => $"Data Source={_databasePath}";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ControlPlane:Database:Provider", "Sqlite");
        builder.UseSetting("ControlPlane:Database:ConnectionString", ConnectionString);
        builder.UseSetting("ControlPlane:Audit:KeyFile", Path.Combine(_auditDirectory, "audit.key"));
        builder.UseSetting("ControlPlane:Bootstrap:AdminUser", BootstrapAdmin);
        builder.UseSetting("ControlPlane:Bootstrap:AdminPassword", BootstrapPassword);
        // The suite signs in dozens of users from one address within seconds; the limits' own tests set the defaults back.
        builder.UseSetting("ControlPlane:RateLimits:SignInPerAddressPerMinute", "100000");
        builder.UseSetting("ControlPlane:RateLimits:SignInPerUserPer15Minutes", "100000");
        builder.UseSetting("ControlPlane:RateLimits:AnonymousPerAddressPerMinute", "100000");
        builder.UseSetting("ControlPlane:RateLimits:PerPrincipalPerSecond", "100000");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>A client signed in as the bootstrap admin (it keeps the auth cookie).</summary>
    public HttpClient CreateAdminClient() => CreateSignedInClientAsync(BootstrapAdmin, BootstrapPassword).GetAwaiter().GetResult();

    /// <summary>A client signed in through <c>POST /api/auth/login</c>, as a browser or a script would.</summary>
    public async Task<HttpClient> CreateSignedInClientAsync(string userName, string password)
    {
        var client = CreateClient();
        using var login = await client.PostAsJsonAsync("/api/auth/login", new { username = userName, password });
        if (!login.IsSuccessStatusCode)
        {
            client.Dispose();
            throw new InvalidOperationException($"Signing in as {userName} failed: {(int)login.StatusCode} {await login.Content.ReadAsStringAsync()}");
        }
        return client;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        // Pooled connections keep the file and its WAL open; close them so nothing is left in /tmp.
        using (var connection = new SqliteConnection(ConnectionString))
        {
            SqliteConnection.ClearPool(connection);
        }
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(_databasePath + suffix);
        }
        DeleteAuditDirectory();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Removes the host's audit key and checkpoints. A stopping host may still be replacing its checkpoint (through a
    /// temporary file) as the folder goes, so a folder that gains a file meanwhile is tried again, then left to /tmp.
    /// </summary>
    private void DeleteAuditDirectory()
    {
        for (var attempt = 0; attempt < 5 && Directory.Exists(_auditDirectory); attempt++)
        {
            try
            {
                Directory.Delete(_auditDirectory, recursive: true);
            }
            catch (IOException)
            {
                Thread.Sleep(100);
            }
        }
    }
}

/// <summary>ControlPlane watching the local swarm (from <c>DOCKER_HOST</c>) as the cluster named <see cref="ClusterId"/>.</summary>
public sealed class SwarmAppFactory() : ControlPlaneAppFactory(new Dictionary<string, string?>
{
    ["ControlPlane:Clusters:0:Name"] = ClusterId,
    ["ControlPlane:Clusters:0:Endpoints:0"] = SwarmEnvironment.DockerHost,
})
{
    public const string ClusterId = "swarm";
}

/// <summary>ControlPlane configured with a well-formed endpoint where no engine listens.</summary>
public sealed class UnreachableAppFactory() : ControlPlaneAppFactory(new Dictionary<string, string?>
{
    ["ControlPlane:Clusters:0:Name"] = ClusterId,
    ["ControlPlane:Clusters:0:Endpoints:0"] = Endpoint,
})
{
    public const string ClusterId = "nowhere";

    public const string Endpoint = "unix:///tmp/nonexistent-docker.sock";
}
