using System.Diagnostics;
using ControlPlane.Core.Logs;
using ControlPlane.Core.State;
using ControlPlane.Docker.Configuration;
using ControlPlane.Docker.Connection;
using ControlPlane.Docker.Logs;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ControlPlane.Docker.Tests;

/// <summary><see cref="DockerLogSource"/> reading real services and containers of the local swarm.</summary>
public sealed class LogSourceTests : IDisposable
{
    private const string Cluster = "test";

    // PID 1 exits at once on SIGTERM, so removing the service does not wait out the grace period.
    private const string Script = "trap 'exit 0' TERM; i=0; while :; do echo \"line $i\"; echo \"err $i\" >&2; i=$((i+1)); sleep 0.2; done";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private readonly EngineRequestCounter _requests = new();
    private readonly ClusterRegistry _registry;
    private readonly DockerLogSource _source;

    public LogSourceTests()
    {
        var options = new ClustersOptions { Clusters = [new ControlPlane.Docker.Configuration.ClusterOptions { Name = Cluster, Endpoints = [LocalSwarm.ManagerEndpoint] }] };
        _registry = new ClusterRegistry(Options.Create(options), _requests, NullLoggerFactory.Instance);
        _source = new DockerLogSource(_registry);
    }

    [Fact]
    public async Task A_service_s_tail_has_its_last_lines_with_time_stream_and_task()
    {
        await using var service = await ChattyService.StartAsync();
        var taskId = await service.RunningTaskIdAsync();

        // Wait for the task to have written enough; then a tail of 4 gives exactly the last 4 lines.
        var lines = await EventuallyAsync(
            () => ReadAllAsync(LogTarget.Service(service.Name), new LogOptions(Tail: 4)),
            read => read.Count(l => l.Text.StartsWith("line ", StringComparison.Ordinal)) >= 2);

        Assert.Equal(4, lines.Count);
        Assert.All(lines, l => Assert.Equal(taskId, l.TaskOrContainer));
        Assert.All(lines, l => Assert.InRange(l.Time!.Value, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1)));
        Assert.All(lines.Where(l => l.Stream == LogLine.StandardOutput), l => Assert.Matches(@"^line \d+$", l.Text));
        Assert.All(lines.Where(l => l.Stream == LogLine.StandardError), l => Assert.Matches(@"^err \d+$", l.Text));
        Assert.Contains(lines, l => l.Stream == LogLine.StandardError);
    }

    [Fact]
    public async Task Following_a_service_yields_a_line_written_after_the_stream_started()
    {
        await using var service = await ChattyService.StartAsync();
        await service.RunningTaskIdAsync();
        var before = await EventuallyAsync(() => ReadAllAsync(LogTarget.Service(service.Id), new LogOptions(Tail: 1)), read => read.Count > 0);
        var lastBefore = Number(before.Single());

        using var deadline = new CancellationTokenSource(Timeout);
        await using var follow = _source.ReadAsync(Cluster, LogTarget.Service(service.Id), new LogOptions(Tail: 0, Follow: true), deadline.Token).GetAsyncEnumerator(deadline.Token);

        Assert.True(await follow.MoveNextAsync());
        Assert.True(Number(follow.Current) > lastBefore, $"'{follow.Current.Text}' was written before the stream started (last was {lastBefore})");
        Assert.True(await follow.MoveNextAsync());
        Assert.True(Number(follow.Current) > lastBefore);
    }

    [Fact]
    public async Task A_task_s_container_on_the_manager_has_its_logs_read_from_the_manager_s_engine()
    {
        await using var service = await ChattyService.StartAsync(onManager: true);
        var containerId = await service.RunningContainerIdAsync();

        var lines = await EventuallyAsync(
            () => ReadAllAsync(LogTarget.Container(containerId), new LogOptions(Tail: null)),
            read => read.Count(l => l.Stream == LogLine.StandardOutput) >= 2 && read.Any(l => l.Stream == LogLine.StandardError));

        Assert.Equal("line 0", lines.First(l => l.Stream == LogLine.StandardOutput).Text);
        Assert.Equal("err 0", lines.First(l => l.Stream == LogLine.StandardError).Text);
        Assert.All(lines, l => Assert.Equal(containerId, l.TaskOrContainer));
        Assert.All(lines, l => Assert.NotNull(l.Time));
    }

    [Fact]
    public async Task Without_timestamps_the_lines_carry_no_time()
    {
        await using var service = await ChattyService.StartAsync();
        await service.RunningTaskIdAsync();

        var lines = await EventuallyAsync(() => ReadAllAsync(LogTarget.Service(service.Name), new LogOptions(Tail: 2, Timestamps: false)), read => read.Count > 0);

        Assert.All(lines, l => Assert.Null(l.Time));
        Assert.All(lines, l => Assert.Matches(@"^(line|err) \d+$", l.Text));
    }

    [Fact]
    public async Task An_unknown_service_fails_with_a_message_that_names_it()
    {
        var name = $"no-such-service-{Guid.NewGuid():N}";

        var error = await Assert.ThrowsAsync<LogTargetNotFoundException>(() => ReadAllAsync(LogTarget.Service(name), new LogOptions()));

        Assert.Equal($"Service '{name}' no longer exists.", error.Message);
    }

    [Fact]
    public async Task An_unknown_container_fails_with_a_message_that_names_it_and_the_engine()
    {
        var id = Guid.NewGuid().ToString("N");

        var error = await Assert.ThrowsAsync<LogTargetNotFoundException>(() => ReadAllAsync(LogTarget.Container(id), new LogOptions()));

        Assert.StartsWith($"Container '{id}' no longer exists on the manager's engine", error.Message);
    }

    [Fact]
    public async Task Reading_logs_costs_the_connection_check_and_one_logs_call()
    {
        var before = _requests.Count;

        await Assert.ThrowsAsync<LogTargetNotFoundException>(() => ReadAllAsync(LogTarget.Service($"none-{Guid.NewGuid():N}"), new LogOptions()));

        // Version and info to find a manager that answers, then the logs request itself.
        Assert.Equal(3, _requests.Count - before);
    }

    private async Task<List<LogLine>> ReadAllAsync(LogTarget target, LogOptions options)
    {
        using var deadline = new CancellationTokenSource(Timeout);
        var lines = new List<LogLine>();
        await foreach (var line in _source.ReadAsync(Cluster, target, options, deadline.Token))
        {
            lines.Add(line);
        }
        return lines;
    }

    private static int Number(LogLine line) => int.Parse(line.Text.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Calls <paramref name="read"/> until its answer satisfies <paramref name="until"/>; fails after the timeout with the last answer.</summary>
    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> until)
    {
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        T last;
        do
        {
            last = await read();
            if (until(last))
            {
                return last;
            }
        }
        while (clock.Elapsed < Timeout && await timer.WaitForNextTickAsync());
        throw new TimeoutException($"The condition did not hold within {Timeout.TotalSeconds:0}s; last answer: {last}");
    }

    public void Dispose() => _registry.Dispose();

    /// <summary>A one-replica service printing a numbered line to stdout and to stderr five times a second; removed on dispose.</summary>
    private sealed class ChattyService : IAsyncDisposable
    {
        private readonly global::Docker.DotNet.DockerClient _docker = LocalSwarm.ManagerClient();

        private ChattyService(string name) => Name = name;

        public string Name { get; }

        public string Id { get; private set; } = "";

        public static async Task<ChattyService> StartAsync(bool onManager = false)
        {
            var service = new ChattyService($"logs-{Guid.NewGuid():N}"[..17]);
            var spec = Specs.Replicated(service.Name, 1);
            spec.TaskTemplate!.ContainerSpec!.Command = ["sh", "-c", Script];
            if (onManager)
            {
                spec.TaskTemplate.Placement = new Placement { Constraints = ["node.role==manager"] };
            }
            try
            {
                service.Id = (await service._docker.Swarm.CreateServiceAsync(new ServiceCreateParameters { Service = spec })).ID!;
            }
            catch
            {
                await service.DisposeAsync();
                throw;
            }
            return service;
        }

        public async Task<string> RunningTaskIdAsync() => (await RunningTaskAsync()).ID!;

        public async Task<string> RunningContainerIdAsync() => (await RunningTaskAsync()).Status!.ContainerStatus!.ContainerID!;

        private async Task<TaskResponse> RunningTaskAsync()
        {
            var parameters = new TasksListParameters
            {
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = new Dictionary<string, bool> { [Id] = true } },
            };
            var tasks = await EventuallyAsync(
                () => _docker.Tasks.ListAsync(parameters),
                list => list.Any(t => t.ServiceID == Id && t.Status?.State == TaskState.Running && t.Status.ContainerStatus?.ContainerID is not null));
            return tasks.First(t => t.ServiceID == Id && t.Status?.State == TaskState.Running);
        }

        public async ValueTask DisposeAsync()
        {
            if (Id.Length > 0)
            {
                await _docker.Swarm.RemoveServiceAsync(Id);
            }
            _docker.Dispose();
        }
    }
}
