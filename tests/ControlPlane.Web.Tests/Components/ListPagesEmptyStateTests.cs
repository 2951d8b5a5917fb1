using Bunit;
using ControlPlane.Core.Model;
using ControlPlane.Web.Components.Controls;
using ControlPlane.Web.Components.Pages;

namespace ControlPlane.Web.Tests.Components;

/// <summary>Every list page tells "not listed yet" from "there is none", and says how to make one.</summary>
public sealed class ListPagesEmptyStateTests : LiveComponentTestContext
{
    public static TheoryData<Type, string> Pages => new()
    {
        { typeof(Stacks), "No stacks yet. Deploy one with 'docker stack deploy" },
        { typeof(Tasks), "No tasks yet." },
        { typeof(Containers), "No containers yet" },
        { typeof(Images), "No images yet" },
        { typeof(Networks), "No networks yet. Create an overlay" },
        { typeof(Secrets), "No secrets yet. Create one with 'docker secret create" },
        { typeof(Configs), "No configs yet. Create one with 'docker config create" },
    };

    [Theory]
    [MemberData(nameof(Pages))]
    public void While_connecting_a_page_waits_for_the_first_listing_then_says_there_is_none(Type page, string noneYet)
    {
        var cut = Render(builder =>
        {
            builder.OpenComponent(0, page);
            builder.CloseComponent();
        });
        Assert.Contains(EmptyState.Waiting, cut.Markup);
        Assert.DoesNotContain(noneYet, cut.Markup);

        SetStatus(ClusterStatus.Synced);

        cut.WaitForAssertion(() =>
        {
            Assert.Contains(noneYet, cut.Markup);
            Assert.DoesNotContain(EmptyState.Waiting, cut.Markup);
        });
    }
}
