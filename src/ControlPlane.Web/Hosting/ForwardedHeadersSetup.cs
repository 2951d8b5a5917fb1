using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace ControlPlane.Web.Hosting;

/// <summary>
/// <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> from the reverse proxies named in
/// <c>ControlPlane:ForwardedHeaders:KnownProxies</c> (addresses) and <c>KnownNetworks</c> (CIDR), so audit
/// records name the real client. None is trusted by default: anybody can send those headers.
/// </summary>
public static class ForwardedHeadersSetup
{
    public const string Section = "ControlPlane:ForwardedHeaders";

    public static IServiceCollection AddControlPlaneForwardedHeaders(this IServiceCollection services, IConfiguration configuration)
    {
        // Read and checked here, at start-up: a typo fails the start naming the setting, rather than trusting nobody quietly.
        var proxies = Entries(configuration, "KnownProxies")
            .Select(p => IPAddress.TryParse(p, out var address) ? address : throw Invalid("KnownProxies", p, "an IP address"))
            .ToList();
        var networks = Entries(configuration, "KnownNetworks")
            .Select(n => System.Net.IPNetwork.TryParse(n, out var network) ? network : throw Invalid("KnownNetworks", n, "a network in CIDR form such as 10.0.0.0/8"))
            .ToList();
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // The defaults trust loopback; only what is configured is trusted here.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            proxies.ForEach(options.KnownProxies.Add);
            networks.ForEach(options.KnownIPNetworks.Add);
            // Walk back through as many hops as are trusted proxies, not just the last one.
            options.ForwardLimit = null;
        });
        return services;
    }

    /// <summary>
    /// Reads the forwarded headers only when some proxy is trusted: the middleware treats empty lists as
    /// "trust every peer", which would let any client write its own address into the audit log.
    /// </summary>
    public static IApplicationBuilder UseControlPlaneForwardedHeaders(this IApplicationBuilder app, IConfiguration configuration) =>
        Entries(configuration, "KnownProxies").Any() || Entries(configuration, "KnownNetworks").Any() ? app.UseForwardedHeaders() : app;

    private static IEnumerable<string> Entries(IConfiguration configuration, string key) =>
        configuration.GetSection($"{Section}:{key}").GetChildren().Select(c => c.Value).OfType<string>().Where(v => v.Trim().Length > 0).Select(v => v.Trim());

    private static InvalidOperationException Invalid(string key, string text, string expected) =>
        new($"{Section}:{key} holds '{text}', which is not {expected}.");
}
