using Bunit;
using ControlPlane.Core.Model;
using ControlPlane.Web.Components.Pages;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

public sealed class ImagesPageTests : LiveComponentTestContext
{
    private const string Digest = "sha256:4f9c3a1e0b7d2c5a8e6f1b3d9c0a7e5f2b8d4c6a1e3f5b7d9c0a2e4f6b8d0c1a";

    [Fact]
    public void An_image_shows_tags_size_node_and_the_services_using_it_by_tag_or_by_digest()
    {
        Upsert(ThreeNodeSwarm());
        Upsert(
            Service("web", image: $"shop/web:2@{Digest}"),
            Service("web-canary", image: $"shop/web@{Digest}"),
            Service("api", image: "shop/api:7"),
            Image("sha256:aaa", tags: ["shop/web:2"], digests: [$"shop/web@{Digest}"], size: 157L << 20));
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Images>();

        var row = RowWith(cut, "shop/web:2");
        Assert.Contains("157 MiB", TextOf(row));
        Assert.Contains("node1", TextOf(row));
        var users = row.QuerySelector("[data-testid=image-used-by]")!.QuerySelectorAll("a").Select(a => a.TextContent).ToList();
        Assert.Equal(["web", "web-canary"], users);
    }

    [Fact]
    public void A_service_moving_to_another_image_moves_between_rows()
    {
        Upsert(Service("web", image: "shop/web:1"), Image("sha256:one", tags: ["shop/web:1"]), Image("sha256:two", tags: ["shop/web:2"]));
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Images>();
        Assert.Contains("web", UsedBy(cut, "shop/web:1"));
        Assert.Contains("no service", UsedBy(cut, "shop/web:2"));

        Upsert(Service("web", image: "shop/web:2"));

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("no service", UsedBy(cut, "shop/web:1"));
            Assert.Contains("web", UsedBy(cut, "shop/web:2"));
        });
    }

    [Fact]
    public void The_filter_narrows_by_tag_and_says_when_nothing_matches()
    {
        Upsert(Image("sha256:one", tags: ["postgres:17"]), Image("sha256:two", tags: ["redis:7"]));
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Images>();

        cut.Find("input").Input("redis");

        cut.WaitForAssertion(() => Assert.DoesNotContain("postgres", cut.Find("tbody").TextContent));

        cut.Find("input").Input("zzz");

        cut.WaitForAssertion(() => Assert.Contains("No image matches 'zzz'.", cut.Find("tbody").TextContent));
    }

    private static string UsedBy(IRenderedComponent<Images> cut, string tag) =>
        TextOf(RowWith(cut, tag).QuerySelector("[data-testid=image-used-by]")!);
}
