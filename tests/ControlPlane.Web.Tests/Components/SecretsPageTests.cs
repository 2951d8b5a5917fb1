using Bunit;
using ControlPlane.Core.Model;
using ControlPlane.Web.Components.Pages;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

public sealed class SecretsPageTests : LiveComponentTestContext
{
    [Fact]
    public void A_family_version_shows_family_and_version_and_the_services_mounting_it_with_target_and_mode()
    {
        var labels = Labels.From([new("controlplane.family", "db-password"), new("controlplane.version", "2"), new("team", "payments")]);
        var secret = Secret("db-password.v2", labels);
        Upsert(secret, Service("api").Using(secrets: [new FileReference(secret.Id, secret.Name, "db_password", "0", "0", 256)]));
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Secrets>();

        var row = RowWith(cut, "db-password.v2");
        Assert.Equal("db-password", TextOf(row.QuerySelector("[data-testid=family]")!));
        Assert.Equal("2", TextOf(row.QuerySelector("[data-testid=version]")!));
        var usedBy = TextOf(row.QuerySelector("[data-testid=used-by]")!);
        Assert.Contains("api → db_password (0400)", usedBy);
        Assert.Contains("team=payments", TextOf(row));
    }

    [Fact]
    public void Without_families_the_family_columns_stay_away()
    {
        Upsert(Secret("tls-key"));
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Secrets>();

        Assert.DoesNotContain("Family", cut.Find("thead").TextContent);
        Assert.Contains("no service", TextOf(RowWith(cut, "tls-key")));
    }

    [Fact]
    public void A_service_taking_a_secret_appears_under_it_and_a_removed_secret_disappears()
    {
        var tls = Secret("tls-key");
        var old = Secret("old-token");
        Upsert(tls, old);
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Secrets>();

        Upsert(Service("web").Using(secrets: [new FileReference(tls.Id, tls.Name, "tls.key", "0", "0", 292)]));
        Delete(old);

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("web → tls.key (0444)", TextOf(RowWith(cut, "tls-key")));
            Assert.DoesNotContain("old-token", cut.Markup);
        });
    }

    [Fact]
    public void The_filter_says_when_nothing_matches()
    {
        Upsert(Secret("tls-key"));
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Secrets>();

        cut.Find("input").Input("zzz");

        cut.WaitForAssertion(() => Assert.Contains("No secret matches 'zzz'.", cut.Find("tbody").TextContent));
    }
}
