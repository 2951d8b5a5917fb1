using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace ControlPlane.SwarmSimulator;

/// <summary>An Engine API refusal: the status and message dockerd answers with.</summary>
public sealed class EngineError(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// The swarm a simulated manager serves: nodes, services, tasks, secrets, configs and the event log, and the
/// orchestration that moves tasks (scheduling, rolling updates per the update config, rollback, node failure).
/// One lock guards it all: changes are small, and listings copy references under it and write outside it.
/// </summary>
public sealed partial class SimulatedSwarm : IDisposable
{
    public const string EngineVersion = "20.10.24+dfsg1";
    public const string ApiVersion = "1.41";
    private const int HistoryPerSlot = 5; // the swarm's TaskHistoryRetentionLimit

    private readonly object _gate = new();
    private readonly SimulatorOptions _options;
    private readonly Random _random;
    private readonly Dictionary<string, SimNode> _nodes = new(StringComparer.Ordinal);
    private readonly List<SimNode> _nodeOrder = [];
    private readonly Dictionary<string, SimService> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimTask> _tasks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<SimTask>> _tasksByService = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimFile> _secrets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimFile> _configs = new(StringComparer.Ordinal);
    private readonly LinkedList<SimEvent> _events = new();
    private readonly List<Channel<SimEvent>> _listeners = [];
    private readonly PriorityQueue<Action, long> _due = new();
    private readonly Thread _clock;
    private readonly CancellationTokenSource _stop = new();
    private ulong _index = 100;
    private int _nextNode;
    private int _nextAddress = 10;
    private int _nextPort = 30000;

    public SimulatedSwarm(SimulatorOptions options)
    {
        _options = options;
        _random = new Random(options.Seed);
        CreatedAt = DateTime.UtcNow;
        Populate();
        _clock = new Thread(RunClock) { IsBackground = true, Name = "swarm-simulator-clock" };
        _clock.Start();
    }

    public SimulatorOptions Options => _options;

    public DateTime CreatedAt { get; }

    public SimNode Self => _nodeOrder[0];

    /// <summary>Changes made since start (each bumps the raft index), for tests and the benchmark.</summary>
    public ulong Index
    {
        get
        {
            lock (_gate)
            {
                return _index;
            }
        }
    }

    /// <summary>Runs <paramref name="read"/> under the swarm's lock (tests and the benchmark read the picture this way).</summary>
    public T Read<T>(Func<SwarmView, T> read)
    {
        lock (_gate)
        {
            return read(new SwarmView(this));
        }
    }

    /// <summary>A read-only look at the swarm, valid inside <see cref="Read{T}"/>.</summary>
    public readonly struct SwarmView(SimulatedSwarm swarm)
    {
        public IReadOnlyCollection<SimNode> Nodes => swarm._nodeOrder;

        public IReadOnlyCollection<SimService> Services => swarm._services.Values;

        public IReadOnlyCollection<SimTask> Tasks => swarm._tasks.Values;

        public IReadOnlyCollection<SimFile> Secrets => swarm._secrets.Values;

        public IReadOnlyCollection<SimFile> Configs => swarm._configs.Values;

        public IReadOnlyList<SimTask> TasksOf(string serviceId) => swarm._tasksByService.TryGetValue(serviceId, out var tasks) ? tasks : [];
    }

    // ---------------------------------------------------------------- population

    private void Populate()
    {
        var now = DateTime.UtcNow;
        for (var i = 0; i < Math.Max(1, _options.Nodes); i++)
        {
            AddNode(i < Math.Max(1, _options.Managers) ? "manager" : "worker", now, emit: false);
        }
        _nodeOrder[0].Leader = true;
        if (_options.Services <= 0)
        {
            return;
        }
        var perService = _options.Tasks / _options.Services;
        var extra = _options.Tasks % _options.Services;
        for (var s = 0; s < _options.Services; s++)
        {
            var replicas = perService + (s < extra ? 1 : 0);
            var spec = new JsonObject
            {
                ["Name"] = $"svc-{s + 1:D5}",
                ["Labels"] = new JsonObject { ["com.docker.stack.namespace"] = $"stack-{s / 10 + 1:D4}" },
                ["TaskTemplate"] = new JsonObject
                {
                    ["ContainerSpec"] = new JsonObject
                    {
                        ["Image"] = $"registry.example:5000/team-{s % 40:D2}/app-{s % 97:D2}:{1 + s % 5}",
                        ["Labels"] = new JsonObject { ["com.docker.stack.namespace"] = $"stack-{s / 10 + 1:D4}" },
                        ["Env"] = new JsonArray("MODE=production", $"SHARD={s}"),
                    },
                    ["Resources"] = new JsonObject
                    {
                        ["Limits"] = new JsonObject { ["MemoryBytes"] = 268435456 },
                        ["Reservations"] = new JsonObject { ["NanoCPUs"] = 50000000, ["MemoryBytes"] = 67108864 },
                    },
                    ["RestartPolicy"] = new JsonObject { ["Condition"] = "any", ["MaxAttempts"] = 0 },
                },
                ["Mode"] = new JsonObject { ["Replicated"] = new JsonObject { ["Replicas"] = replicas } },
                ["UpdateConfig"] = new JsonObject
                {
                    ["Parallelism"] = 1, ["Delay"] = 5_000_000_000L, ["FailureAction"] = "rollback", ["Monitor"] = 5_000_000_000L,
                    ["MaxFailureRatio"] = 0, ["Order"] = "start-first",
                },
            };
            if (s % 10 == 0)
            {
                spec["EndpointSpec"] = new JsonObject
                {
                    ["Mode"] = "vip",
                    ["Ports"] = new JsonArray(new JsonObject { ["Protocol"] = "tcp", ["TargetPort"] = 8080, ["PublishedPort"] = 0, ["PublishMode"] = "ingress" }),
                };
            }
            var service = CreateServiceLocked(spec, now, emit: false);
            foreach (var task in _tasksByService[service.Id])
            {
                StartNow(task, now);
            }
        }
    }

    private SimNode AddNode(string role, DateTime now, bool emit)
    {
        _nextNode++;
        var node = new SimNode
        {
            Id = Ids.Swarm(),
            Hostname = _options.HostnamePrefix + (_options.Nodes < 10 ? _nextNode.ToString(System.Globalization.CultureInfo.InvariantCulture) : _nextNode.ToString("D4", System.Globalization.CultureInfo.InvariantCulture)),
            Addr = $"10.{_nextNode / 65536 % 256 + 100}.{_nextNode / 256 % 256}.{_nextNode % 256}",
            Role = role,
            CreatedAt = now,
        };
        node.Touch(++_index, now);
        _nodes[node.Id] = node;
        _nodeOrder.Add(node);
        if (emit)
        {
            Emit(now, "node", "create", node.Id, new() { ["name"] = node.Hostname });
        }
        return node;
    }

    // ---------------------------------------------------------------- lookups

    private static T? Find<T>(Dictionary<string, T> objects, string idOrName, Func<T, string> name) where T : SimObject
    {
        if (objects.TryGetValue(idOrName, out var exact))
        {
            return exact;
        }
        T? byName = null;
        T? byPrefix = null;
        var prefixes = 0;
        foreach (var o in objects.Values)
        {
            if (name(o) == idOrName)
            {
                byName = o;
            }
            else if (o.Id.StartsWith(idOrName, StringComparison.Ordinal))
            {
                byPrefix = o;
                prefixes++;
            }
        }
        return byName ?? (prefixes == 1 ? byPrefix : null);
    }

    private SimService ServiceOrThrow(string idOrName) =>
        Find(_services, idOrName, s => s.Name) ?? throw new EngineError(404, $"service {idOrName} not found");

    private SimNode NodeOrThrow(string idOrName) =>
        Find(_nodes, idOrName, n => n.Hostname) ?? throw new EngineError(404, $"node {idOrName} not found");

    // ---------------------------------------------------------------- the clock

    private long Now => Stopwatch.GetTimestamp();

    /// <summary>Runs <paramref name="action"/> under the lock after <paramref name="delay"/> of simulated time.</summary>
    private void After(TimeSpan delay, Action action)
    {
        var scaled = TimeSpan.FromTicks((long)(delay.Ticks * _options.TimeScale));
        _due.Enqueue(action, Now + (long)(scaled.TotalSeconds * Stopwatch.Frequency));
    }

    private void RunClock()
    {
        var churnCarry = 0.0;
        var last = Now;
        while (!_stop.IsCancellationRequested)
        {
            Thread.Sleep(5);
            lock (_gate)
            {
                var now = Now;
                while (_due.TryPeek(out _, out var at) && at <= now)
                {
                    var action = _due.Dequeue();
                    try
                    {
                        action();
                    }
                    catch (EngineError)
                    {
                        // The object the step was for went away meanwhile.
                    }
                }
                var rate = ChurnOverride ?? _options.Churn;
                if (rate > 0)
                {
                    churnCarry += rate * (now - last) / Stopwatch.Frequency;
                    for (; churnCarry >= 1; churnCarry--)
                    {
                        ChurnOnce(DateTime.UtcNow);
                    }
                }
                last = now;
            }
        }
    }

    /// <summary>Changes per second set at run time (the benchmark turns churn on after sync; 0 stops it); null means the options' rate.</summary>
    public double? ChurnOverride { get; set; }

    public void Dispose()
    {
        _stop.Cancel();
        _clock.Join();
        lock (_gate)
        {
            foreach (var listener in _listeners)
            {
                listener.Writer.TryComplete();
            }
            _listeners.Clear();
        }
    }
}
