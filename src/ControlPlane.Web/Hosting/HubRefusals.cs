using System.Text;
using System.Text.Json;

namespace ControlPlane.Web.Hosting;

/// <summary>
/// SignalR answers its own refusals (an unknown connection id, a wrong transport) as <c>text/plain</c>. Under
/// <c>/hubs</c> such a 4xx answer is rewritten as a problem with SignalR's text as the detail, so a caller of the hub
/// reads refusals the way it reads the API's. Successful answers (the streams) pass through untouched.
/// </summary>
internal static class HubRefusals
{
    public static async Task RunAsync(HttpContext http, RequestDelegate next)
    {
        var original = http.Response.Body;
        var body = new RefusalBuffer(original);
        http.Response.Body = body;
        http.Response.OnStarting(() =>
        {
            if (http.Response.StatusCode >= 400 && http.Response.ContentType?.StartsWith("application/problem+json", StringComparison.Ordinal) != true)
            {
                body.Buffering = true;
                http.Response.ContentType = "application/problem+json";
                http.Response.ContentLength = null;
            }
            return Task.CompletedTask;
        });
        try
        {
            await next(http);
            if (!http.Response.HasStarted && http.Response.StatusCode >= 400)
            {
                // Nothing written: the status code pages middleware gives it a problem body.
                return;
            }
            if (body.Buffering)
            {
                var problem = new Dictionary<string, object?>
                {
                    ["type"] = $"https://tools.ietf.org/html/rfc9110#section-15.5",
                    ["title"] = "The hub refused the request",
                    ["status"] = http.Response.StatusCode,
                    ["detail"] = Encoding.UTF8.GetString(body.Buffered.ToArray()).Trim(),
                    ["correlationId"] = System.Diagnostics.Activity.Current?.Id ?? http.TraceIdentifier,
                };
                await original.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(problem), http.RequestAborted);
            }
        }
        finally
        {
            http.Response.Body = original;
        }
    }

    private sealed class RefusalBuffer(Stream inner) : Stream
    {
        public bool Buffering { get; set; }

        public MemoryStream Buffered { get; } = new();

        private Stream Target => Buffering ? Buffered : inner;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => Target.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => Target.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Target.Write(buffer, offset, count);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Target.WriteAsync(buffer, offset, count, cancellationToken);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => Target.WriteAsync(buffer, cancellationToken);
    }
}
