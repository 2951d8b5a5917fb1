using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ControlPlane.Core.Audit;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Logs;
using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Core.Tests.Changes;
using ControlPlane.Core.Tests.State;

namespace ControlPlane.Core.Tests.Logs;

/// <summary>
/// Who may read which logs: the target is found in the store's whole picture and judged on its own stack;
/// names the store does not know need the permission on the whole cluster; refusals are audited and read nothing.
/// </summary>
public sealed class LogReaderTests
{
    private const string Cluster = "c1";

    private readonly ClusterStateStore _store = new();
    private readonly RecordingLogSource _source = new();
    private readonly RecordingAuditLog _audit = new();
    private readonly LogReader _reader;

    private readonly ClusterService _shopWeb = Service("id-shop-web", "shop_web", "shop");
    private readonly ClusterService _billingDb = Service("id-billing-db", "billing_db", "billing");
    private readonly ClusterService _loose = Service("id-loose", "loose", stack: null);

    public LogReaderTests()
    {
        _store.Register(Resources.Cluster(Cluster));
        _store.Apply(Cluster, new IClusterResource[]
        {
            _shopWeb, _billingDb, _loose,
            Container("c-shop-1", "shop_web.1.abc", service: _shopWeb),
            Container("c-billing-1", "billing_db.1.def", service: _billingDb),
            // Run by `docker stack deploy` as a plain container: its stack is only in its label.
            Container("c-billing-label", "billing_cron", labels: new() { ["com.docker.stack.namespace"] = "billing" }),
            Container("c-manager", "portainer_agent"),
        }.Select(ResourceChange.Upsert));
        _reader = new LogReader(_store, _source, new ChangeGate(_audit, new ChangeLocks(), TimeProvider.System));
    }

    // Expected outcomes written out as data, not computed with the policy under test.
    [Theory]
    [InlineData(Role.Viewer, "shop", false)]
    [InlineData(Role.Operator, "shop", true)]
    [InlineData(Role.Admin, "shop", true)]
    [InlineData(Role.Viewer, null, false)]
    [InlineData(Role.Operator, null, true)]
    [InlineData(Role.SecretsAdmin, null, false)]
    public async Task Reading_a_shop_service_needs_the_log_permission_on_shop(Role role, string? stack, bool allowed)
    {
        var caller = Caller(new Grant(1, "alice", role, new AccessScope(Cluster, stack)));

        var read = await ReadAllAsync(caller, LogTarget.Service("shop_web"));

        Assert.Equal(allowed, read.Refusal is null);
        Assert.Equal(allowed ? new[] { LogTarget.Service(_shopWeb.Id) } : [], _source.Targets);
    }

    [Theory]
    [InlineData("billing_db")]      // another stack's service, by name
    [InlineData("id-billing-db")]   // by id
    [InlineData("id-billing")]      // by a unique id prefix
    [InlineData("loose")]           // a service outside any stack belongs to the cluster
    [InlineData("no-such-service")] // unknown to the store: the engine might still know it
    public async Task An_operator_of_one_stack_reads_no_other_service(string idOrName)
    {
        var read = await ReadAllAsync(ShopOperator, LogTarget.Service(idOrName));

        Assert.NotNull(read.Refusal);
        Assert.Empty(read.Lines);
        Assert.Empty(_source.Targets);
    }

    [Theory]
    [InlineData("billing_db.1.def")] // a task container of another stack's service, by name
    [InlineData("c-billing-1")]      // by id
    [InlineData("c-billing-l")]      // by a unique id prefix
    [InlineData("billing_cron")]     // a plain container labelled with another stack
    [InlineData("portainer_agent")]  // a container outside any stack
    [InlineData("anything-at-all")]  // a name the store does not know
    public async Task An_operator_of_one_stack_reads_no_other_container(string idOrName)
    {
        var read = await ReadAllAsync(ShopOperator, LogTarget.Container(idOrName));

        Assert.NotNull(read.Refusal);
        Assert.Empty(read.Lines);
        Assert.Empty(_source.Targets);
    }

    [Fact]
    public async Task An_operator_of_one_stack_reads_its_own_containers_by_name_and_the_engine_gets_the_id()
    {
        var read = await ReadAllAsync(ShopOperator, LogTarget.Container("shop_web.1.abc"));

        Assert.Null(read.Refusal);
        Assert.Equal(["hello"], read.Lines);
        Assert.Equal([LogTarget.Container("c-shop-1")], _source.Targets);
    }

