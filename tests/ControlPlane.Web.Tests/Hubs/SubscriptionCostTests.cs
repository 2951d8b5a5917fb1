using System.Globalization;
using System.Text.Json;
using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using ControlPlane.Docker.Connection;
using ControlPlane.Web.Tests.Infrastructure;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace ControlPlane.Web.Tests.Hubs;

/// <summary>Runs alone: another test's service changes on the shared swarm would be counted as requests here.</summary>
[CollectionDefinition(nameof(SubscriptionCostCollection), DisableParallelization = true)]
public sealed class SubscriptionCostCollection;

/// <summary>
/// DESIGN §3: browsers and hub clients never cause Engine API calls by looking. Counted with the app's own
/// <see cref="EngineRequestCounter"/>, which every request of the watcher goes through.
/// </summary>
[Collection(nameof(SubscriptionCostCollection))]
public sealed class SubscriptionCostTests(QuietSwarmAppFactory factory, ITestOutputHelper output) : IClassFixture<QuietSwarmAppFactory>
{
    private const string Cluster = SwarmAppFactory.ClusterId;
    private const string RoundLabel = "controlplane.test.round";
    private const int Rounds = 3;
    private const int Attempts = 3;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>How long each window stays open after its changes arrived, so per-subscriber polling would show.</summary>
    private static readonly TimeSpan Dwell = TimeSpan.FromSeconds(2);

    private readonly ClusterStateStore _store = factory.Services.GetRequiredService<ClusterStateStore>();
    private readonly EngineRequestCounter _counter = factory.Services.GetRequiredService<EngineRequestCounter>();
    private int _round;

