using System.Collections.Concurrent;
using ControlPlane.Core.Changes;

namespace ControlPlane.Web.Authorization;

/// <summary>
/// Requests refused because nobody signed in, counted per client address and written to the audit log as one record
/// per address per minute: a flood of anonymous calls must not append a row each behind the audit log's lock, where it
/// would hold up the records of real changes.
/// </summary>
public sealed class AnonymousRefusals(ChangeGate gate, TimeProvider time, ILogger<AnonymousRefusals> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    /// <summary>How many different requests a record names, so that one record stays small whatever was tried.</summary>
    private const int MaxNamedRequests = 5;

    private readonly ConcurrentDictionary<string, Tally> _byAddress = new(StringComparer.Ordinal);

    /// <summary>Counts one refused request from the address.</summary>
    public void Count(string? clientAddress, string request)
    {
        var tally = _byAddress.GetOrAdd(clientAddress ?? "unknown", _ => new Tally());
        lock (tally)
        {
            tally.Count++;
            if (tally.Requests.Count < MaxNamedRequests)
            {
                tally.Requests.Add(request);
            }
        }
    }

    /// <summary>Writes one audit record per address that was refused since the last flush.</summary>
    public async Task FlushAsync()
    {
        foreach (var address in _byAddress.Keys)
        {
            if (!_byAddress.TryRemove(address, out var tally))
            {
                continue;
            }
            int count;
            string requests;
            lock (tally)
            {
                (count, requests) = (tally.Count, string.Join(", ", tally.Requests));
            }
            await gate.AuditRefusalAsync("anonymous", "requests.unauthenticated", "ControlPlane", address,
                $"{count} request{(count == 1 ? "" : "s")} refused: not signed in ({requests}{(count > tally.Requests.Count ? ", …" : "")})");
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushSafelyAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        // What was counted in the last minute before stopping is written too.
        await FlushSafelyAsync();
    }

    private async Task FlushSafelyAsync()
    {
        try
        {
            await FlushAsync();
        }
        catch (AuditUnavailableException ex)
        {
            logger.LogError(ex, "Could not write the anonymous refusals of the last minute to the audit log");
        }
    }

    private sealed class Tally
    {
        public int Count { get; set; }

        public List<string> Requests { get; } = [];
    }
}
