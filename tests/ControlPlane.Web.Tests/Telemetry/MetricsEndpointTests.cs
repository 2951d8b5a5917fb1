using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;
using Docker.DotNet;

namespace ControlPlane.Web.Tests.Telemetry;

/// <summary>ControlPlane on the real swarm with a scrape token given as a file, as a Docker secret would be.</summary>
public sealed class MetricsAppFactory() : ControlPlaneAppFactory(new Dictionary<string, string?>
{
    ["ControlPlane:Clusters:0:Name"] = SwarmAppFactory.ClusterId,
    ["ControlPlane:Clusters:0:Endpoints:0"] = SwarmEnvironment.DockerHost,
    ["ControlPlane:Metrics:TokenFile"] = TokenFile,
})
{
    public const string ScrapeToken = "scrape-token-for-the-metrics-tests";

    public static readonly string TokenFile = WriteTokenFile();

    private static string WriteTokenFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"controlplane-metrics-token-{Guid.NewGuid():N}");
        File.WriteAllText(path, ScrapeToken + "\n");
        return path;
    }
}

/// <summary>
/// Alone, because OpenTelemetry listens to meters by name across the process: a test host of another class that
/// stops ends the streams of its framework meters (same names as ours) in every host's exporter. One host per process,
/// as in production, has no such neighbour.
/// </summary>
[CollectionDefinition(nameof(MetricsCollection), DisableParallelization = true)]
public sealed class MetricsCollection;

/// <summary><c>/metrics</c>: only for the scrape token or an Admin's API token; the framework's meters and ControlPlane's own.</summary>
[Collection(nameof(MetricsCollection))]
public sealed class MetricsEndpointTests(MetricsAppFactory factory) : IClassFixture<MetricsAppFactory>
{
    private readonly HttpClient _admin = factory.CreateAdminClient();

    private HttpClient Scraper(string token)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private async Task<string> ApiTokenOfAsync(HttpClient client)
    {
        using var created = await client.PostAsJsonAsync("/api/tokens", new { name = "metrics", expiresInDays = 1 });
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
    }

    [Fact]
    public async Task Metrics_are_refused_to_anonymous_callers_wrong_tokens_sessions_and_non_admins()
    {
        using var anonymous = factory.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
        using var wrong = Scraper(MetricsAppFactory.ScrapeToken + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/metrics")).StatusCode);
        // An Admin's browser session is not a scraper: a page must not be able to ride it.
        Assert.Equal(HttpStatusCode.Forbidden, (await _admin.GetAsync("/metrics")).StatusCode);

        var viewer = $"metricsviewer{Guid.NewGuid():N}"[..20];
        (await _admin.PostAsJsonAsync("/api/users", new { username = viewer, password = "viewer-password-123", role = "Viewer" })).EnsureSuccessStatusCode();
        using var viewerSession = await factory.CreateSignedInClientAsync(viewer, "viewer-password-123");
        using var viewerToken = Scraper(await ApiTokenOfAsync(viewerSession));
        Assert.Equal(HttpStatusCode.OK, (await viewerToken.GetAsync("/api/clusters")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewerToken.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task An_Admins_API_token_and_the_scrape_token_read_the_framework_meters_and_ControlPlanes_own()
    {
        using var adminToken = Scraper(await ApiTokenOfAsync(_admin));
        using var byAdmin = await adminToken.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, byAdmin.StatusCode);

        using var scraper = Scraper(MetricsAppFactory.ScrapeToken);
        // The watcher lists the cluster first; then the store's gauges have something to say. (The test host has no
        // Kestrel, so its meter is checked on the deployed stack, not here.)
        var synced = $"cluster=\"{SwarmAppFactory.ClusterId}\",status=\"synced\"}} 1";
        var text = await ScrapeUntilAsync(scraper, t => t.Contains(synced, StringComparison.Ordinal) && t.Contains("controlplane_cluster_nodes{", StringComparison.Ordinal));
        Assert.Contains("http_server_request_duration_seconds", text);
        Assert.Contains("dotnet_gc_", text);
        Assert.Contains("controlplane_engine_request_duration_seconds_count{", text);
        Assert.Contains("route=\"Swarm.ListServices\"", text);
        Assert.Contains("controlplane_cluster_watcher_status{", text);
        // Other test classes drain and stop nodes meanwhile: some node is ready, not a fixed number.
        Assert.Matches($"controlplane_cluster_nodes\\{{otel_scope_name=\"ControlPlane\",cluster=\"{SwarmAppFactory.ClusterId}\",state=\"ready\"}} [1-9]", text);
    }

    [Fact]
    public async Task Creating_a_secret_on_the_real_swarm_raises_the_Engine_API_and_audit_counters()
    {
        using var scraper = Scraper(MetricsAppFactory.ScrapeToken);
        using var docker = new DockerClientBuilder().WithEndpoint(new Uri(SwarmEnvironment.DockerHost)).Build();
        var before = await ScrapeUntilAsync(scraper, t => t.Contains("controlplane_engine_request_duration_seconds_count{", StringComparison.Ordinal));
        var family = $"met-{Guid.NewGuid():N}"[..14];
        using var created = await _admin.PostAsJsonAsync($"/api/clusters/{SwarmAppFactory.ClusterId}/secrets",
            new { family, data = Convert.ToBase64String(Encoding.UTF8.GetBytes("metrics-test-value")) });
        try
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var engineBefore = Sum(before, "controlplane_engine_request_duration_seconds_count", "route=\"Create\"");
            var auditBefore = Sum(before, "controlplane_audit_appends_total");
            // The exporter may answer from a cache of a few hundred milliseconds.
            var after = await ScrapeUntilAsync(scraper, t => Sum(t, "controlplane_engine_request_duration_seconds_count", "route=\"Create\"") > engineBefore);
            Assert.True(Sum(after, "controlplane_audit_appends_total") > auditBefore, "the audit appends counter did not grow with the change");
        }
        finally
        {
            foreach (var secret in (await docker.Secrets.ListAsync()).Where(s => s.Spec!.Name!.StartsWith(family, StringComparison.Ordinal)))
            {
                await docker.Secrets.DeleteAsync(secret.ID!);
            }
        }
    }

    private static async Task<string> ScrapeUntilAsync(HttpClient scraper, Func<string, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await scraper.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var text = await response.Content.ReadAsStringAsync();
            if (done(text) || DateTime.UtcNow > deadline)
            {
                Assert.True(done(text), "the scrape never showed what the test waited for:\n" + text);
                return text;
            }
            await Task.Delay(250);
        }
    }

    /// <summary>The sum of a metric's samples (all label sets, or those holding <paramref name="label"/>).</summary>
    private static double Sum(string exposition, string metric, string? label = null) => exposition
        .Split('\n')
        .Where(line => line.StartsWith(metric + "{", StringComparison.Ordinal) || line.StartsWith(metric + " ", StringComparison.Ordinal))
        .Where(line => label is null || line.Contains(label, StringComparison.Ordinal))
        .Sum(line => double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture));
}
