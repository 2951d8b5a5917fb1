using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Security;
using ControlPlane.Core.Stacks;
using ControlPlane.Core.State;
using ControlPlane.Core.Tests.Changes;
using static ControlPlane.Core.Tests.State.Resources;

namespace ControlPlane.Core.Tests.Stacks;

/// <summary>
/// A stack deploy another replica started and stopped is carried on from the file its history kept under the operation
/// (DESIGN §8): planned again against the engine as it is now, and the rest written. (The adoption itself, across
/// replicas on one database, is the replica tests'.)
/// </summary>
public sealed class StackDeployCarryOnTests : IAsyncDisposable
{
    private const string Compose = """
        version: "3.9"
        services:
          web:
            image: 10.0.0.1:5000/app:1
          api:
            image: 10.0.0.1:5000/app:1
        """;

    private readonly InMemoryOperationStore _operations = new();
    private readonly InMemoryStackHistory _history = new();
    private readonly FakeStackEngine _engine = new();
    private readonly ClusterStateStore _store = new();
    private readonly OperationRunner _runner;
    private readonly StackCommands _stacks;

    public StackDeployCarryOnTests()
    {
        var gate = new ChangeGate(new RecordingAuditLog(), new ChangeLocks(), TimeProvider.System);
        _runner = new OperationRunner(_operations, gate, TimeProvider.System);
        _store.Register(Cluster("c1"));
        _stacks = new StackCommands(_store, _runner, gate, _engine, _history, TimeProvider.System);
    }

    private static Operation Stopped(string id) => new(id, StackCommands.DeployKind, "c1", "shop", "shop", "alice", OperationStates.Running, new OperationProgress(1, 3),
        ValueList<OperationStep>.Empty, null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, null)
    {
        Parameters = """{"stack":"shop","prune":false,"services":["shop_api","shop_web"],"variables":[],"warnings":[]}""",
    };

    private async Task<Operation> RunAsync(OperationResumption resumption)
    {
        var caller = new ChangeCaller("alice", [new Grant(1, "alice", Role.Admin, AccessScope.Everywhere)], null);
        var start = await _runner.StartAsync(caller, resumption.Intent, _ => Task.FromResult(resumption.Plan));
        Assert.True(start.Started, start.Message);
        await _runner.WhenFinishedAsync(start.OperationId!);
        return (await _operations.FindAsync(start.OperationId!))!;
    }

    [Fact]
    public async Task It_is_deployed_from_the_file_kept_in_the_history_and_the_history_records_its_end()
    {
        Assert.True(_stacks.Resumes(StackCommands.DeployKind));
        var stopped = Stopped("op-stopped");
        var kept = await _history.AddAsync(new StackDeployment(0, "c1", "shop", Compose, new Dictionary<string, string>(), false, "alice", DateTimeOffset.UtcNow, stopped.Id, StackDeployResults.Running));

        var resumption = _stacks.Resume(stopped);
        Assert.Equal(("stacks.deploy", "stack shop", Permissions.Stacks.Deploy), (resumption.Intent.Action, resumption.Intent.Subject, resumption.Intent.Permission));
        Assert.Equal(["shop_api", "shop_web"], resumption.Plan.Locks.Select(l => l.Name));
        var finished = await RunAsync(resumption);

        Assert.True(finished.State == OperationStates.Succeeded, finished.Error);
        Assert.Equal(["create shop_api", "create shop_web", "network shop_default"], _engine.Calls.Order(StringComparer.Ordinal));
        Assert.Equal(StackDeployResults.Succeeded, (await _history.FindAsync("c1", kept.Id))!.Result);
    }

    [Fact]
    public async Task Without_its_file_in_the_history_it_fails_saying_to_deploy_again_and_writes_nothing()
    {
        var finished = await RunAsync(_stacks.Resume(Stopped("op-without-file")));

        Assert.Equal(OperationStates.Failed, finished.State);
        Assert.Equal("The replica running this deploy stopped before it kept the file in the stack's history: deploy shop again.", finished.Error);
        Assert.Empty(_engine.Calls);
    }

    public ValueTask DisposeAsync() => _runner.DisposeAsync();
}
