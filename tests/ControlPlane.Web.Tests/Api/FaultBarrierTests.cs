using System.Net;
using System.Text;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.Web.Tests.Api;

/// <summary>The API's answers to requests it cannot serve, without a swarm: each a problem with a reason and a correlation id.</summary>
public sealed class FaultBarrierTests(UnreachableAppFactory factory) : IClassFixture<UnreachableAppFactory>
{
    private const string Cluster = UnreachableAppFactory.ClusterId;

    private readonly HttpClient _client = factory.CreateAdminClient();

    [Fact]
    public async Task A_log_download_from_an_unreachable_cluster_is_a_503_naming_the_cluster()
    {
        var problem = await ProblemAsync(await _client.GetAsync($"/api/clusters/{Cluster}/services/web/logs"), HttpStatusCode.ServiceUnavailable);

        Assert.Contains($"'{Cluster}'", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Malformed_json_is_a_400_saying_what_could_not_be_read()
    {
        using var body = new StringContent("{\"replicas\":", Encoding.UTF8, "application/json");
        var problem = await ProblemAsync(await _client.PostAsync($"/api/clusters/{Cluster}/services/web/scale", body), HttpStatusCode.BadRequest);

        Assert.Contains("request body", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_body_larger_than_the_endpoint_takes_is_a_413_with_both_sizes()
    {
        using var body = new StringContent($"{{\"replicas\":1,\"x\":\"{new string('x', 100_000)}\"}}", Encoding.UTF8, "application/json");
        var problem = await ProblemAsync(await _client.PostAsync($"/api/clusters/{Cluster}/services/web/scale", body), HttpStatusCode.RequestEntityTooLarge);

        Assert.Contains("at most 65536", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_path_value_longer_than_any_name_is_a_400_with_its_length()
    {
        var problem = await ProblemAsync(await _client.GetAsync($"/api/clusters/{Cluster}/services/{new string('a', 3000)}/logs"), HttpStatusCode.BadRequest);

        Assert.Contains("3000 characters", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_tail_beyond_the_bound_is_a_400()
    {
        var problem = await ProblemAsync(await _client.GetAsync($"/api/clusters/{Cluster}/services/web/logs?tail=100000000"), HttpStatusCode.BadRequest);

        Assert.Contains("100000", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_sign_in_form_that_is_not_a_form_is_refused_not_a_server_error()
    {
        using var body = new StringContent("{\"username\":1}", Encoding.UTF8, "application/json");
        using var response = await factory.CreateClient().PostAsync("/account/login", body);

        Assert.InRange((int)response.StatusCode, 400, 499);
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        return problem;
    }
}
