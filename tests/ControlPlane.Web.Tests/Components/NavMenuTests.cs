using System.Text.RegularExpressions;
using AngleSharp.Dom;
using Bunit;
using ControlPlane.Core.Identity;
using ControlPlane.Core.Security;
using ControlPlane.Web.Components.Layout;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.Components.Routing;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace ControlPlane.Web.Tests.Components;

public sealed partial class NavMenuTests : LiveComponentTestContext
{
    /// <summary>The menu as it was made of MudBlazor's components, which the written-out markup must keep rendering.</summary>
    private static readonly (string Title, string Icon, (string Href, string Text, string Icon)[] Links)[] MudMenu =
    [
        ("Swarm", Icons.Material.Filled.Hub,
        [
            ("nodes", "Nodes", Icons.Material.Filled.Dns), ("stacks", "Stacks", Icons.Material.Filled.ViewInAr),
            ("services", "Services", Icons.Material.Filled.Layers), ("tasks", "Tasks", Icons.Material.Filled.Checklist),
            ("networks", "Networks", Icons.Material.Filled.Lan), ("secrets", "Secrets", Icons.Material.Filled.Key),
            ("configs", "Configs", Icons.Material.Filled.Description),
        ]),
        ("Engines", Icons.Material.Filled.Memory,
            [("containers", "Containers", Icons.Material.Filled.Inventory2), ("images", "Images", Icons.Material.Filled.Album)]),
        ("Activity", Icons.Material.Filled.Timeline,
        [
            ("events", "Events", Icons.Material.Filled.Bolt), ("logs", "Logs", Icons.Material.Filled.Article),
            ("operations", "Operations", Icons.Material.Filled.PlaylistPlay),
        ]),
        ("Administration", Icons.Material.Filled.AdminPanelSettings,
        [
            ("admin/users", "Users", Icons.Material.Filled.People), ("admin/grants", "Grants", Icons.Material.Filled.VpnKey),
            ("admin/audit", "Audit", Icons.Material.Filled.FactCheck),
        ]),
    ];

    [Fact]
    public void The_menu_renders_what_MudBlazors_nav_components_rendered_for_it()
    {
        var menu = Render<NavMenu>();
        var mud = Render(MudNavMenuOf(MudMenu));

        Assert.Equal(Canonical(mud.Find("nav")), Canonical(menu.Find("nav")));
    }

    [Fact]
    public void The_link_of_the_page_shown_is_marked_current_also_on_the_pages_under_it()
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        var menu = Render<NavMenu>();
        Assert.Equal(["Overview"], CurrentLinks(menu));

        navigation.NavigateTo("services/3f2a?tab=tasks");
        menu.WaitForAssertion(() => Assert.Equal(["Services"], CurrentLinks(menu)));

        navigation.NavigateTo("admin/audit");
        menu.WaitForAssertion(() => Assert.Equal(["Audit"], CurrentLinks(menu)));

        navigation.NavigateTo("servicesx");
        menu.WaitForAssertion(() => Assert.Empty(CurrentLinks(menu)));
    }

    [Fact]
    public void A_group_folds_and_its_links_leave_the_tab_order()
    {
        var menu = Render<NavMenu>();
        var toggle = menu.Find("button[aria-label='Toggle Engines']");
        Assert.Equal("true", toggle.GetAttribute("aria-expanded"));

        toggle.Click();

        toggle = menu.Find("button[aria-label='Toggle Engines']");
        Assert.Equal("false", toggle.GetAttribute("aria-expanded"));
        var list = menu.Find($"#{toggle.GetAttribute("aria-controls")}");
        Assert.Equal("true", list.ParentElement!.ParentElement!.ParentElement!.GetAttribute("aria-hidden"));
        Assert.All(list.QuerySelectorAll("a"), a => Assert.Equal("-1", a.GetAttribute("tabindex")));
        Assert.All(menu.FindAll("nav[aria-label=Swarm] a"), a => Assert.Equal("0", a.GetAttribute("tabindex")));

        menu.Find("button[aria-label='Toggle Engines']").Click();
        Assert.Equal("true", menu.Find("button[aria-label='Toggle Engines']").GetAttribute("aria-expanded"));
    }

    [Fact]
    public void Administration_shows_only_the_links_the_user_may_use_and_not_at_all_to_an_operator()
    {
        Grants.Grants.Clear();
        Grants.Grants.Add(new Grant(1, "tester", Role.Operator, AccessScope.Everywhere));
        Assert.Empty(Render<NavMenu>().FindAll("[data-testid=nav-administration]"));
    }

    private static string[] CurrentLinks(IRenderedComponent<NavMenu> menu) =>
        menu.FindAll("a[aria-current=page]").Select(a => a.TextContent.Trim()).ToArray();

    /// <summary>
    /// An element as text with what may differ and not show left out: Blazor's event attributes, generated ids, empty
    /// attributes, a button's type and tabindex, attribute order, and whitespace between elements.
    /// </summary>
    private static string Canonical(IElement element)
    {
        var attributes = element.Attributes
            .Where(a => !a.Name.StartsWith("blazor:", StringComparison.Ordinal) && a.Value.Length > 0
                        && a.Name is not ("id" or "aria-controls")
                        && !(element.LocalName == "button" && a.Name is "type" or "tabindex"))
            .Select(a => a.Name.ToLowerInvariant() == "class"
                ? $"class=\"{string.Join(' ', a.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order())}\""
                : $"{a.Name.ToLowerInvariant()}=\"{a.Value}\"")
            .Order();
        var children = element.ChildNodes.Select(n => n switch
        {
            IElement child => Canonical(child),
            _ => Whitespace().Replace(n.TextContent, " ").Trim(),
        }).Where(s => s.Length > 0);
        return $"<{element.LocalName} {string.Join(' ', attributes)}>{string.Concat(children)}</{element.LocalName}>";
    }

    private static RenderFragment MudNavMenuOf((string Title, string Icon, (string Href, string Text, string Icon)[] Links)[] groups) => b =>
    {
        b.OpenComponent<MudNavMenu>(0);
        b.AddAttribute(1, "Class", "mt-2");
        b.AddAttribute(2, "aria-label", "Main");
        b.AddAttribute(3, "ChildContent", (RenderFragment)(menu =>
        {
            MudLink(menu, "", "Overview", Icons.Material.Filled.Dashboard, NavLinkMatch.All);
            foreach (var (title, icon, links) in groups)
            {
                menu.OpenComponent<MudNavGroup>(10);
                menu.SetKey(title);
                menu.AddAttribute(11, "Title", title);
                menu.AddAttribute(12, "Expanded", true);
                menu.AddAttribute(13, "Icon", icon);
                if (title == "Administration")
                {
                    menu.AddAttribute(14, "data-testid", "nav-administration");
                }
                menu.AddAttribute(15, "ChildContent", (RenderFragment)(group =>
                {
                    foreach (var (href, text, linkIcon) in links)
                    {
                        MudLink(group, href, text, linkIcon, NavLinkMatch.Prefix);
                    }
                }));
                menu.CloseComponent();
            }
        }));
        b.CloseComponent();
    };

    private static void MudLink(RenderTreeBuilder b, string href, string text, string icon, NavLinkMatch match)
    {
        b.OpenComponent<MudNavLink>(20);
        b.SetKey(href);
        b.AddAttribute(21, "Href", href);
        b.AddAttribute(22, "Match", match);
        b.AddAttribute(23, "Icon", icon);
        b.AddAttribute(24, "ChildContent", (RenderFragment)(c => c.AddContent(0, text)));
        b.CloseComponent();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
