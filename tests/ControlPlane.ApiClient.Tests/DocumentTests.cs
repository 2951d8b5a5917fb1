using System.Text.Json.Nodes;
using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.ApiClient.Tests;

/// <summary>
/// The client is generated from <c>openapi-v1.json</c> in this folder; this keeps that file what the app serves, so a
/// change to an endpoint fails here until the document (and with it the client) follows.
/// </summary>
public sealed class DocumentTests(UnreachableAppFactory app) : IClassFixture<UnreachableAppFactory>
{
    private static readonly string Committed = Path.Combine(RepositoryRoot.Path, "tests", "ControlPlane.ApiClient.Tests", "openapi-v1.json");

    [Fact]
    public async Task The_committed_document_the_client_is_generated_from_is_the_one_the_app_serves()
    {
        var served = await app.CreateAdminClient().GetStringAsync("/openapi/v1.json");
        if (Environment.GetEnvironmentVariable("CONTROLPLANE_UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(Committed, served);
        }

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(served), JsonNode.Parse(await File.ReadAllTextAsync(Committed))),
            $"{Committed} is not what /openapi/v1.json serves. Run this test once with CONTROLPLANE_UPDATE_OPENAPI=1 to write it, " +
            "review the diff, and build again to regenerate the client.");
    }
}
