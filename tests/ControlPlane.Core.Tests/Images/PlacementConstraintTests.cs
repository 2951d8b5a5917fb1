using ControlPlane.Core.Images;
using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using static ControlPlane.Core.Tests.State.Resources;

namespace ControlPlane.Core.Tests.Images;

public class PlacementConstraintTests
{
    private static readonly ClusterNode EuWorker = Node("n1") with { Labels = Labels.From(new Dictionary<string, string> { ["zone"] = "eu" }) };

    [Theory]
    [InlineData("node.id==n1", true)]
    [InlineData("node.id!=n1", false)]
    [InlineData("node.hostname==host-n1", true)]
    [InlineData("node.hostname!=host-n1", false)]
    [InlineData("node.role == worker", true)]
    [InlineData("node.role==manager", false)]
    [InlineData("node.labels.zone==eu", true)]
    [InlineData("node.labels.zone==EU", true)]
    [InlineData("node.labels.zone==us", false)]
    [InlineData("node.labels.zone!=us", true)]
    [InlineData("node.labels.rack==r1", false)]
    [InlineData("node.labels.rack!=r1", true)]
    public void Constraints_on_id_hostname_role_and_labels_are_read_against_the_node(string constraint, bool allowed) =>
        Assert.Equal(allowed, PlacementConstraint.Allows(constraint, EuWorker));

    [Theory]
    [InlineData("engine.labels.gpu==true")]
    [InlineData("node.platform.os==windows")]
    [InlineData("node.role")]
    public void Constraints_it_cannot_read_allow_every_node(string constraint) =>
        Assert.True(PlacementConstraint.Allows(constraint, EuWorker));

    [Fact]
    public void A_service_s_placement_allows_the_nodes_where_all_its_constraints_hold_in_hostname_order()
    {
        var manager = Node("n3") with { Role = "manager", Labels = Labels.From(new Dictionary<string, string> { ["zone"] = "eu" }) };
        var usWorker = Node("n2") with { Labels = Labels.From(new Dictionary<string, string> { ["zone"] = "us" }) };
        var state = ClusterState.Empty(Cluster()).Apply(new IClusterResource[] { manager, usWorker, EuWorker }.Select(ResourceChange.Upsert)).State;
        var euOnly = Service("web") with { Details = ServiceDetails.Empty with { Constraints = ValueList<string>.From(["node.labels.zone==eu"]) } };
        var euWorkers = euOnly with { Details = ServiceDetails.Empty with { Constraints = ValueList<string>.From(["node.labels.zone==eu", "node.role!=manager"]) } };

        Assert.Equal(["host-n1", "host-n3"], PlacementConstraint.AllowedNodes(state, euOnly).Select(n => n.Hostname).ToArray());
        Assert.Equal(["host-n1"], PlacementConstraint.AllowedNodes(state, euWorkers).Select(n => n.Hostname).ToArray());
        Assert.Equal(["host-n1", "host-n2", "host-n3"], PlacementConstraint.AllowedNodes(state, Service("any")).Select(n => n.Hostname).ToArray());
    }
}
