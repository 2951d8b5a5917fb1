using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ControlPlane.Web.Tests.Infrastructure;
using Docker.DotNet;
using Docker.DotNet.Models;
using Xunit.Abstractions;

namespace ControlPlane.Web.Tests.Security;

/// <summary>Runs alone, after the parallel tests, so nothing else changes the swarm between the two listings.</summary>
[CollectionDefinition(nameof(BadInputCollection), DisableParallelization = true)]
public sealed class BadInputCollection;

/// <summary>
/// Hostile input to every operation the app describes in its own <c>/openapi/v1.json</c> (so a new endpoint is
/// covered without anyone adding it), as an Admin, a stack user and anonymous: no answer is a 5xx, every 4xx is a
/// problem, the swarm is the same afterwards and the process still answers <c>/healthz</c>.
/// </summary>
[Collection(nameof(BadInputCollection))]
public sealed class BadInputTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Cluster = SwarmAppFactory.ClusterId;
    private const string Password = "bad-input-password-123";

    /// <summary>The status recorded for a request the host refuses before the app sees it.</summary>
    private const int RefusedByHost = 0;

    /// <summary>Path values as they go on the wire (already escaped where they are escapes).</summary>
    private static readonly string[] HostilePathValues =
    [
        "..%2F..%2Fetc", "..%252F..%252Fetc", new string('a', 3000), "%00", "%2500", "%E2%98%83", "%27%20or%201%3D1%20--", "a%2Fb", "%2E%2E", "-rf",
    ];

    private static readonly string[] HostileQueryValues =
    [
        "..%2F..%2Fetc", new string('a', 3000), "%00", "%E2%98%83", "%27%20or%201%3D1%20--", "-1", "99999999999", "abc", "",
    ];

    /// <summary>Strings put into every string field of a body: none is a legal Docker or ControlPlane name, so nothing is created.</summary>
    private static readonly string[] HostileStrings = ["☃", "\0", new string('a', 3000), "' or 1=1 --", "../../etc"];

    private static readonly string[] MalformedBodies = ["{\"", "null", "[]", "\"text\"", "12", "{\"a\":1,}"];

    /// <summary>Ending the caller's own session would leave the rest of the run anonymous; these go out anonymously only.</summary>
    private static readonly string[] SessionEnding = ["/api/auth/logout", "/api/account/signout-everywhere", "/account/logout"];

    private static readonly string FiveMegabytes = "{\"data\":\"" + new string('x', 5 * 1024 * 1024) + "\"}";

    private readonly SwarmAppFactory _app = new();
    private readonly string _run = Guid.NewGuid().ToString("N")[..6];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Hostile_input_to_every_operation_never_gets_a_server_error_nor_changes_the_swarm()
    {
        var admin = _app.CreateAdminClient();
        var stackUser = $"bad-stack-{_run}";
        (await admin.PostAsJsonAsync("/api/users", new { username = stackUser, password = Password })).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/grants", new { subject = stackUser, role = "Operator", scope = new { cluster = Cluster, stack = $"badinput{_run}" } })).EnsureSuccessStatusCode();
        var callers = new Dictionary<string, HttpClient>
        {
            ["admin"] = admin,
            ["stack user"] = await _app.CreateSignedInClientAsync(stackUser, Password),
            ["anonymous"] = _app.CreateClient(),
        };
        await admin.GetUntilAsync($"/api/clusters/{Cluster}/services", (status, _) => status == HttpStatusCode.OK, TimeSpan.FromSeconds(60));

        using var openApi = JsonDocument.Parse(await admin.GetStringAsync("/openapi/v1.json"));
        var requests = Requests(openApi.RootElement).ToList();
        // The hub is no part of the OpenAPI document; its entry points get the same treatment.
        requests.AddRange(HostileQueryValues.Select(v => new HostileRequest(HttpMethod.Post, $"/hubs/cluster/negotiate?negotiateVersion={v}", null)));
        requests.AddRange(HostilePathValues.Select(v => new HostileRequest(HttpMethod.Get, $"/hubs/cluster?id={v}", null)));
        Assert.True(requests.Count > 500, $"The OpenAPI document gave only {requests.Count} requests; is it complete?");

        var before = await SwarmListingAsync();
        var clock = Stopwatch.StartNew();
        var answers = new ConcurrentBag<(string Caller, HostileRequest Request, int Status, string ContentType, string Body)>();
        using var gate = new SemaphoreSlim(8);
        await Task.WhenAll(callers.SelectMany(caller => requests
            .Where(r => caller.Key == "anonymous" || !SessionEnding.Any(r.Path.StartsWith))
            .Select(async request =>
            {
                await gate.WaitAsync();
                try
                {
                    using var message = new HttpRequestMessage(request.Method, request.Path);
                    if (request.Body is not null)
                    {
                        message.Content = new StringContent(request.Body, Encoding.UTF8, "application/json");
                    }
                    using var response = await caller.Value.SendAsync(message);
                    var body = await response.Content.ReadAsStringAsync();
                    answers.Add((caller.Key, request, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? "", body));
                }
                catch (InvalidOperationException ex) when (ex.Message.Contains("null characters", StringComparison.Ordinal))
                {
                    // A NUL in the path never reaches the app: Kestrel refuses the request line, and the test host will not build it.
                    answers.Add((caller.Key, request, RefusedByHost, "", ex.Message));
                }
                finally
                {
                    gate.Release();
                }
            })));
        var after = await SwarmListingAsync();

        var counts = answers.GroupBy(a => a.Status).OrderBy(g => g.Key).Select(g => $"{g.Count()} × {g.Key}");
        output.WriteLine($"{answers.Count} requests from {requests.Count} hostile requests × {callers.Count} callers in {clock.Elapsed.TotalSeconds:0.0}s: {string.Join(", ", counts)}");

        foreach (var status in answers.GroupBy(a => a.Status).OrderBy(g => g.Key))
        {
            output.WriteLine($"e.g. {Describe(status.First())}");
        }
        foreach (var created in answers.Where(a => a.Status == 201))
        {
            output.WriteLine($"created: {Describe(created)}");
        }

        var serverErrors = answers.Where(a => a.Status >= 500).Select(Describe).ToList();
        Assert.True(serverErrors.Count == 0, $"{serverErrors.Count} server errors:\n{string.Join("\n", serverErrors.Take(20))}");
        var bare = answers.Where(a => a.Status is >= 400 and < 500 && a.ContentType != "application/problem+json").Select(Describe).ToList();
        Assert.True(bare.Count == 0, $"{bare.Count} refusals without a problem body:\n{string.Join("\n", bare.Take(20))}");
        // The two answers the issue found as 500s: a name the store does not know went to the engine's path unescaped.
        foreach (var kind in new[] { "services", "containers" })
        {
            var known = answers.Single(a => a.Caller == "admin" && a.Request.Body is null && a.Request.Path == $"/api/clusters/{Cluster}/{kind}/..%252F..%252Fetc/logs");
            Assert.True(known.Status == 400 && known.Body.Contains("may hold only letters", StringComparison.Ordinal), Describe(known));
        }
        Assert.Equal(before, after);
        using var health = await _app.CreateClient().GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    private static string Describe((string Caller, HostileRequest Request, int Status, string ContentType, string Body) a) =>
        $"{a.Caller}: {a.Request.Method} {Shorten(a.Request.Path)} body {Shorten(a.Request.Body ?? "none")} → {a.Status} {a.ContentType} {Shorten(a.Body)}";

    private static string Shorten(string text) => text.Length > 200 ? $"{text[..200]}… ({text.Length} characters)" : text;

    /// <summary>Every operation of the document, each with its inputs made hostile one at a time.</summary>
    private IEnumerable<HostileRequest> Requests(JsonElement document)
    {
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var method = new HttpMethod(operation.Name.ToUpperInvariant());
                var parameters = Parameters(path.Value, operation.Value).ToList();
                var pathParameters = parameters.Where(p => p.In == "path").ToList();
                var query = parameters.Where(p => p.In == "query").ToList();
                var schema = operation.Value.TryGetProperty("requestBody", out var requestBody) ? BodySchema(document, requestBody) : null;
                var hasBody = operation.Value.TryGetProperty("requestBody", out _);
                string Url(string? name = null, string? value = null) =>
                    System.Text.RegularExpressions.Regex.Replace(path.Name, @"\{([^}:]+)[^}]*\}", m =>
                        m.Groups[1].Value == name ? value! : BaseValue(pathParameters.FirstOrDefault(p => p.Name == m.Groups[1].Value) ?? new Parameter(m.Groups[1].Value, "path", "string")));
                var baseBody = hasBody ? "{}" : null;

                yield return new HostileRequest(method, Url(), baseBody);
                foreach (var parameter in pathParameters)
                {
                    foreach (var value in HostilePathValues)
                    {
                        yield return new HostileRequest(method, Url(parameter.Name, value), baseBody);
                    }
                }
                foreach (var parameter in query)
                {
                    foreach (var value in HostileQueryValues)
                    {
                        yield return new HostileRequest(method, $"{Url()}?{parameter.Name}={value}", baseBody);
                    }
                }
                // Bodies go to every operation: one that takes none must ignore them, and one that does must read them safely.
                foreach (var body in MalformedBodies.Append(FiveMegabytes))
                {
                    yield return new HostileRequest(method, Url(), body);
                }
                if (schema is not null)
                {
                    yield return new HostileRequest(method, Url(), WrongTypes(document, schema.Value).ToJsonString());
                    foreach (var text in HostileStrings)
                    {
                        yield return new HostileRequest(method, Url(), Filled(document, schema.Value, text).ToJsonString());
                    }
                }
            }
        }
    }

    /// <summary>The cluster is the real one (so requests get past it); every other path value names nothing that exists.</summary>
    private string BaseValue(Parameter parameter) => parameter switch
    {
        { Name: "cluster" } => Cluster,
        { Type: "integer" } => "987654321",
        _ => $"missing-{_run}",
    };

    private static IEnumerable<Parameter> Parameters(JsonElement path, JsonElement operation)
    {
        foreach (var holder in new[] { path, operation })
        {
            if (holder.ValueKind == JsonValueKind.Object && holder.TryGetProperty("parameters", out var list))
            {
                foreach (var p in list.EnumerateArray())
                {
                    yield return new Parameter(p.GetProperty("name").GetString()!, p.GetProperty("in").GetString()!,
                        p.TryGetProperty("schema", out var schema) ? TypeOf(schema) : "string");
                }
            }
        }
    }

    private static JsonElement? BodySchema(JsonElement document, JsonElement requestBody) =>
        requestBody.TryGetProperty("content", out var content) && content.EnumerateObject().FirstOrDefault() is { Value: var media } &&
        media.ValueKind == JsonValueKind.Object && media.TryGetProperty("schema", out var schema)
            ? Resolve(document, schema)
            : null;

    private static JsonElement Resolve(JsonElement document, JsonElement schema)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            var found = document;
            foreach (var part in reference.GetString()!.TrimStart('#', '/').Split('/'))
            {
                found = found.GetProperty(part);
            }
            return Resolve(document, found);
        }
        return schema;
    }

    /// <summary>The schema's type, taking the first that is not "null" where OpenAPI 3.1 lists several.</summary>
    private static string TypeOf(JsonElement schema) =>
        !schema.TryGetProperty("type", out var type) ? "object"
        : type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).FirstOrDefault(t => t != "null") ?? "null"
        : type.GetString()!;

    private static IEnumerable<(string Name, JsonElement Schema)> Properties(JsonElement document, JsonElement schema) =>
        schema.TryGetProperty("properties", out var properties)
            ? properties.EnumerateObject().Select(p => (p.Name, Resolve(document, p.Value)))
            : [];

    /// <summary>Every property given a value of another type.</summary>
    private static JsonObject WrongTypes(JsonElement document, JsonElement schema)
    {
        var body = new JsonObject();
        foreach (var (name, property) in Properties(document, schema))
        {
            body[name] = TypeOf(property) == "string" ? JsonValue.Create(12345) : JsonValue.Create("not-a-" + TypeOf(property));
        }
        return body;
    }

    /// <summary>Every string property (in nested objects and arrays too) set to <paramref name="text"/>, other properties left out.</summary>
    private static JsonObject Filled(JsonElement document, JsonElement schema, string text, int depth = 0)
    {
        var body = new JsonObject();
        foreach (var (name, property) in Properties(document, schema))
        {
            JsonNode? value = TypeOf(property) switch
            {
                "string" => JsonValue.Create(text),
                "object" when depth < 3 && property.TryGetProperty("properties", out _) => Filled(document, property, text, depth + 1),
                "object" when property.TryGetProperty("additionalProperties", out _) => new JsonObject { [text] = text },
                "array" when property.TryGetProperty("items", out var items) && TypeOf(Resolve(document, items)) == "string" => new JsonArray(JsonValue.Create(text)),
                _ => null,
            };
            if (value is not null)
            {
                body[name] = value;
            }
        }
        return body;
    }

    /// <summary>
    /// What the swarm holds, as the engine lists it: every service, network, secret, config and node with its spec.
    /// Specs rather than versions, so a rollout of an earlier test settling (its update status moving on) is no change.
    /// </summary>
    private static async Task<string> SwarmListingAsync()
    {
        using var docker = new DockerClientBuilder().WithEndpoint(new Uri(SwarmEnvironment.DockerHost)).Build();
        var lines = new List<string>();
        lines.AddRange((await docker.Swarm.ListServicesAsync()).Select(s => $"service {s.ID} {JsonSerializer.Serialize(s.Spec)}"));
        lines.AddRange((await docker.Networks.ListNetworksAsync()).Where(n => n.Scope == "swarm").Select(n => $"network {n.ID} {n.Name} {JsonSerializer.Serialize(n.Labels)}"));
        lines.AddRange((await docker.Secrets.ListAsync()).Select(s => $"secret {s.ID} {s.Spec?.Name} {JsonSerializer.Serialize(s.Spec?.Labels)}"));
        lines.AddRange((await docker.Configs.ListConfigsAsync()).Select(c => $"config {c.ID} {c.Spec?.Name} {JsonSerializer.Serialize(c.Spec?.Labels)}"));
        lines.AddRange((await docker.Swarm.ListNodesAsync()).Select(n => $"node {n.ID} {n.Description?.Hostname} {JsonSerializer.Serialize(n.Spec)}"));
        lines.Sort(StringComparer.Ordinal);
        return string.Join("\n", lines);
    }

    private sealed record Parameter(string Name, string In, string Type);

    private sealed record HostileRequest(HttpMethod Method, string Path, string? Body);
}
