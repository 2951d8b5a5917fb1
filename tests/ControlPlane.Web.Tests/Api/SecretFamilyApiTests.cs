using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;
using Docker.DotNet;

namespace ControlPlane.Web.Tests.Api;

/// <summary>Creating a secret family through the API, on the real swarm: version 1, labelled, and the value nowhere but in Docker.</summary>
public sealed class SecretFamilyApiTests(SwarmAppFactory factory) : IClassFixture<SwarmAppFactory>
{
    private const string Cluster = SwarmAppFactory.ClusterId;
    private readonly HttpClient _client = factory.CreateAdminClient();

    [Fact]
    public async Task A_new_family_becomes_a_labelled_version_1_and_its_value_is_in_no_answer_audit_record_or_database_row()
    {
        using var docker = new DockerClientBuilder().WithEndpoint(new Uri(SwarmEnvironment.DockerHost)).Build();
        var family = $"fam-{Guid.NewGuid():N}"[..14];
        var value = $"recognisable-secret-{Guid.NewGuid():N}";

        using var created = await _client.PostAsJsonAsync($"/api/clusters/{Cluster}/secrets", new { family, data = Convert.ToBase64String(Encoding.UTF8.GetBytes(value)) });
        try
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var body = await created.Content.ReadAsStringAsync();
            Assert.Contains($"\"name\":\"{family}.v1\"", body);
            Assert.DoesNotContain(value, body);

            var secret = (await docker.Secrets.ListAsync()).Single(s => s.Spec!.Name == $"{family}.v1");
            Assert.Equal(family, secret.Spec!.Labels!["controlplane.family"]);
            Assert.Equal("1", secret.Spec.Labels["controlplane.version"]);

            var audit = await _client.GetStringAsync($"/api/audit?action=secrets.create&limit=50");
            Assert.Contains($"{family}", audit);
            Assert.DoesNotContain(value, audit);
            Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(value)), audit);
            Assert.False(DatabaseHolds(value), "the secret value was found in ControlPlane's database file");

            await _client.GetUntilAsync($"/api/clusters/{Cluster}/secrets", (status, json) => status == HttpStatusCode.OK
                && json.EnumerateArray().Any(s => s.GetProperty("name").GetString() == $"{family}.v1"), TimeSpan.FromSeconds(30));
        }
        finally
        {
            foreach (var secret in (await docker.Secrets.ListAsync()).Where(s => s.Spec!.Name!.StartsWith(family, StringComparison.Ordinal)))
            {
                await docker.Secrets.DeleteAsync(secret.ID!);
            }
        }
    }

    [Theory]
    [InlineData("bad name!", "c2VjcmV0", HttpStatusCode.BadRequest, "letters, digits")]
    [InlineData("", "c2VjcmV0", HttpStatusCode.BadRequest, "family name is required")]
    [InlineData("empty-value", "", HttpStatusCode.BadRequest, "empty")]
    [InlineData("not-base64", "%%%", HttpStatusCode.BadRequest, "base64")]
    public async Task Bad_input_is_refused_with_the_reason_and_creates_nothing(string family, string data, HttpStatusCode status, string reason)
    {
        using var docker = new DockerClientBuilder().WithEndpoint(new Uri(SwarmEnvironment.DockerHost)).Build();
        using var response = await _client.PostAsJsonAsync($"/api/clusters/{Cluster}/secrets", new { family, data });

        Assert.Equal(status, response.StatusCode);
        Assert.Contains(reason, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        // Other test classes create secrets meanwhile, so look for this one only.
        Assert.DoesNotContain((await docker.Secrets.ListAsync()), s => s.Spec!.Name == $"{family}.v1");
    }

    [Fact]
    public async Task A_value_over_500_KB_and_a_family_that_exists_are_refused()
    {
        using var docker = new DockerClientBuilder().WithEndpoint(new Uri(SwarmEnvironment.DockerHost)).Build();
        var family = $"dup-{Guid.NewGuid():N}"[..14];
        using var tooBig = await _client.PostAsJsonAsync($"/api/clusters/{Cluster}/secrets", new { family, data = Convert.ToBase64String(new byte[500 * 1024 + 1]) });
        Assert.Equal(HttpStatusCode.BadRequest, tooBig.StatusCode);
        Assert.Contains("500 KB", await tooBig.Content.ReadAsStringAsync());

        (await _client.PostAsJsonAsync($"/api/clusters/{Cluster}/secrets", new { family, data = "c2VjcmV0" })).EnsureSuccessStatusCode();
        try
        {
            await _client.GetUntilAsync($"/api/clusters/{Cluster}/secrets", (_, json) => json.EnumerateArray().Any(s => s.GetProperty("name").GetString() == $"{family}.v1"),
                TimeSpan.FromSeconds(30));
            using var again = await _client.PostAsJsonAsync($"/api/clusters/{Cluster}/secrets", new { family, data = "b3RoZXI=" });

            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
            Assert.Contains("exists already", await again.Content.ReadAsStringAsync());
        }
        finally
        {
            foreach (var secret in (await docker.Secrets.ListAsync()).Where(s => s.Spec!.Name!.StartsWith(family, StringComparison.Ordinal)))
            {
                await docker.Secrets.DeleteAsync(secret.ID!);
            }
        }
    }

    private bool DatabaseHolds(string value)
    {
        var needle = Encoding.UTF8.GetBytes(value);
        foreach (var file in new[] { factory.DatabasePath, factory.DatabasePath + "-wal" }.Where(File.Exists))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            if (copy.ToArray().AsSpan().IndexOf(needle) >= 0)
            {
                return true;
            }
        }
        return false;
    }
}
