using Bunit;
using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Security;
using ControlPlane.Web.Components.Pages;
using MudBlazor;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

public sealed class SecretsPageTests : LiveComponentTestContext
{
    private static Labels Family(string family, int version, string? createdBy = "alice") => Labels.From(
    [
        new("controlplane.family", family), new("controlplane.version", version.ToString()),
        .. createdBy is null ? Array.Empty<KeyValuePair<string, string>>() : [new("controlplane.created-by", createdBy)],
    ]);

    [Fact]
    public void A_family_shows_its_versions_newest_first_with_creator_and_the_services_and_stacks_mounting_each()
    {
        var v1 = Secret("db-password.v1", Family("db-password", 1));
        var v2 = Secret("db-password.v2", Family("db-password", 2, "bob"));
        Upsert(v1, v2, Service("api", stack: "shop").Using(secrets: [new FileReference(v2.Id, v2.Name, "db_password", "0", "0", 256)]));
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Secrets>();

        var family = cut.Find("[data-testid=family]");
        Assert.Equal("db-password", TextOf(family.QuerySelector("[data-testid=family-name]")!));
        var versions = family.QuerySelectorAll("[data-testid=family-version]");
        Assert.Equal(["2", "1"], versions.Select(v => v.GetAttribute("data-version")));
        Assert.Empty(family.QuerySelectorAll("[data-testid=family-message]"));
        Assert.Equal("bob", TextOf(versions[0].QuerySelector("[data-testid=created-by]")!));
        Assert.Contains("api (stack shop) → db_password (0400)", TextOf(versions[0].QuerySelector("[data-testid=used-by]")!));
        Assert.Contains("no service", TextOf(versions[1].QuerySelector("[data-testid=used-by]")!));
    }

    [Fact]
    public void An_unlabelled_secret_is_a_family_of_one_that_can_be_adopted()
    {
        Upsert(Secret("tls-key"));
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Secrets>();

        Assert.Contains("not managed by ControlPlane", cut.Find("[data-testid=family]").TextContent);
        cut.Find("[data-testid=adopt]").Click();

        cut.WaitForAssertion(() => Assert.Contains("labels Secret secret-tls-key", FileObjects.Calls));
        Assert.Contains(Audit.Entries, e => e.Action == "secrets.adopt" && e.Result == Core.Audit.AuditResult.Succeeded);
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

        cut.Find("input[data-testid=filter]").Input("zzz");

        cut.WaitForAssertion(() => Assert.Contains("No secret matches 'zzz'.", cut.Find("[data-testid=families-empty]").TextContent));
    }

    [Fact]
    public void Rotate_asks_for_confirmation_then_shows_each_service_moving_to_the_new_version()
    {
        var v1 = Secret("db.v1", Family("db", 1));
        Upsert(v1, Service("api").Using(secrets: [new FileReference(v1.Id, v1.Name, "db", "0", "0", 292)]),
            Service("worker").Using(secrets: [new FileReference(v1.Id, v1.Name, "db", "0", "0", 292)]));
        SetStatus(ClusterStatus.Synced);
        FileObjects.Mount("id-api", new FileReference(v1.Id, v1.Name, "db", "0", "0", 292));
        FileObjects.Mount("id-worker", new FileReference(v1.Id, v1.Name, "db", "0", "0", 292));
        var dialogs = Render<MudDialogProvider>();
        var cut = Render<Secrets>();

        cut.Find("[data-testid=rotate]").Click();
        Assert.Empty(FileObjects.Calls);
        dialogs.WaitForElement("[data-testid=rotate-confirm]").Click();

        cut.WaitForAssertion(() =>
        {
            Assert.Equal(OperationStates.Succeeded, TextOf(cut.Find("[data-testid=operation-state]")));
            var steps = cut.FindAll("[data-testid=operation-step]").ToDictionary(r => r.GetAttribute("data-step")!, TextOf);
            Assert.Contains("succeeded", steps["api"]);
            Assert.Contains("running db.v2", steps["api"]);
            Assert.Contains("succeeded", steps["worker"]);
            Assert.Contains("succeeded", steps["remove db.v1"]);
        });
        Assert.Equal(["create Secret db.v2", "references id-api db.v2@db:0:0:444", "references id-worker db.v2@db:0:0:444", "remove Secret secret-db.v1"], FileObjects.Calls);
    }

