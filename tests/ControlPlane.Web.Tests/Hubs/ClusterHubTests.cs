using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using ControlPlane.Web.Tests.Infrastructure;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Web.Tests.Hubs;

/// <summary>The public hub <c>/hubs/cluster</c> of a ControlPlane watching the real local swarm, through a .NET SignalR client.</summary>
public sealed class ClusterHubTests(HubAppFactory factory) : IClassFixture<HubAppFactory>
{
    private const string Cluster = SwarmAppFactory.ClusterId;
    private static readonly TimeSpan SyncTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ChangeTimeout = TimeSpan.FromSeconds(30);

    private ClusterStateStore Store => factory.Services.GetRequiredService<ClusterStateStore>();

    [Fact]
    public async Task The_first_message_is_a_snapshot_of_the_synced_cluster_with_its_three_nodes_as_camel_case_upserts()
    {
        await WaitUntilSyncedAsync();
        await using var client = await HubWatchClient.WatchAsync(factory, Cluster);

        var first = await client.Messages.WaitForAsync(_ => true, SyncTimeout);

        Assert.True(first.GetProperty("snapshot").GetBoolean());
        Assert.Equal(Cluster, first.GetProperty("clusterId").GetString());
        Assert.True(first.GetProperty("version").GetInt64() > 0);
        var cluster = first.GetProperty("cluster");
        Assert.Equal(Cluster, cluster.GetProperty("id").GetString());
        Assert.Equal("synced", cluster.GetProperty("status").GetString());
        foreach (var field in new[] { "name", "endpoint", "engineVersion", "apiVersion", "error", "lastSyncedAt" })
        {
            Assert.True(cluster.TryGetProperty(field, out _), $"cluster JSON lacks '{field}': {cluster}");
        }

        var changes = first.GetProperty("changes").EnumerateArray().ToList();
        Assert.All(changes, c => Assert.Equal("upsert", c.GetProperty("type").GetString()));
        var nodes = changes.Where(c => c.GetProperty("kind").GetString() == "node").ToList();
        Assert.Equal(3, nodes.Count);
        Assert.All(nodes, node =>
        {
            var resource = node.GetProperty("resource");
            Assert.Equal(node.GetProperty("id").GetString(), resource.GetProperty("id").GetString());
            foreach (var field in new[] { "hostname", "role", "availability", "state", "engineVersion", "labels" })
            {
                Assert.True(resource.TryGetProperty(field, out _), $"node resource lacks '{field}': {resource}");
            }
        });
        Assert.Single(nodes, n => n.GetProperty("resource").GetProperty("role").GetString() == "manager");
        Assert.Equal(3, nodes.Select(n => n.GetProperty("resource").GetProperty("hostname").GetString()).Distinct().Count());
        // The same picture the store holds, not a subset.
        Assert.Equal(Store.GetState(Cluster)!.Count(ResourceKind.Network),
            changes.Count(c => c.GetProperty("kind").GetString() == "network"));
    }

