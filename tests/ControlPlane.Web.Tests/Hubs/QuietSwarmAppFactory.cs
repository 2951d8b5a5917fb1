using ControlPlane.Docker.Watching;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Web.Tests.Hubs;

/// <summary>
/// ControlPlane on the local swarm with periodic reconciliation pushed an hour out, so on an idle swarm
/// every Engine API request it makes is caused by an event, and request counts are repeatable.
/// </summary>
public sealed class QuietSwarmAppFactory : HubAppFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton(new WatcherTimings
        {
            FastReconcile = TimeSpan.FromHours(1),
            SlowReconcile = TimeSpan.FromHours(1),
        }));
    }
}
