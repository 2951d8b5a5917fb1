using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.Web.Tests.StackTests;

/// <summary>
/// What a deploy refuses, on the real swarm: a bad file answers 400 with the line, column and key of each problem and
/// leaves the swarm exactly as it was; a caller without the permission on the stack, on what the file reaches into, or
/// on the host (the restricted rule) gets 403 with the reason, audited; a Viewer gets 403 before any problem is told.
/// </summary>
public sealed class StackRefusalTests(StackHost host) : IClassFixture<StackHost>
{
    private const string Password = "stack-refusals-password-1";
    private const string Image = SwarmEnvironment.DemoImage;

    public static TheoryData<string, string, string> BadFiles() => new()
    {
        { "yaml syntax", "services:\n  web:\n    image: [unclosed\n    deploy: {}\n", "" },
        { "wrong type", $"version: \"3.9\"\nservices:\n  web:\n    image: {Image}\n    deploy:\n      replicas: many\n", "replicas" },
        { "unknown key", $"version: \"3.9\"\nservices:\n  web:\n    imagee: {Image}\n", "imagee" },
        { "undefined variable", "version: \"3.9\"\nservices:\n  web:\n    image: ${NOT_GIVEN:?is required}\n", "image" },
        { "bad name", $"version: \"3.9\"\nservices:\n  \"bad name!\":\n    image: {Image}\n", "bad name!" },
        { "file secret", $"version: \"3.9\"\nservices:\n  web:\n    image: {Image}\n    secrets: [token]\nsecrets:\n  token:\n    file: ./token.txt\n", "token" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task A_bad_file_is_400_with_the_line_column_and_key_of_its_problem_and_the_swarm_is_left_as_it_was(string what, string compose, string keyPart)
    {
        var stack = $"hsbad{host.Run}";
        // Only what this test could make: the shared swarm changes meanwhile under other tests and suites.
        var before = await StackSwarm.ListingAsync(stack);

        using var preview = await host.Admin.PreviewAsync(stack, compose);
        using var deploy = await host.Admin.DeployAsync(stack, compose);

        foreach (var response in new[] { preview, deploy })
        {
            var errors = await StackApi.ErrorsAsync(response);
            Assert.NotEmpty(errors);
            // A YAML syntax error is before any key: it has its line and column only.
            Assert.All(errors, e => Assert.True(e.Line > 0 && e.Column > 0 && (e.Key.Length > 0 || keyPart.Length == 0), $"{what}: {e}"));
            Assert.Contains(errors, e => e.Key.Contains(keyPart, StringComparison.Ordinal) || e.Message.Contains(keyPart, StringComparison.Ordinal));
        }
        Assert.Equal(before, await StackSwarm.ListingAsync(stack));
    }

    [Fact]
    public async Task An_external_object_that_does_not_exist_is_a_problem_at_its_line_and_nothing_is_created()
    {
        var stack = $"hsext{host.Run}";
        var compose = $"version: \"3.9\"\nservices:\n  web:\n    image: {Image}\n    networks: [outside]\n    secrets: [nosuch]\nnetworks:\n  outside:\n    external: true\n    name: hs-no-such-net\nsecrets:\n  nosuch:\n    external: true\n";
        var before = await StackSwarm.ListingAsync(stack);

        var errors = await StackApi.ErrorsAsync(await host.Admin.DeployAsync(stack, compose));

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Message.Contains("hs-no-such-net", StringComparison.Ordinal) && e.Line >= 8);
        Assert.Contains(errors, e => e.Message.Contains("nosuch", StringComparison.Ordinal) && e.Line >= 11);
        Assert.Equal(before, await StackSwarm.ListingAsync(stack));
    }

    private async Task<HttpClient> UserAsync(string name, string role, string? stack)
    {
        (await host.Admin.PostAsJsonAsync("/api/users", new { username = name, password = Password })).EnsureSuccessStatusCode();
        (await host.Admin.PostAsJsonAsync("/api/grants", new { subject = name, role, scope = new { cluster = SwarmAppFactory.ClusterId, stack } })).EnsureSuccessStatusCode();
        return await host.App.CreateSignedInClientAsync(name, Password);
    }

    private async Task<JsonElement> AuditAsync(string actor) =>
        await host.Admin.GetFromJsonAsync<JsonElement>($"/api/audit?actor={actor}&limit=200");

    private static async Task<string> ForbiddenAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"expected 403, got {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString()!;
    }