    [Fact]
    public void Deleting_a_version_in_use_is_refused_with_the_services_named()
    {
        var v1 = Secret("db.v1", Family("db", 1));
        var v2 = Secret("db.v2", Family("db", 2));
        Upsert(v1, v2, Service("api").Using(secrets: [new FileReference(v1.Id, v1.Name, "db", "0", "0", 292)]));
        SetStatus(ClusterStatus.Synced);
        var dialogs = Render<MudDialogProvider>();
        var cut = Render<Secrets>();

        cut.FindAll("[data-testid=family-version]").Single(v => v.GetAttribute("data-version") == "1").QuerySelector("[data-testid=delete-version] button, button[data-testid=delete-version]")!.Click();
        dialogs.WaitForElement(".mud-message-box__yes-button, .mud-dialog-actions button:last-child").Click();

        cut.WaitForAssertion(() => Assert.Contains("db.v1 is in use by api", cut.Find("[data-testid=family-message]").TextContent));
        Assert.DoesNotContain(FileObjects.Calls, c => c.StartsWith("remove", StringComparison.Ordinal));
    }

    [Fact]
    public void A_created_family_value_is_sent_once_and_never_rendered_back()
    {
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Secrets>();
        cut.Find("[data-testid=new-family]").Click();

        cut.Find("input[data-testid=create-name]").Change("api-key");
        cut.FindAll("[data-testid=value-source] input")[1].Click();
        cut.Find("input[data-testid=value-text]").Change("TYPED-SECRET-VALUE");
        cut.Find("[data-testid=create-submit]").Click();

        cut.WaitForAssertion(() => Assert.Contains("create Secret api-key.v1", FileObjects.Calls));
        Assert.DoesNotContain("TYPED-SECRET-VALUE", cut.Markup);
        Assert.DoesNotContain(Audit.Entries, e => (e.Detail ?? "").Contains("TYPED") || (e.Diff ?? "").Contains("TYPED"));
    }

    [Fact]
    public void A_viewer_sees_families_but_no_button_that_changes_them()
    {
        Grants.Grants.Clear();
        Grants.Grants.Add(new Grant(2, "tester", Role.Viewer, AccessScope.Everywhere));
        Upsert(Secret("db.v1", Family("db", 1)), Secret("tls-key"));
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Secrets>();

        Assert.Equal(2, cut.FindAll("[data-testid=family]").Count);
        Assert.Empty(cut.FindAll("[data-testid=rotate], [data-testid=delete-family], [data-testid=adopt], [data-testid=new-family], [data-testid=schedule]"));
    }

    [Fact]
    public void An_old_family_is_marked_due_and_a_schedule_set_from_the_page_relabels_its_newest_version()
    {
        Upsert(Secret("db.v1", Family("db", 1)), Secret("api.v1", Family("api", 1)) with { CreatedAt = DateTimeOffset.UtcNow });
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Secrets>();

        Assert.Single(cut.FindAll("[data-family=db] [data-testid=family-stale]"));
        Assert.Empty(cut.FindAll("[data-family=api] [data-testid=family-stale]"));

        cut.Find("[data-family=db] [data-testid=schedule]").Click();
        cut.Find("input[data-testid=schedule-days]").Change("14");
        cut.Find("[data-testid=schedule-save]").Click();

        cut.WaitForAssertion(() => Assert.Contains("rotated every 14 days", cut.Find("[data-family=db] [data-testid=family-message]").TextContent));
        Assert.Contains("labels Secret secret-db.v1", FileObjects.Calls);
        Assert.Contains(Audit.Entries, e => e.Action == "secrets.schedule" && e.Result == Core.Audit.AuditResult.Succeeded);
    }
}
