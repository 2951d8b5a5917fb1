using System.Net;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.Web.Tests.Api;

/// <summary>A well-formed endpoint where no engine listens: the app still serves, and says what is wrong.</summary>
public sealed class UnreachableClusterTests(UnreachableAppFactory factory) : IClassFixture<UnreachableAppFactory>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _client = factory.CreateAdminClient();

    [Fact]
    public async Task The_overview_page_is_served()
    {
        var response = await _client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("ControlPlane", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_nodes_page_is_served_and_tells_the_cluster_is_unreachable()
    {
        await WaitUntilUnreachableAsync();

        var response = await _client.GetAsync("/nodes");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("Nodes", html);
        Assert.Contains("The cluster is unreachable", html);
        Assert.Contains("/tmp/nonexistent-docker.sock", html);
    }

    [Fact]
    public async Task Clusters_shows_unreachable_with_an_error_naming_the_endpoint_and_the_setting()
    {
        var clusters = await WaitUntilUnreachableAsync();

        var cluster = Assert.Single(clusters.EnumerateArray());
        var error = cluster.GetProperty("error").GetString();
        Assert.Contains(UnreachableAppFactory.Endpoint, error);
        Assert.Contains("ControlPlane:Clusters:0:Endpoints:0", error);
    }

    [Fact]
    public async Task Readyz_answers_503_and_names_the_unreachable_cluster()
    {
        await WaitUntilUnreachableAsync();

        var response = await _client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.False(body.GetProperty("ready").GetBoolean());
        Assert.Equal("reachable", body.GetProperty("database").GetString());
        var cluster = Assert.Single(body.GetProperty("clusters").EnumerateArray());
        Assert.Equal("unreachable", cluster.GetProperty("status").GetString());
    }

    private Task<JsonElement> WaitUntilUnreachableAsync() =>
        _client.GetUntilAsync("/api/clusters",
            (_, json) => json.ValueKind == JsonValueKind.Array && json.EnumerateArray().Any(c => c.GetProperty("status").GetString() == "unreachable"),
            Timeout);
}