    [Fact]
    public async Task A_service_created_in_docker_arrives_as_an_upsert_and_its_removal_as_a_delete()
    {
        await WaitUntilSyncedAsync();
        await using var client = await HubWatchClient.WatchAsync(factory, Cluster);
        await client.Messages.WaitForAsync(m => m.GetProperty("snapshot").GetBoolean(), SyncTimeout);

        var name = $"hubtest-{Guid.NewGuid().ToString("N")[..8]}";
        using var docker = new DockerClientBuilder().WithEndpoint(new Uri(SwarmEnvironment.DockerHost)).Build();
        var created = await docker.Swarm.CreateServiceAsync(new ServiceCreateParameters
        {
            Service = new ServiceSpec
            {
                Name = name,
                TaskTemplate = new TaskSpec { ContainerSpec = new ContainerSpec { Image = SwarmEnvironment.DemoImage } },
                // No replicas: the test is about the service object, not about scheduling.
                Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = 0 } },
            },
        });
        var id = created.ID ?? throw new InvalidOperationException("Docker created the service without an id.");
        var removed = false;
        try
        {
            var upsert = await client.Messages.WaitForAsync(m => FindChange(m, "service", id) is { } c
                && c.GetProperty("type").GetString() == "upsert", ChangeTimeout);
            Assert.False(upsert.GetProperty("snapshot").GetBoolean());
            var service = FindChange(upsert, "service", id)!.Value.GetProperty("resource");
            Assert.Equal(name, service.GetProperty("name").GetString());
            Assert.Equal(SwarmEnvironment.DemoImage, service.GetProperty("image").GetString());
            Assert.Equal("replicated", service.GetProperty("mode").GetString());
            Assert.Equal(0, service.GetProperty("replicasDesired").GetInt64());

            await docker.Swarm.RemoveServiceAsync(id);
            removed = true;

            var delete = await client.Messages.WaitForAsync(m => FindChange(m, "service", id) is { } c
                && c.GetProperty("type").GetString() == "delete", ChangeTimeout);
            Assert.True(delete.GetProperty("version").GetInt64() > upsert.GetProperty("version").GetInt64());
            Assert.Equal(JsonValueKind.Null, FindChange(delete, "service", id)!.Value.GetProperty("resource").ValueKind);
        }
        finally
        {
            if (!removed)
            {
                await docker.Swarm.RemoveServiceAsync(id);
            }
        }
    }

    [Fact]
    public async Task Watching_an_unknown_cluster_fails_with_a_hub_error_naming_it_and_the_known_clusters()
    {
        await using var connection = await HubWatchClient.ConnectAsync(factory, await factory.ApiTokenAsync());

        var error = await Assert.ThrowsAsync<HubException>(async () =>
        {
            await foreach (var _ in connection.StreamAsync<JsonElement>("Watch", "no-such-cluster"))
            {
            }
        });

        Assert.Contains("Unknown cluster 'no-such-cluster'", error.Message);
        Assert.Contains($"'{Cluster}'", error.Message);
        Assert.Equal(HubConnectionState.Connected, connection.State);
    }

    [Fact]
    public async Task Disconnecting_a_client_releases_its_store_subscription()
    {
        var before = Store.SubscriberCount(Cluster);
        var client = await HubWatchClient.WatchAsync(factory, Cluster);
        try
        {
            await client.Messages.WaitForAsync(m => m.GetProperty("snapshot").GetBoolean(), SyncTimeout);
            Assert.Equal(before + 1, Store.SubscriberCount(Cluster));
        }
        finally
        {
            await client.DisposeAsync();
        }

        await Eventually.HoldsAsync(() => Store.SubscriberCount(Cluster) == before, SyncTimeout);
    }

    [Fact]
    public async Task Cancelling_the_stream_releases_its_store_subscription_and_keeps_the_connection()
    {
        var before = Store.SubscriberCount(Cluster);
        await using var client = await HubWatchClient.WatchAsync(factory, Cluster);
        await client.Messages.WaitForAsync(m => m.GetProperty("snapshot").GetBoolean(), SyncTimeout);
        Assert.Equal(before + 1, Store.SubscriberCount(Cluster));

        await client.CancelStreamAsync();

        await Eventually.HoldsAsync(() => Store.SubscriberCount(Cluster) == before, SyncTimeout);
        Assert.Equal(HubConnectionState.Connected, client.Connection.State);
    }

    [Fact]
    public async Task A_client_without_credentials_is_refused_before_it_can_watch()
    {
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => HubWatchClient.ConnectAsync(factory, apiToken: null));

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task A_user_with_a_grant_on_another_cluster_only_is_refused_and_the_refusal_is_audited()
    {
        using var admin = await factory.CreateSignedInClientAsync(HubAppFactory.AdminUser, HubAppFactory.AdminPassword);
        var user = $"hub{Guid.NewGuid():N}"[..12];
        (await admin.PostAsJsonAsync("/api/users", new { username = user, password = "hub-user-password" })).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/grants", new { subject = user, role = "Admin", scope = new { cluster = "elsewhere" } })).EnsureSuccessStatusCode();
        using var client = await factory.CreateSignedInClientAsync(user, "hub-user-password");
        using var created = await client.PostAsJsonAsync("/api/tokens", new { name = "hub", expiresInDays = 1 });
        var token = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
        await using var connection = await HubWatchClient.ConnectAsync(factory, token);

        var refused = await Assert.ThrowsAsync<HubException>(async () =>
        {
            await foreach (var _ in connection.StreamAsync<JsonElement>("Watch", Cluster))
            {
            }
        });

        Assert.Contains($"no grant on cluster '{Cluster}'", refused.Message);
        var audit = await admin.GetFromJsonAsync<JsonElement>($"/api/audit?actor={user}%20(token%20hub)");
        Assert.Contains(audit.EnumerateArray(), a => a.GetProperty("result").GetString() == "denied" && a.GetProperty("target").GetString() == Cluster);
    }

    private Task WaitUntilSyncedAsync() =>
        Eventually.HoldsAsync(() => Store.GetState(Cluster)?.Cluster.Status == ClusterStatus.Synced, SyncTimeout);

    private static JsonElement? FindChange(JsonElement message, string kind, string id) =>
        message.GetProperty("changes").EnumerateArray()
            .Where(c => c.GetProperty("kind").GetString() == kind && c.GetProperty("id").GetString() == id)
            .Select(c => (JsonElement?)c)
            .LastOrDefault();
}
