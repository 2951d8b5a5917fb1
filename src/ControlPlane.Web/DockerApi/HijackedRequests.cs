using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace ControlPlane.Web.DockerApi;

/// <summary>
/// Makes Docker's hijacked requests reach <see cref="DockerApiHandler"/> as HTTP upgrades (DESIGN §10). <c>docker exec</c>
/// starts with <c>POST /exec/{id}/start</c> carrying a JSON body <i>and</i> <c>Connection: Upgrade</c>/<c>Upgrade: tcp</c>,
/// then expects <c>101</c> and a raw stream both ways. Since ASP.NET Core 5, Kestrel does not upgrade a request that has a
/// body, so neither its upgrade feature nor YARP can hijack it as sent. This connection middleware (on the decrypted
/// stream, after TLS) looks at the first request of each connection — the docker CLI dials a new connection for every
/// hijack — and, when it is an upgrade with a small body, takes the body off the wire into the connection's items and the
/// <c>Content-Length</c> off the header, so Kestrel sees an upgrade without a body. The body is kept where only this
/// middleware writes: a client cannot hand the handler a body of its own by header.
/// </summary>
public static class HijackedRequests
{
    /// <summary>The connection item holding the body taken off a hijacked request (a byte array).</summary>
    public const string BodyItem = "controlplane.hijack.body";

    private const int MaxHeader = 16 * 1024;
    private const int MaxBody = 64 * 1024;
    private static readonly byte[] EndOfHeader = "\r\n\r\n"u8.ToArray();

    public static async Task RewriteAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var input = connection.Transport.Input;
        byte[]? rewritten = null;
        while (true)
        {
            var read = await input.ReadAsync(connection.ConnectionClosed);
            var buffer = read.Buffer;
            var end = IndexOf(buffer, EndOfHeader);
            if (end < 0)
            {
                if (buffer.Length > MaxHeader || read.IsCompleted)
                {
                    input.AdvanceTo(buffer.Start);
                    break;
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }
            var headerLength = end + EndOfHeader.Length;
            var header = Encoding.ASCII.GetString(buffer.Slice(0, headerLength));
            if (UpgradeBodyLength(header) is not { } bodyLength)
            {
                input.AdvanceTo(buffer.Start);
                break;
            }
            if (buffer.Length < headerLength + bodyLength)
            {
                if (read.IsCompleted)
                {
                    input.AdvanceTo(buffer.Start);
                    break;
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }
            connection.Items[BodyItem] = buffer.Slice(headerLength, bodyLength).ToArray();
            rewritten = Encoding.ASCII.GetBytes(WithoutContentLength(header));
            input.AdvanceTo(buffer.GetPosition(headerLength + bodyLength));
            break;
        }
        if (rewritten is null)
        {
            await next(connection);
            return;
        }
        // The rewritten header, then whatever the client sends after the body (its stdin, once upgraded).
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(rewritten, connection.ConnectionClosed);
        var rest = CopyRestAsync(input, pipe.Writer);
        var original = connection.Transport;
        connection.Transport = new Duplex(pipe.Reader, original.Output);
        try
        {
            await next(connection);
        }
        finally
        {
            connection.Transport = original;
            await input.CompleteAsync();
            await rest;
        }
    }

    private static async Task CopyRestAsync(PipeReader from, PipeWriter to)
    {
        try
        {
            await from.CopyToAsync(to);
            await to.CompleteAsync();
        }
        catch (Exception ex)
        {
            await to.CompleteAsync(ex);
        }
    }

    /// <summary>The body's length when the header is an HTTP/1.1 upgrade with a body small enough to move; else null.</summary>
    internal static int? UpgradeBodyLength(string header)
    {
        int? length = null;
        bool upgrade = false, connectionUpgrade = false;
        foreach (var line in header.Split("\r\n").Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                // Two lengths are a malformed request: leave it to Kestrel, which refuses it.
                length = length is null && int.TryParse(value, out var parsed) && parsed is > 0 and <= MaxBody ? parsed : -1;
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
            else if (name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
            {
                upgrade = value.Length > 0;
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                connectionUpgrade |= value.Split(',').Any(token => token.Trim().Equals("Upgrade", StringComparison.OrdinalIgnoreCase));
            }
        }
        return upgrade && connectionUpgrade && length > 0 ? length : null;
    }

    private static string WithoutContentLength(string header) =>
        string.Join("\r\n", header.Split("\r\n").Where(line => !line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)));

    private static long IndexOf(ReadOnlySequence<byte> buffer, byte[] value)
    {
        var reader = new SequenceReader<byte>(buffer);
        return reader.TryReadTo(out ReadOnlySequence<byte> before, value, advancePastDelimiter: false) ? before.Length : -1;
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
