using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace ControlPlane.Stack.Tests;

/// <summary>
/// ControlPlane deployed as the 3-replica stack (DESIGN §8), with containers killed by the docker CLI: an operation
/// whose replica dies is finished by another, the same change on two replicas gives one 409, requests keep being
/// answered across a kill and across a rolling update of ControlPlane's own service, and PostgreSQL restarting is seen
/// on <c>/readyz</c> and recovered from with nothing lost. Each test leaves all three replicas healthy again.
/// </summary>
public sealed class ReplicaLossTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan BackTimeout = TimeSpan.FromMinutes(3);
    private readonly StackUnderTest _stack = new();
    private readonly string _prefix = $"st{Guid.NewGuid().ToString("N")[..6]}-";
    private readonly List<string> _services = [];

    public Task InitializeAsync() => _stack.AllAnswerAsync("/readyz", BackTimeout);

    public async Task DisposeAsync()
    {
        foreach (var service in _services)
        {
            try
            {
                await StackUnderTest.DockerAsync(_stack.Manager, "service", "rm", service);
            }
            catch (InvalidOperationException)
            {
            }
        }
        // The next test starts from three healthy replicas again.
        await _stack.AllAnswerAsync("/readyz", BackTimeout);
    }

    [Fact]
    public async Task The_replica_running_a_secret_rotation_is_killed_and_another_adopts_and_finishes_it_with_no_service_half_swapped()
    {
        // Replica 1 (on a worker node) runs the rotation; replica 2 watches. The manager's node keeps PostgreSQL and Redis.
        using var onA = await _stack.AdminAsync(_stack.Replicas[1]);
        using var onB = await _stack.AdminAsync(_stack.Replicas[2]);
        var family = $"{_prefix}db";
        using (var created = await onA.PostAsJsonAsync($"/api/clusters/{StackUnderTest.Cluster}/secrets", new { family, data = Base64("first") }))
        {
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        }
        foreach (var name in new[] { "a", "b", "c" })
        {
            // Each update watched for 3 s: the rotation is still going when its replica dies.
            await CreateServiceAsync($"{_prefix}{name}", "--secret", $"source={family}.v1,target=db", "--update-monitor", "3s");
        }
        await StackUnderTest.WaitAsync(async () => (await onA.GetFromJsonAsync<JsonElement>($"/api/clusters/{StackUnderTest.Cluster}/secrets"))
            .EnumerateArray().Any(s => s.GetProperty("family").GetString() == family && s.GetProperty("usedBy").GetArrayLength() == 3), TimeSpan.FromSeconds(60), "the family is used by 3 services");

        // Operations that ended well, on the two replicas that live through the test: the adopter's counter moves.
        const string Ended = "controlplane_operation_duration_seconds_count";
        async Task<double> EndedWellAsync() =>
            await _stack.MetricAsync(_stack.Replicas[0], Ended, "result=\"succeeded\"") + await _stack.MetricAsync(_stack.Replicas[2], Ended, "result=\"succeeded\"");
        var endedBefore = await EndedWellAsync();

        using var rotate = await onA.PostAsJsonAsync($"/api/clusters/{StackUnderTest.Cluster}/secrets/{family}/rotate", new { data = Base64("second") });
        var body = await rotate.Content.ReadAsStringAsync();
        Assert.True(rotate.StatusCode == HttpStatusCode.Accepted, $"{(int)rotate.StatusCode} {body}");
        var id = JsonDocument.Parse(body).RootElement.GetProperty("operationId").GetString()!;
        await StackUnderTest.WaitAsync(async () => Step(await OperationAsync(onB, id), $"{_prefix}a") == "succeeded", TimeSpan.FromMinutes(2), "the first service is on the new version");

        var killed = Stopwatch.StartNew();
        await _stack.KillAsync("controlplane", 1);
        var before = await OperationAsync(onB, id);
        Assert.Equal("running", before.GetProperty("state").GetString());

        await StackUnderTest.WaitAsync(async () => (await OperationAsync(onB, id)).GetProperty("state").GetString() is not "running" and not "pending", TimeSpan.FromMinutes(2), "the operation ends on another replica");
        var finishedAfter = killed.Elapsed;
        var finished = await OperationAsync(onB, id);
        Assert.True(finished.GetProperty("state").GetString() == "succeeded", finished.ToString());
        Assert.All(finished.GetProperty("steps").EnumerateArray(), step => Assert.Equal("succeeded", step.GetProperty("state").GetString()));

        // Only version 2 is left, and every service mounts it: nothing half-swapped.
        Assert.Equal($"{family}.v2", await StackUnderTest.DockerAsync(_stack.Manager, "secret", "ls", "--filter", $"name={family}", "--format", "{{.Name}}"));
        foreach (var name in new[] { "a", "b", "c" })
        {
            Assert.Equal($"{family}.v2", await StackUnderTest.DockerAsync(_stack.Manager, "service", "inspect", $"{_prefix}{name}",
                "--format", "{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}}{{end}}"));
        }
        Assert.True(await EndedWellAsync() > endedBefore, $"{Ended} (succeeded) did not grow on the replicas that carried the rotation on");
        var adoption = Assert.Single((await onB.GetFromJsonAsync<JsonElement>("/api/audit?action=operations.adopt&limit=100")).EnumerateArray(),
            record => record.GetProperty("detail").GetString()!.Contains(id, StringComparison.Ordinal));
        var adoptedAt = adoption.GetProperty("time").GetDateTimeOffset();
        output.WriteLine($"rotation {id}: replica killed → finished on another replica in {finishedAfter.TotalSeconds:0.0} s; adoption audited at {adoptedAt:HH:mm:ss.fff}");
        await StackUnderTest.DockerAsync(_stack.Manager, "secret", "rm", $"{family}.v2").ContinueWith(_ => { });
    }

    [Fact]
    public async Task The_same_rollout_started_on_two_replicas_at_once_is_started_once_and_refused_once_with_409()
    {
        var name = $"{_prefix}web";
        await CreateServiceAsync(name, "--replicas", "2", "--update-delay", "3s");
        using var onA = await _stack.AdminAsync(_stack.Replicas[1]);
        using var onB = await _stack.AdminAsync(_stack.Replicas[2]);
        await StackUnderTest.WaitAsync(async () => (await onB.GetAsync($"/api/clusters/{StackUnderTest.Cluster}/services/{name}")).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "both replicas see the service");
        await StackUnderTest.WaitAsync(async () => (await onA.GetAsync($"/api/clusters/{StackUnderTest.Cluster}/services/{name}")).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "both replicas see the service");

        var image = StackUnderTest.DemoImage[..StackUnderTest.DemoImage.LastIndexOf(':')] + ":2";
        var request = new { image, update = new { parallelism = 1, delaySeconds = 3, monitorSeconds = 1 } };
        var answers = await Task.WhenAll(
            onA.PostAsJsonAsync($"/api/clusters/{StackUnderTest.Cluster}/services/{name}/rollout", request),
            onB.PostAsJsonAsync($"/api/clusters/{StackUnderTest.Cluster}/services/{name}/rollout", request));
        var statuses = answers.Select(a => a.StatusCode).Order().ToList();
        var bodies = string.Join(" | ", await Task.WhenAll(answers.Select(a => a.Content.ReadAsStringAsync())));
        Assert.True(statuses.SequenceEqual([HttpStatusCode.Accepted, HttpStatusCode.Conflict]), $"{string.Join(", ", statuses)}: {bodies}");
        foreach (var answer in answers)
        {
            answer.Dispose();
        }
    }

    [Fact]
    public async Task Requests_across_the_replicas_fail_only_in_flight_when_one_is_killed_and_not_at_all_during_a_rolling_update_of_ControlPlane()
    {
        var cookie = await SessionCookieAsync();
        await using (var killLoad = new BalancedLoad(_stack.Replicas, cookie, perSecond: 20))
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            await _stack.KillAsync("controlplane", 2);
            await Task.Delay(TimeSpan.FromSeconds(10));
            var result = await killLoad.StopAsync();
            output.WriteLine($"kill: {result}");
            Assert.True(result.Answered > 150, result.ToString());
            // A request the killed replica had accepted fails with it; no other may.
            Assert.True(result.Failed <= 2, result.ToString());
        }
        await _stack.AllAnswerAsync("/readyz", BackTimeout);

        await using var updateLoad = new BalancedLoad(_stack.Replicas, cookie, perSecond: 20);
        var update = Stopwatch.StartNew();
        // Replicas are replaced one at a time while the other two serve (stack.local.yml's update_config).
        await StackUnderTest.DockerAsync(_stack.Manager, "service", "update", "--quiet", "--force", $"{_stack.Name}_controlplane");
        await _stack.AllAnswerAsync("/readyz", BackTimeout);
        var during = await updateLoad.StopAsync();
        output.WriteLine($"rolling update of {_stack.Name}_controlplane ({update.Elapsed.TotalSeconds:0} s): {during}");
        Assert.True(during.Failed == 0, during.ToString());
    }

    [Fact]
    public async Task PostgreSQL_restarting_turns_readyz_to_503_and_ControlPlane_recovers_by_itself_with_nothing_lost()
    {
        using var admin = await _stack.AdminAsync(_stack.Replicas[0]);
        var user = $"{_prefix}user";
        (await admin.PostAsJsonAsync("/api/users", new { username = user, password = "stack-user-password-1" })).EnsureSuccessStatusCode();
        var auditBefore = (await admin.GetFromJsonAsync<JsonElement>("/api/audit?limit=10000")).GetArrayLength();

        var replicasBefore = await _stack.ContainersAsync("controlplane");
        using var probe = StackUnderTest.Client(_stack.Replicas[1]);
        await _stack.KillAsync("postgres", 0);
        var down = Stopwatch.StartNew();
        var seen503 = false;
        await StackUnderTest.WaitAsync(async () =>
        {
            using var answer = await probe.GetAsync("/readyz");
            seen503 |= answer.StatusCode == HttpStatusCode.ServiceUnavailable;
            return seen503;
        }, TimeSpan.FromSeconds(30), "/readyz answers 503 while PostgreSQL is down");

        // Swarm starts PostgreSQL again; ControlPlane reconnects by itself.
        await _stack.AllAnswerAsync("/readyz", BackTimeout);
        output.WriteLine($"PostgreSQL killed: /readyz 503 seen, every replica ready again after {down.Elapsed.TotalSeconds:0.0} s");
        // By itself means the replicas rode it out: none of them stopped and was started again by swarm.
        Assert.Equal(replicasBefore, await _stack.ContainersAsync("controlplane"));

        // Nothing lost: the session, the user, the audit log (still verifying).
        using (var signIn = StackUnderTest.Client(_stack.Replicas[2]))
        {
            using var login = await signIn.PostAsJsonAsync("/api/auth/login", new { username = user, password = "stack-user-password-1" });
            Assert.True(login.IsSuccessStatusCode, $"{(int)login.StatusCode} {await login.Content.ReadAsStringAsync()}");
        }
        Assert.True((await admin.GetFromJsonAsync<JsonElement>("/api/audit?limit=10000")).GetArrayLength() >= auditBefore);
        var verified = await admin.GetFromJsonAsync<JsonElement>("/api/audit/verify");
        Assert.True(verified.GetProperty("ok").GetBoolean(), verified.ToString());
    }

    private async Task CreateServiceAsync(string name, params string[] options)
    {
        await StackUnderTest.DockerAsync(_stack.Manager, [.. new[] { "service", "create", "--detach", "--name", name, "--stop-grace-period", "1s",
            "--restart-condition", "on-failure", "--restart-delay", "1s", "--update-parallelism", "1", "--update-failure-action", "pause" }, .. options, StackUnderTest.DemoImage]);
        _services.Add(name);
    }

    /// <summary>The bootstrap admin's session as a Cookie header, which every replica accepts.</summary>
    private async Task<string> SessionCookieAsync()
    {
        var cookies = new CookieContainer();
        using var signedIn = await _stack.AdminAsync(_stack.Replicas[0], cookies);
        return cookies.GetCookieHeader(_stack.Replicas[0]);
    }

    private static async Task<JsonElement> OperationAsync(HttpClient client, string id) =>
        await client.GetFromJsonAsync<JsonElement>($"/api/operations/{id}");

    private static string? Step(JsonElement operation, string name) =>
        operation.GetProperty("steps").EnumerateArray().FirstOrDefault(s => s.GetProperty("name").GetString() == name) is { ValueKind: JsonValueKind.Object } step
            ? step.GetProperty("state").GetString()
            : null;

    private static string Base64(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value));
}
