using System.Globalization;

namespace ControlPlane.Core.Stacks.Compose;

/// <summary>A published port as the CLI's ServicePortConfig holds it (empty strings where the file gave nothing).</summary>
internal sealed record PortConfig(string Protocol, long Target, long Published, string Mode);

/// <summary>
/// The short syntax of ports (<c>"8080:80"</c>, <c>"9000-9001:90-91/udp"</c>, <c>"80"</c>, <c>"127.0.0.1:8080:80"</c>),
/// parsed as the CLI parses it (docker/go-connections' nat.ParsePortSpecs, then opts.ConvertPortToPortConfig):
/// every entry is published in ingress mode, a host port range for one container port publishes each host port.
/// </summary>
internal static class PortSpec
{
    public static List<PortConfig>? Parse(string spec, out string? error, out string? warning)
    {
        warning = null;
        var parts = spec.Split(':');
        var containerPart = parts[^1];
        var hostPart = parts.Length >= 2 ? parts[^2] : "";
        var ip = parts.Length >= 3 ? string.Join(':', parts[..^2]) : "";
        var (protocol, container) = SplitProtocol(containerPart);
        ip = ip.TrimStart('[').TrimEnd(']');
        if (ip.Length > 0 && !System.Net.IPAddress.TryParse(ip, out _))
        {
            error = $"invalid IP address {ip} in \"{spec}\"";
            return null;
        }
        if (container.Length == 0)
        {
            error = $"no port given in \"{spec}\"";
            return null;
        }
        if (Range(container) is not var (start, end))
        {
            error = $"invalid container port {container} in \"{spec}\"";
            return null;
        }
        ulong hostStart = 0, hostEnd = 0;
        if (hostPart.Length > 0)
        {
            if (Range(hostPart) is not var (hs, he))
            {
                error = $"invalid host port {hostPart} in \"{spec}\"";
                return null;
            }
            (hostStart, hostEnd) = (hs, he);
            if (end - start != hostEnd - hostStart && end != start)
            {
                error = $"the container ports {container} and the host ports {hostPart} are ranges of different lengths in \"{spec}\"";
                return null;
            }
        }
        protocol = protocol.ToLowerInvariant();
        if (protocol is not ("tcp" or "udp" or "sctp"))
        {
            error = $"invalid protocol {protocol} in \"{spec}\" (tcp, udp or sctp)";
            return null;
        }
        if (ip.Length > 0 && ip != "0.0.0.0")
        {
            warning = $"ignoring IP-address ({ip}:{container}/{protocol}) service will listen on '0.0.0.0'";
        }
        // nat.ParsePortSpecs keys its result by "port/proto" and the CLI sorts those keys as strings.
        var ports = new List<(string Key, PortConfig[] Configs)>();
        for (ulong i = 0; i <= end - start; i++)
        {
            var target = start + i;
            PortConfig[] configs;
            if (hostPart.Length == 0)
            {
                configs = [new PortConfig(protocol, (long)target, 0, "ingress")];
            }
            else if (start == end && hostStart != hostEnd)
            {
                configs = Enumerable.Range(0, (int)(hostEnd - hostStart + 1))
                    .Select(h => new PortConfig(protocol, (long)target, (long)hostStart + h, "ingress")).ToArray();
            }
            else
            {
                configs = [new PortConfig(protocol, (long)target, (long)(hostStart + i), "ingress")];
            }
            ports.Add(($"{target.ToString(CultureInfo.InvariantCulture)}/{protocol}", configs));
        }
        error = null;
        return ports.OrderBy(p => p.Key, StringComparer.Ordinal).SelectMany(p => p.Configs).ToList();
    }

    private static (string Protocol, string Port) SplitProtocol(string raw)
    {
        var parts = raw.Split('/');
        if (raw.Length == 0 || parts[0].Length == 0)
        {
            return ("", "");
        }
        if (parts.Length == 1 || parts[1].Length == 0)
        {
            return ("tcp", parts[0]);
        }
        return (parts[1], parts[0]);
    }

    private static (ulong Start, ulong End)? Range(string ports)
    {
        if (!ports.Contains('-', StringComparison.Ordinal))
        {
            return Port(ports) is { } single ? (single, single) : null;
        }
        var parts = ports.Split('-');
        if (parts.Length != 2 || Port(parts[0]) is not { } start || Port(parts[1]) is not { } end || end < start)
        {
            return null;
        }
        return (start, end);
    }

    private static ulong? Port(string text) =>
        text.Length > 0 && text.All(char.IsAsciiDigit) && ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : null;
}