    [Fact]
    public async Task A_name_the_store_does_not_know_is_read_as_given_with_the_permission_on_the_whole_cluster()
    {
        var clusterOperator = Caller(new Grant(1, "alice", Role.Operator, AccessScope.OfCluster(Cluster)));

        var read = await ReadAllAsync(clusterOperator, LogTarget.Container("not-synced-yet"));

        Assert.Null(read.Refusal);
        Assert.Equal([LogTarget.Container("not-synced-yet")], _source.Targets);
    }

    [Fact]
    public async Task A_cluster_viewer_reads_no_log_at_all()
    {
        var viewer = Caller(new Grant(1, "alice", Role.Viewer, AccessScope.Everywhere));

        foreach (var target in new[] { LogTarget.Service("shop_web"), LogTarget.Service("loose"), LogTarget.Container("c-manager"), LogTarget.Container("x") })
        {
            Assert.NotNull((await ReadAllAsync(viewer, target)).Refusal);
        }
        Assert.Empty(_source.Targets);
    }

    [Fact]
    public async Task A_refusal_is_audited_with_who_what_where_and_says_nothing_about_other_stacks()
    {
        var read = await ReadAllAsync(ShopOperator with { ClientAddress = "10.0.0.9" }, LogTarget.Service("billing_db"));
        var unknown = await ReadAllAsync(ShopOperator, LogTarget.Service("nowhere"));

        var entry = _audit.Entries[0];
        Assert.Equal(("alice", Permissions.Services.ReadLogs, "c1/billing/billing_db", AuditResult.Denied, "10.0.0.9"),
            (entry.Actor, entry.Action, entry.Target, entry.Result, entry.ClientAddress));
        Assert.Equal("c1/nowhere", _audit.Entries[1].Target);
        Assert.DoesNotContain("billing", read.Refusal!.Replace("billing_db", ""), StringComparison.Ordinal);
        Assert.Equal(read.Refusal!.Replace("billing_db", "X"), unknown.Refusal!.Replace("nowhere", "X"));
    }

    [Fact]
    public async Task Every_read_is_judged_again_so_a_service_moved_into_another_stack_is_refused_on_the_next_follow()
    {
        Assert.Null((await ReadAllAsync(ShopOperator, LogTarget.Service("shop_web"))).Refusal);

        _store.Apply(Cluster, [ResourceChange.Upsert(_shopWeb with { Stack = "billing" })]);

        Assert.NotNull((await ReadAllAsync(ShopOperator, LogTarget.Service("shop_web"))).Refusal);
        Assert.Single(_source.Targets);
    }

    [Fact]
    public async Task An_allowed_read_leaves_no_audit_record()
    {
        await ReadAllAsync(ShopOperator, LogTarget.Service("shop_web"));

        Assert.Empty(_audit.Entries);
    }

    private static ChangeCaller ShopOperator => Caller(new Grant(1, "alice", Role.Operator, AccessScope.OfStack(Cluster, "shop")));

    private static ChangeCaller Caller(params Grant[] grants) => new("alice", grants, null);

    private async Task<(List<string> Lines, string? Refusal)> ReadAllAsync(ChangeCaller caller, LogTarget target)
    {
        var lines = new List<string>();
        try
        {
            await foreach (var line in _reader.ReadAsync(caller, Cluster, target, new LogOptions(Follow: true)))
            {
                lines.Add(line.Text);
            }
            return (lines, null);
        }
        catch (LogAccessDeniedException refused)
        {
            return (lines, refused.Message);
        }
    }

    private static ClusterService Service(string id, string name, string? stack) =>
        Resources.Service(id, name: name) with { Stack = stack };

    private static ClusterContainer Container(string id, string name, ClusterService? service = null, Dictionary<string, string>? labels = null) =>
        new(id, name, "demo/app:1", "running", "Up", "n1", service?.Id, null, Labels.From(labels), DateTimeOffset.UnixEpoch);

    /// <summary>Answers every read with one line and remembers what the engine was asked for.</summary>
    private sealed class RecordingLogSource : ILogSource
    {
        private readonly ConcurrentQueue<LogTarget> _targets = new();

        public IReadOnlyList<LogTarget> Targets => [.. _targets];

        public async IAsyncEnumerable<LogLine> ReadAsync(string clusterId, LogTarget target, LogOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            _targets.Enqueue(target);
            await Task.Yield();
            yield return new LogLine(null, LogLine.StandardOutput, "hello", null);
        }
    }
}