    [Fact]
    public async Task Twenty_subscriptions_of_hub_clients_and_pages_make_no_more_engine_api_requests_than_one()
    {
        await Eventually.HoldsAsync(() => _store.GetState(Cluster)?.Cluster.Status == ClusterStatus.Synced, Timeout);
        using var docker = new DockerClientBuilder().WithEndpoint(new Uri(SwarmEnvironment.DockerHost)).Build();
        var created = await docker.Swarm.CreateServiceAsync(new ServiceCreateParameters
        {
            Service = new ServiceSpec
            {
                Name = $"subcost-{Guid.NewGuid().ToString("N")[..8]}",
                Labels = new Dictionary<string, string> { [RoundLabel] = "0" },
                TaskTemplate = new TaskSpec { ContainerSpec = new ContainerSpec { Image = SwarmEnvironment.DemoImage } },
                // No replicas: label updates then change the service object only, never tasks.
                Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = 0 } },
            },
        });
        var serviceId = created.ID ?? throw new InvalidOperationException("Docker created the service without an id.");
        try
        {
            await Eventually.HoldsAsync(() => _store.GetState(Cluster)!.FindService(serviceId) is not null, Timeout);
            // The one subscriber of the first window, which stays open in the second.
            await using var page = new StoreWatchClient(_store, Cluster);

            Window single = default, twenty = default;
            for (var attempt = 1; attempt <= Attempts; attempt++)
            {
                single = await MeasureAsync(docker, serviceId, page, hubClients: 0, extraPages: 0);
                twenty = await MeasureAsync(docker, serviceId, page, hubClients: 10, extraPages: 9);
                output.WriteLine($"attempt {attempt}: {single.Subscribers} subscriber(s) {single.Requests} requests, " +
                    $"{twenty.Subscribers} subscribers {twenty.Requests} requests, foreign events {single.ForeignEvents.Count + twenty.ForeignEvents.Count}");
                // Activity of other users of the shared swarm also costs requests; such a pair says nothing.
                if (single.ForeignEvents.Count == 0 && twenty.ForeignEvents.Count == 0)
                {
                    break;
                }
            }

            Assert.True(single.ForeignEvents.Count == 0 && twenty.ForeignEvents.Count == 0,
                $"The swarm was never idle for a pair of windows in {Attempts} attempts; events from elsewhere: " +
                string.Join(", ", single.ForeignEvents.Concat(twenty.ForeignEvents).Take(10)));
            // The counter must see the watcher's work, or equal counts would prove nothing.
            Assert.True(single.Requests > 0, $"No Engine API request was counted for {Rounds} service updates.");
            Assert.Equal(1, single.Subscribers);
            Assert.Equal(20, twenty.Subscribers);
            Assert.Equal(single.Requests, twenty.Requests);
        }
        finally
        {
            await docker.Swarm.RemoveServiceAsync(serviceId);
        }
    }

    /// <summary>
    /// Opens the extra subscribers, updates the service's label <see cref="Rounds"/> times, waits until every
    /// subscriber has seen each update, stays open a little longer, and counts the Engine API requests made
    /// from before the first subscriber opened to the end.
    /// </summary>
    private async Task<Window> MeasureAsync(DockerClient docker, string serviceId, StoreWatchClient page, int hubClients, int extraPages)
    {
        var eventsBefore = _store.GetState(Cluster)!.Events.Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        var before = _counter.Count;
        var hubs = new List<HubWatchClient>();
        var pages = new List<StoreWatchClient>();
        try
        {
            for (var i = 0; i < hubClients; i++)
            {
                hubs.Add(await HubWatchClient.WatchAsync(factory, Cluster));
            }
            for (var i = 0; i < extraPages; i++)
            {
                pages.Add(new StoreWatchClient(_store, Cluster));
            }
            await Task.WhenAll(hubs.Select(h => h.Messages.WaitForAsync(m => m.GetProperty("snapshot").GetBoolean(), Timeout)));

            for (var r = 0; r < Rounds; r++)
            {
                var value = (++_round).ToString(CultureInfo.InvariantCulture);
                await SetLabelAsync(docker, serviceId, value);
                await Task.WhenAll(
                    hubs.Select(h => h.Messages.WaitForAsync(m => HubLabel(m, serviceId) == value, Timeout))
                        .Cast<Task>()
                        .Concat(pages.Append(page).Select(p => p.States.WaitForAsync(s => StoreLabel(s, serviceId) == value, Timeout))));
            }

            // A measurement window, not a wait for something: a subscriber that polled would show here.
            await Task.Delay(Dwell);
            var requests = _counter.Count - before;
            var foreign = _store.GetState(Cluster)!.Events
                .Where(e => !eventsBefore.Contains(e.Id) && e.ActorId != serviceId)
                .Select(e => $"{e.Type} {e.Action} {e.ActorName ?? e.ActorId}")
                .ToList();
            return new Window(requests, hubs.Count + pages.Count + 1, foreign);
        }
        finally
        {
            foreach (var hub in hubs)
            {
                await hub.DisposeAsync();
            }
            foreach (var extra in pages)
            {
                await extra.DisposeAsync();
            }
        }
    }

    private static async Task SetLabelAsync(DockerClient docker, string serviceId, string value)
    {
        var service = await docker.Swarm.InspectServiceAsync(serviceId);
        var spec = service.Spec ?? throw new InvalidOperationException($"Docker returned service {serviceId} without a spec.");
        var version = service.Version?.Index ?? throw new InvalidOperationException($"Docker returned service {serviceId} without a version.");
        spec.Labels = new Dictionary<string, string>(spec.Labels ?? new Dictionary<string, string>()) { [RoundLabel] = value };
        await docker.Swarm.UpdateServiceAsync(serviceId, new ServiceUpdateParameters { Service = spec, Version = (long)version });
    }

    private static string? HubLabel(JsonElement message, string serviceId) =>
        message.GetProperty("changes").EnumerateArray()
            .LastOrDefault(c => c.GetProperty("kind").GetString() == "service" && c.GetProperty("id").GetString() == serviceId) is
            { ValueKind: JsonValueKind.Object } change
            && change.GetProperty("resource") is { ValueKind: JsonValueKind.Object } resource
            && resource.GetProperty("labels").TryGetProperty(RoundLabel, out var label)
                ? label.GetString()
                : null;

    private static string? StoreLabel(ClusterState state, string serviceId) =>
        state.Get<ClusterService>(ResourceKind.Service, serviceId)?.Labels.GetValueOrDefault(RoundLabel);

    private readonly record struct Window(long Requests, int Subscribers, IReadOnlyList<string> ForeignEvents);
}
