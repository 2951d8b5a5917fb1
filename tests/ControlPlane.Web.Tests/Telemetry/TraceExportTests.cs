using System.Net;
using System.Net.Sockets;
using System.Text;
using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.Web.Tests.Telemetry;

/// <summary>Traces leave over OTLP when an endpoint is configured: the Engine API calls of the watcher, on the real swarm.</summary>
[Collection(nameof(MetricsCollection))]
public sealed class TraceExportTests
{
    [Fact]
    public async Task With_an_OTLP_endpoint_the_Engine_API_calls_are_exported_as_spans()
    {
        var port = FreePort();
        using var collector = new HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        await using var app = new ControlPlaneAppFactory(new Dictionary<string, string?>
        {
            ["ControlPlane:Clusters:0:Name"] = SwarmAppFactory.ClusterId,
            ["ControlPlane:Clusters:0:Endpoints:0"] = SwarmEnvironment.DockerHost,
            ["ControlPlane:Telemetry:OtlpEndpoint"] = $"http://127.0.0.1:{port}/v1/traces",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        });
        using var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);

        // The batch exporter sends every few seconds; the watcher's first listing is a burst of Engine API calls.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var context = await collector.GetContextAsync().WaitAsync(timeout.Token);
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body, timeout.Token);
            context.Response.StatusCode = 200;
            context.Response.Close();
            Assert.Equal("/v1/traces", context.Request.Url!.AbsolutePath);
            // Protobuf keeps strings as UTF-8: the span names are readable in the payload.
            if (Encoding.UTF8.GetString(body.ToArray()).Contains("docker Swarm.ListServices", StringComparison.Ordinal))
            {
                return;
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
