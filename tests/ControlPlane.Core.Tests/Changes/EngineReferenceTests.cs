using ControlPlane.Core.Audit;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Security;

namespace ControlPlane.Core.Tests.Changes;

public sealed class EngineReferenceTests
{
    [Theory]
    [InlineData("shop_web")]
    [InlineData("shop_web.1.x7k2p9q0r1s2t3u4v5w6y7z8a")]
    [InlineData("cp-node1")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void Docker_ids_and_names_pass_unchanged(string value)
    {
        Assert.Equal(value, EngineReference.Check(value, "service id or name"));
        Assert.Equal(value, EngineReference.Segment(value, "service id or name"));
    }

    [Theory]
    [InlineData("../../etc", "may hold only")]
    [InlineData("..%2F..%2Fetc", "may hold only")]
    [InlineData("..", "must start with a letter or a digit")]
    [InlineData("a/b", "may hold only")]
    [InlineData("a\0b", "may hold only")]
    [InlineData("☃", "may hold only")]
    [InlineData("' or 1=1 --", "may hold only")]
    [InlineData("-rf", "must start with a letter or a digit")]
    [InlineData("", "is empty")]
    public void Anything_else_is_refused_with_the_reason(string value, string reason)
    {
        var refused = Assert.Throws<InvalidEngineReferenceException>(() => EngineReference.Check(value, "service id or name"));
        Assert.StartsWith("The service id or name ", refused.Message);
        Assert.Contains(reason, refused.Message);
    }

    [Fact]
    public void A_name_longer_than_any_Docker_allows_is_refused_with_its_length()
    {
        var refused = Assert.Throws<InvalidEngineReferenceException>(() => EngineReference.Check(new string('a', 3000), "container id or name"));
        Assert.Contains("3000 characters long; at most 128", refused.Message);
    }

    [Theory]
    [InlineData(EngineFaultKind.BadRequest, ChangeFailure.Invalid)]
    [InlineData(EngineFaultKind.NotFound, ChangeFailure.NotFound)]
    [InlineData(EngineFaultKind.Conflict, ChangeFailure.Conflict)]
    [InlineData(EngineFaultKind.Unreachable, ChangeFailure.Unreachable)]
    public async Task The_gate_answers_an_engine_refusal_as_what_it_means_with_Dockers_message(EngineFaultKind kind, ChangeFailure expected)
    {
        var audit = new RecordingAuditLog();
        var gate = new ChangeGate(audit, new ChangeLocks(), TimeProvider.System, new FixedFaults(new EngineFault(kind, "invalid name: ☃")));
        var caller = new ChangeCaller("alice", [new Grant(1, "alice", Role.Admin, AccessScope.Everywhere)], null);
        var intent = new ChangeIntent(Permissions.Services.Update, AccessTarget.InCluster("c1", "shop"), "services.scale", "shop_web");

        var result = await gate.RunAsync(caller, intent, _ => throw new InvalidOperationException("the engine said no"));

        Assert.Equal(expected, result.Failure);
        Assert.Contains(expected == ChangeFailure.Failed ? "the engine said no" : "invalid name: ☃", result.Message);
        Assert.Equal(AuditResult.Failed, audit.Entries[^1].Result);
    }

    [Fact]
    public async Task The_gate_refuses_a_malformed_reference_as_invalid()
    {
        var gate = new ChangeGate(new RecordingAuditLog(), new ChangeLocks(), TimeProvider.System);
        var caller = new ChangeCaller("alice", [new Grant(1, "alice", Role.Admin, AccessScope.Everywhere)], null);
        var intent = new ChangeIntent(Permissions.Services.Update, AccessTarget.InCluster("c1"), "services.scale", "../etc");

        var result = await gate.RunAsync(caller, intent, _ => Task.FromResult(new SpecChange(EngineReference.Check("../etc", "service id or name"), "")));

        Assert.Equal(ChangeFailure.Invalid, result.Failure);
        Assert.Contains("service id or name", result.Message);
    }

    private sealed class FixedFaults(EngineFault fault) : IEngineFaults
    {
        public EngineFault? Classify(Exception exception) => fault;
    }
}
