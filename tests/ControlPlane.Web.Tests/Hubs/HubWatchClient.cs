using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;

namespace ControlPlane.Web.Tests.Hubs;

/// <summary>
/// A .NET SignalR client of <c>/hubs/cluster</c>, connected over WebSockets through the factory's test
/// server, recording every message of one <c>Watch</c> stream as raw JSON so tests see the wire shape.
/// </summary>
internal sealed class HubWatchClient : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;

    private HubWatchClient(HubConnection connection, string clusterId)
    {
        Connection = connection;
        var stream = connection.StreamAsync<JsonElement>("Watch", clusterId, _stop.Token);
        _reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var message in stream)
                {
                    Messages.Add(message);
                }
                Messages.Complete();
            }
            catch (Exception ex)
            {
                Messages.Complete(ex);
            }
        });
    }

    public HubConnection Connection { get; }

    public Observations<JsonElement> Messages { get; } = new();

    public static async Task<HubWatchClient> WatchAsync(HubAppFactory factory, string clusterId) =>
        new(await ConnectAsync(factory, await factory.ApiTokenAsync()), clusterId);

    /// <summary>A started connection to the hub, signed in with <paramref name="apiToken"/> (none: anonymous).</summary>
    public static async Task<HubConnection> ConnectAsync(WebApplicationFactory<Program> factory, string? apiToken)
    {
        var server = factory.Server;
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, "/hubs/cluster"), options =>
            {
                options.HttpMessageHandlerFactory = _ => server.CreateHandler();
                options.AccessTokenProvider = () => Task.FromResult(apiToken);
                options.Transports = HttpTransportType.WebSockets;
                options.WebSocketFactory = async (context, ct) =>
                {
                    var client = server.CreateWebSocketClient();
                    // The test server's socket is not the client's own, which would send the token itself.
                    client.ConfigureRequest = request =>
                    {
                        if (apiToken is not null)
                        {
                            request.Headers.Authorization = $"Bearer {apiToken}";
                        }
                    };
                    return await client.ConnectAsync(context.Uri, ct);
                };
            })
            .Build();
        await connection.StartAsync();
        return connection;
    }

    /// <summary>Ends the stream from the client's side while keeping the connection open.</summary>
    public async Task CancelStreamAsync()
    {
        await _stop.CancelAsync();
        await _reading;
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        await _stop.CancelAsync();
        await _reading;
        _stop.Dispose();
    }
}
