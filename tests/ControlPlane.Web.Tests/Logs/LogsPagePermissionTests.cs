using Bunit;
using ControlPlane.Core.Audit;
using ControlPlane.Core.Logs;
using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Web.Tests.Components;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using LogsPage = ControlPlane.Web.Components.Pages.Logs;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Logs;

/// <summary>
/// The Logs page reads only what the signed-in user may read: a link to another stack's service or to any
/// container they hold no log grant on shows a refusal, no lines, and the engine is never asked.
/// </summary>
public sealed class LogsPagePermissionTests : LiveComponentTestContext
{
    private readonly FakeLogSource _source = new();
    private readonly ClusterService _cart = Service("cart", stack: "shop");
    private readonly ClusterService _invoices = Service("invoices", stack: "billing");

    public LogsPagePermissionTests()
    {
        Services.AddSingleton<ILogSource>(_source);
        Services.AddSingleton<LogReader>();
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        Upsert(_cart, _invoices, Container("invoices.1.abc", service: _invoices), Container("portainer"));
        SetStatus(ClusterStatus.Synced);
    }

    [Theory]
    [InlineData(Role.Viewer)]
    [InlineData(Role.Operator)]
    public void A_user_of_one_stack_opening_another_stacks_service_sees_a_refusal_and_no_lines(Role role)
    {
        GrantOnly(role, AccessScope.OfStack(ClusterId, "shop"));

        var cut = RenderAt("logs?service=invoices");

        cut.WaitForAssertion(() => Assert.Contains("You have no grant that allows reading the logs of Service 'invoices'",
            TextOf(cut.Find("[data-testid=logs-error]"))));
        AssertNothingRead(cut);
    }

    [Theory]
    [InlineData("invoices.1.abc")]   // a container of another stack's service
    [InlineData("portainer")]        // a container outside any stack
    [InlineData("any-name-at-all")]  // a name nobody's store knows
    public void A_user_of_one_stack_opening_a_container_outside_it_sees_a_refusal_and_no_lines(string container)
    {
        GrantOnly(Role.Operator, AccessScope.OfStack(ClusterId, "shop"));

        var cut = RenderAt($"logs?container={container}");

        cut.WaitForAssertion(() => Assert.Contains("You have no grant that allows reading the logs of Container",
            TextOf(cut.Find("[data-testid=logs-error]"))));
        AssertNothingRead(cut);
        Assert.Contains(Audit.Entries, e => e.Result == AuditResult.Denied && e.Action == Permissions.Services.ReadLogs && e.Target.Contains(container));
    }

    [Fact]
    public void A_cluster_viewer_reads_no_logs_even_of_services_they_see()
    {
        GrantOnly(Role.Viewer, AccessScope.OfCluster(ClusterId));

        var cut = RenderAt("logs?service=cart");

        cut.WaitForAssertion(() => Assert.Contains("You have no grant that allows reading the logs of Service 'cart'",
            TextOf(cut.Find("[data-testid=logs-error]"))));
        AssertNothingRead(cut);
    }

    [Fact]
    public void An_operator_of_the_stack_reads_its_service()
    {
        GrantOnly(Role.Operator, AccessScope.OfStack(ClusterId, "shop"));

        var cut = RenderAt("logs?service=cart");

        var reading = _source.NextReading();
        Assert.Equal(LogTarget.Service(_cart.Id), reading.Target);
        reading.Write("from cart");
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=log-line]")));
        Assert.Empty(cut.FindAll("[data-testid=logs-error]"));
    }

    private void GrantOnly(Role role, AccessScope scope)
    {
        Grants.Grants.Clear();
        Grants.Grants.Add(new Grant(2, "tester", role, scope));
    }

    private void AssertNothingRead(IRenderedComponent<LogsPage> cut)
    {
        Assert.False(_source.HasPendingReading, "The page asked the engine for logs the user may not read.");
        Assert.Empty(cut.FindAll("[data-testid=log-line]"));
        Assert.Empty(cut.FindAll("[data-testid=download]"));
    }

    private IRenderedComponent<LogsPage> RenderAt(string relativeUri)
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo(relativeUri);
        return Render<LogsPage>();
    }
}
