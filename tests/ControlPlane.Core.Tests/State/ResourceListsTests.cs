using ControlPlane.Core.Model;
using ControlPlane.Core.Secrets;
using ControlPlane.Core.State;
using static ControlPlane.Core.Tests.State.Resources;

namespace ControlPlane.Core.Tests.State;

/// <summary>The list pages' helpers: who uses which network, secret, config and image; container filters.</summary>
public class ResourceListsTests
{
    private static readonly DateTimeOffset Created = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_network_lists_services_attached_by_id_or_by_name()
    {
        var state = StateWith(
            new ClusterNetwork("net1", "backend", "overlay", "swarm", false, true, false, Labels.Empty, Created),
            WithDetails(Service("s1", name: "api"), d => d with { Networks = ValueList<string>.From(["net1"]) }),
            WithDetails(Service("s2", name: "worker"), d => d with { Networks = ValueList<string>.From(["backend"]) }),
            WithDetails(Service("s3", name: "web"), d => d with { Networks = ValueList<string>.From(["other"]) }));

        var row = Assert.Single(NetworkList.Of(state));

        Assert.Equal(["api", "worker"], row.Services.Select(s => s.Name));
        Assert.Single(NetworkList.Of(state, "work"));
        Assert.Empty(NetworkList.Of(state, "zzz"));
    }

    [Fact]
    public void A_secret_lists_its_users_with_target_and_mode_matching_by_id_and_by_name_only_without_an_id()
    {
        var state = StateWith(
            new ClusterFileObject(FileObjectKind.Secret, "sec1", "db.v1", Labels.Empty, Created, Created),
            WithDetails(Service("s1", name: "api"), d => d with { Secrets = ValueList<FileReference>.From([new("sec1", "db.v1", "db", "0", "0", 256)]) }),
            WithDetails(Service("s2", name: "jobs"), d => d with { Secrets = ValueList<FileReference>.From([new("", "db.v1", "db_pw", "0", "0", 256)]) }),
            // Same name, another id: a secret removed and created again is another secret.
            WithDetails(Service("s3", name: "stale"), d => d with { Secrets = ValueList<FileReference>.From([new("old", "db.v1", "db", "0", "0", 256)]) }));

        var row = Assert.Single(FileObjectList.Of(state, FileObjectKind.Secret));

        Assert.Equal(["api", "jobs"], row.UsedBy.Select(u => u.Service.Name));
        Assert.Equal("db_pw", row.UsedBy[1].Reference.Target);
        Assert.Empty(FileObjectList.Of(state, FileObjectKind.Config));
    }

    [Fact]
    public void Family_versions_read_from_labels_and_sort_newest_first_by_number()
    {
        var state = StateWith(
            Secret("a", "db.v9", "db", "9"),
            Secret("b", "db.v10", "db", "10"),
            Secret("c", "api-key.v1", "api-key", "1"),
            new ClusterFileObject(FileObjectKind.Secret, "d", "plain", Labels.Empty, Created, Created));

        var rows = FileObjectList.Of(state, FileObjectKind.Secret);

        Assert.Equal(["api-key.v1", "db.v10", "db.v9", "plain"], rows.Select(r => r.Name));
        Assert.Equal(("db", "10"), (rows[1].Family, rows[1].Version));
        Assert.Null(rows[3].Family);
        Assert.Equal(["db.v10", "db.v9"], FileObjectList.Of(state, FileObjectKind.Secret, "DB").Select(r => r.Name));
    }

    [Fact]
    public void Containers_come_by_node_then_name_and_filter_by_text_and_state()
    {
        var state = StateWith(
            Node("n1"), Node("n2"), Service("s1", name: "web"),
            Container("c1", "zeta", "n1"), Container("c2", "alpha", "n2"), Container("c3", "web.1", "n1", serviceId: "s1"),
            Container("c4", "old", "n1", state: "exited"));

        Assert.Equal(["old", "web.1", "zeta", "alpha"], ContainerList.Of(state).Select(r => r.Container.Name));
        Assert.Equal("web", ContainerList.Of(state, "web.1").Single().Service?.Name);
        Assert.Equal(["alpha"], ContainerList.Of(state, "HOST-N2").Select(r => r.Container.Name));
        Assert.Equal(["web.1"], ContainerList.Of(state, "web").Select(r => r.Container.Name));
        Assert.Equal(["old"], ContainerList.Of(state, containerState: "exited").Select(r => r.Container.Name));
        Assert.Equal(["exited", "running"], ContainerList.States(state));
    }

    [Fact]
    public void An_image_lists_the_services_that_use_it_and_tagged_images_come_first()
    {
        var state = StateWith(
            Node("n1"),
            new ClusterImage("img1", ValueList<string>.From(["shop/web:2"]), ValueList<string>.From(["shop/web@sha256:abc"]), 1, "n1", Created),
            new ClusterImage("img0", ValueList<string>.Empty, ValueList<string>.Empty, 1, "n1", Created),
            Service("s1", name: "web") with { Image = "shop/web:2@sha256:abc" },
            Service("s2", name: "api") with { Image = "shop/api:7" });

        var rows = ImageList.Of(state);

        Assert.Equal(["img1", "img0"], rows.Select(r => r.Image.Id));
        Assert.Equal(["web"], rows[0].UsedBy.Select(s => s.Name));
        Assert.Equal("host-n1", rows[0].NodeHostname);
        Assert.Equal(["img1"], ImageList.Of(state, "web").Select(r => r.Image.Id));
    }

    private static ClusterFileObject Secret(string id, string name, string family, string version) =>
        new(FileObjectKind.Secret, id, name, Labels.From([new(FileObjectList.FamilyLabel, family), new(FileObjectList.VersionLabel, version)]), Created, Created);

    private static ClusterContainer Container(string id, string name, string node, string state = "running", string? serviceId = null) =>
        new(id, name, "demo/app:1", state, state, node, serviceId, null, Labels.Empty, Created);

    private static ClusterService WithDetails(ClusterService service, Func<ServiceDetails, ServiceDetails> change) =>
        service with { Details = change(service.Details) };

    private static ClusterState StateWith(params IClusterResource[] resources) =>
        ClusterState.Empty(Cluster()).Apply(resources.Select(ResourceChange.Upsert)).State;
}
