using System.Net;
using ControlPlane.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.E2E.Tests.Infrastructure;

/// <summary>
/// The real ControlPlane host served by Kestrel on a free loopback port, so a real browser can reach it,
/// watching the local swarm (from <c>DOCKER_HOST</c>) as the cluster named <see cref="ClusterId"/>.
/// </summary>
public sealed class KestrelAppFactory : ControlPlaneAppFactory
{
    public const string ClusterId = "local";

    public KestrelAppFactory()
        : base(new Dictionary<string, string?>
        {
            ["ControlPlane:Clusters:0:Name"] = ClusterId,
            ["ControlPlane:Clusters:0:Endpoints:0"] = SwarmEnvironment.DockerHost,
            // The Docker API endpoint, for a client bundle downloaded in the browser and used by the real docker CLI.
            ["ControlPlane:DockerApi:Url"] = "https://127.0.0.1:0",
            ["ControlPlane:DockerApi:Hostnames:0"] = "127.0.0.1",
        })
    {
        // Port 0: the OS picks a free port, so parallel runs on one machine never collide.
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
    }

    /// <summary>Starts Kestrel and answers the address it actually listens on.</summary>
    public Uri Start()
    {
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        return new Uri(addresses.Single());
    }
}
