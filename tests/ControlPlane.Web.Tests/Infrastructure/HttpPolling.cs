using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace ControlPlane.Web.Tests.Infrastructure;

/// <summary>Waits for an HTTP endpoint to answer what a test expects, instead of sleeping and hoping.</summary>
internal static class HttpPolling
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// GETs <paramref name="path"/> until <paramref name="until"/> holds for the status and JSON body, and
    /// returns that body; after <paramref name="timeout"/> fails with the condition and the last answer.
    /// </summary>
    public static async Task<JsonElement> GetUntilAsync(
        this HttpClient client,
        string path,
        Func<HttpStatusCode, JsonElement, bool> until,
        TimeSpan timeout,
        [CallerArgumentExpression(nameof(until))] string condition = "")
    {
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(Interval);
        var last = "no answer yet";
        do
        {
            using var response = await client.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            last = $"{(int)response.StatusCode} {body}";
            var json = TryParse(body);
            if (until(response.StatusCode, json))
            {
                return json;
            }
        }
        while (clock.Elapsed < timeout && await timer.WaitForNextTickAsync());

        throw new TimeoutException($"GET {path} did not satisfy `{condition}` within {timeout.TotalSeconds:0}s. Last answer: {last}");
    }

    private static JsonElement TryParse(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return default;
        }
    }
}
