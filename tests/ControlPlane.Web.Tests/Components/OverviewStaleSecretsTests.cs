using Bunit;
using ControlPlane.Core.Model;
using ControlPlane.Web.Components.Pages;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

public sealed class OverviewStaleSecretsTests : LiveComponentTestContext
{
    [Fact]
    public void A_secret_older_than_the_threshold_is_listed_as_due_for_rotation_and_a_fresh_one_is_not()
    {
        var old = Secret("tls.v1", Labels.From([new("controlplane.family", "tls"), new("controlplane.version", "1")]));
        var fresh = Secret("db.v1", Labels.From([new("controlplane.family", "db"), new("controlplane.version", "1")])) with { CreatedAt = DateTimeOffset.UtcNow.AddDays(-1) };
        Upsert(old, fresh);
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Overview>();

        var card = TextOf(cut.Find("[data-testid=stale-secrets]"));
        Assert.Contains("tls tls.v1", card);
        Assert.Contains("older than 90 days", card);
        Assert.DoesNotContain("db", card);
        Assert.Contains("1 secret is due for rotation", cut.Markup);
    }
}
