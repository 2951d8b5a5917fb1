using System.Text.RegularExpressions;

namespace ControlPlane.Docker.Configuration;

/// <summary>A manager endpoint, with the configuration key it came from so errors can name it.</summary>
public sealed record ClusterEndpoint(Uri Uri, string Setting, TlsOptions? Tls)
{
    public override string ToString() => Uri.ToString();
}

/// <summary>A cluster as ControlPlane will watch it.</summary>
public sealed record ClusterDefinition(string Id, string Name, IReadOnlyList<ClusterEndpoint> Endpoints);

/// <summary>
/// Turns configuration into cluster definitions: the configured clusters, else <c>DOCKER_HOST</c>,
/// else the local socket. Every problem names the setting that causes it.
/// </summary>
public static partial class ClusterEndpointResolver
{
    public const string LocalSocket = "unix:///var/run/docker.sock";

    public static IReadOnlyList<ClusterDefinition> Resolve(ClustersOptions options, string? dockerHost, out IReadOnlyList<string> errors)
    {
        var problems = new List<string>();
        var clusters = new List<ClusterDefinition>();

        if (options.Clusters.Count == 0)
        {
            var (raw, setting) = string.IsNullOrWhiteSpace(dockerHost)
                ? (LocalSocket, "the default local socket")
                : (dockerHost.Trim(), "DOCKER_HOST");
            if (TryParseEndpoint(raw, setting, null, problems) is { } endpoint)
            {
                clusters.Add(new ClusterDefinition("local", "local", [endpoint]));
            }
            errors = problems;
            return clusters;
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Clusters.Count; i++)
        {
            var cluster = options.Clusters[i];
            var prefix = $"{ClustersOptions.SectionName}:Clusters:{i}";
            var name = string.IsNullOrWhiteSpace(cluster.Name) ? $"cluster-{i + 1}" : cluster.Name.Trim();
            var id = Slug(name);
            if (id.Length == 0)
            {
                problems.Add($"{prefix}:Name: '{cluster.Name}' has no letters or digits; give the cluster a name such as 'production'.");
                continue;
            }
            if (!ids.Add(id))
            {
                problems.Add($"{prefix}:Name: another cluster is already named '{name}'; cluster names must be unique.");
                continue;
            }
            if (cluster.Endpoints.Count == 0)
            {
                problems.Add($"{prefix}:Endpoints: no endpoint configured; add at least one manager, e.g. unix:///var/run/docker.sock or tcp://manager1:2376.");
                continue;
            }

            var tls = cluster.Tls is { IsConfigured: true } ? cluster.Tls : null;
            if (tls is not null)
            {
                ValidateTls(tls, $"{prefix}:Tls", problems);
            }
            var endpoints = new List<ClusterEndpoint>();
            for (var e = 0; e < cluster.Endpoints.Count; e++)
            {
                if (TryParseEndpoint(cluster.Endpoints[e], $"{prefix}:Endpoints:{e}", tls, problems) is { } endpoint)
                {
                    endpoints.Add(endpoint);
                }
            }
            clusters.Add(new ClusterDefinition(id, name, endpoints));
        }

        errors = problems;
        return clusters;
    }

    private static ClusterEndpoint? TryParseEndpoint(string raw, string setting, TlsOptions? tls, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(raw) || !Uri.TryCreate(raw.Trim(), UriKind.Absolute, out var uri))
        {
            problems.Add($"{setting}: '{raw}' is not an endpoint; use unix:///path/to/docker.sock or tcp://host:port.");
            return null;
        }
        switch (uri.Scheme)
        {
            case "unix":
                if (string.IsNullOrEmpty(uri.AbsolutePath) || uri.AbsolutePath == "/")
                {
                    problems.Add($"{setting}: '{raw}' names no socket file; use unix:///path/to/docker.sock.");
                    return null;
                }
                if (tls is not null)
                {
                    problems.Add($"{setting}: TLS is configured but '{raw}' is a unix socket; TLS applies to tcp:// endpoints only.");
                    return null;
                }
                return new ClusterEndpoint(uri, setting, null);
            case "tcp" or "http" or "https":
                if (uri.Port <= 0)
                {
                    problems.Add($"{setting}: '{raw}' has no port; Docker listens on 2375 (plain) or 2376 (TLS), e.g. tcp://manager1:2376.");
                    return null;
                }
                return new ClusterEndpoint(uri, setting, tls);
            default:
                problems.Add($"{setting}: '{raw}' uses the scheme '{uri.Scheme}', which Docker does not speak; use unix:// or tcp://.");
                return null;
        }
    }

    private static void ValidateTls(TlsOptions tls, string prefix, List<string> problems)
    {
        foreach (var (value, key) in new[] { (tls.CaFile, "CaFile"), (tls.CertFile, "CertFile"), (tls.KeyFile, "KeyFile") })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                problems.Add($"{prefix}:{key}: missing; TLS needs CaFile, CertFile and KeyFile (PEM files, as for docker --tlsverify).");
            }
            else if (!File.Exists(value))
            {
                problems.Add($"{prefix}:{key}: the file '{value}' does not exist.");
            }
        }
    }

    /// <summary>A cluster id safe in URLs: lower-case letters, digits and dashes.</summary>
    public static string Slug(string name) => NonSlug().Replace(name.Trim().ToLowerInvariant(), "-").Trim('-');

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NonSlug();
}
