using System.Net;
using ControlPlane.E2E.Tests.Infrastructure;
using ControlPlane.Web.Tests.Infrastructure;
using ControlPlane.Web.Tests.Replicas;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E.Tests;

/// <summary>
/// A browser behind a balancer with no affinity (as Docker's routing mesh is) in front of two replicas on one PostgreSQL
/// database (DESIGN §8): the circuit connects without a negotiation round trip; when the replica serving it stops, the
/// page reconnects to the other by itself (Blazor reloads it), still signed in, and keeps following the swarm.
/// Uses the docker CLI on PATH (DockerCli) to change the swarm outside ControlPlane.
/// </summary>
public sealed class ReplicaFailoverBrowserTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Swarm = new()
    {
        ["ControlPlane:Clusters:0:Name"] = KestrelAppFactory.ClusterId,
        ["ControlPlane:Clusters:0:Endpoints:0"] = SwarmEnvironment.DockerHost,
    };

    private readonly ReplicaDatabase _database = new();
    private readonly List<ReplicaAppFactory> _replicas = [];
    private RoundRobinProxy _proxy = default!;
    private IPlaywright _playwright = default!;
    private IBrowser _browser = default!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        var addresses = new List<Uri>();
        for (var i = 0; i < 2; i++)
        {
            var replica = _database.Replica(Swarm);
            replica.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
            replica.StartServer();
            _replicas.Add(replica);
            addresses.Add(new Uri(replica.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single()));
        }
        _proxy = new RoundRobinProxy(addresses);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = BrowserFixture.ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    [Fact]
    public async Task When_the_replica_serving_a_page_stops_the_page_reconnects_to_another_by_itself_still_signed_in_and_live()
    {
        // Sign-in goes round robin: the cookie one replica issues is read by the other (keys in the database).
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _proxy.Address.ToString() });
        await using var app = await AppPage.CreateAsync(context);
        var circuitSockets = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var negotiations = new System.Collections.Concurrent.ConcurrentQueue<string>();
        app.Page.WebSocket += (_, socket) => circuitSockets.Enqueue(socket.Url);
        app.Page.Request += (_, request) =>
        {
            if (request.Url.Contains("/negotiate", StringComparison.Ordinal))
            {
                negotiations.Enqueue(request.Url);
            }
        };
        await app.Page.GotoAsync("account/login");
        await app.Page.FillAsync("#username", ControlPlaneAppFactory.BootstrapAdmin);
        await app.Page.FillAsync("#password", ControlPlaneAppFactory.BootstrapPassword);
        await app.Page.ClickAsync("button[type=submit]");
        await app.Page.WaitForURLAsync(url => !url.Contains("/account/login"));

        // With no affinity, each load's circuit is one WebSocket to whichever replica the balancer picks: no negotiate
        // request whose connection id another replica would not know.
        for (var load = 0; load < 3; load++)
        {
            await app.GotoAsync("services");
            await Expect(app.Page.GetByTestId("services-table")).ToBeVisibleAsync();
        }
        Assert.Empty(negotiations);
        Assert.NotEmpty(circuitSockets);
        Assert.All(circuitSockets, url => Assert.DoesNotContain("id=", url));

        // The page and its circuit live on replica 0.
        _proxy.Only = 0;
        await app.GotoAsync("services");
        await Expect(app.Page.GetByTestId("services-table")).ToBeVisibleAsync();
        await app.Page.EvaluateAsync("() => { window.__e2eMarker = 'before'; }");

        // Replica 0 dies: its connections are reset and the balancer sends new ones to whichever replica is left.
        _proxy.Only = null;
        await _proxy.KillAsync(0);

        // Blazor's reconnection lands on replica 1, which does not know the circuit: the page reloads by itself.
        await app.Page.WaitForFunctionAsync("() => window.__e2eMarker === undefined && window.__e2e.renderBatches > 0", null, new() { Timeout = 60_000 });
        Assert.DoesNotContain("/account/login", app.Page.Url);
        var table = app.Page.GetByTestId("services-table");
        await Expect(table).ToBeVisibleAsync();

        var name = $"e2erf-{Guid.NewGuid():N}"[..14];
        var row = table.Locator("tbody tr").Filter(new() { HasText = name });
        try
        {
            await DockerCli.RunAsync("service", "create", "--detach", "--name", name, "--replicas", "0", SwarmEnvironment.DemoImage);
            await Expect(row).ToHaveCountAsync(1);
        }
        finally
        {
            await DockerCli.RunAsync("service", "rm", name);
        }
        await Expect(row).ToHaveCountAsync(0);
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _proxy.DisposeAsync();
        foreach (var replica in _replicas)
        {
            await replica.DisposeAsync();
        }
        await _database.DisposeAsync();
    }
}