    [Fact]
    public async Task An_operator_of_a_stack_deploys_it_but_not_another_stack_a_bind_mount_or_a_family_of_another_stack_and_each_refusal_is_audited()
    {
        var (a, b) = ($"hsa{host.Run}", $"hsb{host.Run}");
        var family = $"hsfam{host.Run}";
        var user = $"hs-op-{host.Run}";
        try
        {
            // A family of stack b, as ControlPlane labels its versions.
            await StackSwarm.PostAsync("secrets/create", new
            {
                Name = $"{family}.v1",
                Labels = new Dictionary<string, string> { ["controlplane.family"] = family, ["controlplane.version"] = "1", [StackSwarm.StackLabel] = b },
                Data = "c2VjcmV0",
            });
            using var operatorClient = await UserAsync(user, "Operator", a);
            var plain = $"version: \"3.9\"\nservices:\n  web:\n    image: {Image}\n    deploy:\n      replicas: 0\n";

            await operatorClient.FinishedAsync(await operatorClient.DeployAsync(a, plain));

            var before = await StackSwarm.ListingAsync(a, b, family);
            var other = await ForbiddenAsync(await operatorClient.DeployAsync(b, plain));
            Assert.Contains(b, other);
            var bind = $"version: \"3.9\"\nservices:\n  web:\n    image: {Image}\n    volumes:\n      - /etc:/host-etc:ro\n";
            var restricted = await ForbiddenAsync(await operatorClient.DeployAsync(a, bind));
            Assert.Contains("volumes", restricted);
            Assert.Contains("line 6", restricted);
            var usesFamily = $"version: \"3.9\"\nservices:\n  web:\n    image: {Image}\n    secrets: [{family}]\nsecrets:\n  {family}:\n    external: true\n";
            var reach = await ForbiddenAsync(await operatorClient.DeployAsync(a, usesFamily));
            Assert.Contains(b, reach);
            Assert.Equal(before, await StackSwarm.ListingAsync(a, b, family));

            var denied = (await AuditAsync(user)).EnumerateArray().Where(r => r.GetProperty("result").GetString() == "denied").ToList();
            Assert.Equal(3, denied.Count(r => r.GetProperty("action").GetString() == "stacks.deploy"));
            Assert.Contains(denied, r => r.GetProperty("detail").GetString()!.Contains("volumes", StringComparison.Ordinal));
            Assert.Equal(2, denied.Count(r => r.GetProperty("target").GetString()!.StartsWith($"{SwarmAppFactory.ClusterId}/{b}", StringComparison.Ordinal)));

            // Stack a is the operator's to remove.
            await operatorClient.FinishedAsync(await operatorClient.DeleteAsync($"{StackApi.Stacks}/{a}"));
        }
        finally
        {
            await StackSwarm.RemoveAsync(a, b);
        }
    }

    [Fact]
    public async Task A_viewer_reads_the_deployed_file_and_its_variable_names_but_not_their_values()
    {
        var stack = $"hsvar{host.Run}";
        const string value = "hs-variable-value-not-for-viewers";
        var compose = $"version: \"3.9\"\nservices:\n  web:\n    image: {Image}\n    environment:\n      TOKEN: ${{TOKEN}}\n";
        using var viewer = await UserAsync($"hs-varview-{host.Run}", "Viewer", null);
        try
        {
            await host.Admin.DeployAndWaitAsync(stack, compose, new Dictionary<string, string> { ["TOKEN"] = value });

            var seenByViewer = await viewer.GetStringAsync($"{StackApi.Stacks}/{stack}/compose");
            var historyByViewer = await viewer.GetStringAsync($"{StackApi.Stacks}/{stack}/history");
            var seenByAdmin = await host.Admin.GetFromJsonAsync<JsonElement>($"{StackApi.Stacks}/{stack}/compose");

            Assert.Contains("TOKEN", seenByViewer);
            Assert.DoesNotContain(value, seenByViewer);
            Assert.DoesNotContain(value, historyByViewer);
            Assert.True(JsonDocument.Parse(seenByViewer).RootElement.GetProperty("variableValuesHidden").GetBoolean());
            Assert.Equal(value, seenByAdmin.GetProperty("variables").GetProperty("TOKEN").GetString());
        }
        finally
        {
            await StackSwarm.RemoveAsync(stack);
        }
    }

    [Fact]
    public async Task A_viewer_is_refused_preview_deploy_and_remove_before_any_problem_of_the_file_and_each_refusal_is_audited()
    {
        var stack = $"hsv{host.Run}";
        var user = $"hs-view-{host.Run}";
        using var viewer = await UserAsync(user, "Viewer", null);
        var broken = "services:\n  web:\n    image: [unclosed\n";
        var before = await StackSwarm.ListingAsync(stack);

        await ForbiddenAsync(await viewer.PreviewAsync(stack, broken));
        await ForbiddenAsync(await viewer.DeployAsync(stack, broken));
        await ForbiddenAsync(await viewer.DeployAsync(stack, $"services:\n  web:\n    image: {Image}\n"));
        await ForbiddenAsync(await viewer.DeleteAsync($"{StackApi.Stacks}/{stack}"));

        Assert.Equal(before, await StackSwarm.ListingAsync(stack));
        var denied = (await AuditAsync(user)).EnumerateArray().Where(r => r.GetProperty("result").GetString() == "denied")
            .Select(r => r.GetProperty("action").GetString()).ToList();
        Assert.Equal(1, denied.Count(a => a == "stacks.preview"));
        Assert.Equal(2, denied.Count(a => a == "stacks.deploy"));
        Assert.Equal(1, denied.Count(a => a == "stacks.remove"));
        // Reading is a Viewer's: the list answers, the file of a stack deployed elsewhere is not found.
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync(StackApi.Stacks)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await viewer.GetAsync($"{StackApi.Stacks}/{stack}/compose")).StatusCode);
    }
}
