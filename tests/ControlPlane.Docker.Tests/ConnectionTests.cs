using ControlPlane.Core.Model;
using ControlPlane.Docker.Configuration;

namespace ControlPlane.Docker.Tests;

public class ConnectionTests
{
    [Fact]
    public async Task A_wrong_endpoint_marks_the_cluster_unreachable_with_an_error_naming_the_endpoint_and_the_setting()
    {
        await using var cluster = WatchedCluster.Start(null, "unix:///tmp/controlplane-nonexistent.sock");

        var state = await cluster.WaitForAsync(s => s.Cluster.Status == ClusterStatus.Unreachable, "the cluster to be unreachable");

        Assert.Contains("unix:///tmp/controlplane-nonexistent.sock", state.Cluster.Error);
        Assert.Contains("ControlPlane:Clusters:0:Endpoints:0", state.Cluster.Error);
        Assert.Empty(state.Nodes);
    }

    [Fact]
    public async Task When_the_first_manager_endpoint_fails_the_next_one_is_used()
    {
        await using var cluster = WatchedCluster.Start(null, "unix:///tmp/controlplane-nonexistent.sock", LocalSwarm.ManagerEndpoint);

        var state = await cluster.WaitForSyncAsync();

        Assert.Equal(new Uri(LocalSwarm.ManagerEndpoint).ToString(), state.Cluster.Endpoint);
        Assert.Equal(LocalSwarm.NodeEndpoints.Count, state.Nodes.Count());
        Assert.StartsWith("1.", state.Cluster.ApiVersion);
    }

    [Fact]
    public async Task A_worker_engine_is_refused_as_a_manager_endpoint()
    {
        await using var cluster = WatchedCluster.Start(null, LocalSwarm.NodeEndpoints[1]);

        var state = await cluster.WaitForAsync(s => s.Cluster.Status == ClusterStatus.Unreachable, "the worker to be refused");

        Assert.Contains("worker, not a manager", state.Cluster.Error);
    }

    [Fact]
    public async Task Readers_of_the_store_make_no_engine_requests()
    {
        await using var cluster = WatchedCluster.Start();
        await cluster.WaitForSyncAsync();
        // With the watcher stopped nothing else makes requests, so any request would be the readers' own.
        await cluster.StopWatchingAsync();
        var before = cluster.Requests.Count;

        var subscriptions = Enumerable.Range(0, 20).Select(_ => cluster.Store.Subscribe(cluster.Id)).ToList();
        foreach (var subscription in subscriptions)
        {
            Assert.Equal(LocalSwarm.NodeEndpoints.Count, subscription.Snapshot.Nodes.Count());
        }
        subscriptions.ForEach(s => s.Dispose());

        Assert.Equal(before, cluster.Requests.Count);
    }
}

public class ClusterEndpointResolverTests
{
    [Fact]
    public void With_no_cluster_configured_DOCKER_HOST_is_used_else_the_local_socket()
    {
        var fromEnv = ClusterEndpointResolver.Resolve(new ClustersOptions(), "tcp://10.1.2.3:2375", out var errors).Single();
        Assert.Empty(errors);
        Assert.Equal(("local", "DOCKER_HOST"), (fromEnv.Id, fromEnv.Endpoints.Single().Setting));

        var local = ClusterEndpointResolver.Resolve(new ClustersOptions(), null, out errors).Single();
        Assert.Empty(errors);
        Assert.Equal(ClusterEndpointResolver.LocalSocket, local.Endpoints.Single().Uri.ToString());
    }

    [Theory]
    [InlineData("ftp://manager:21", "ControlPlane:Clusters:0:Endpoints:1", "scheme 'ftp'")]
    [InlineData("tcp://manager", "ControlPlane:Clusters:0:Endpoints:1", "has no port")]
    [InlineData("not a uri", "ControlPlane:Clusters:0:Endpoints:1", "is not an endpoint")]
    [InlineData("unix://", "ControlPlane:Clusters:0:Endpoints:1", "")]
    public void A_bad_endpoint_is_reported_with_its_setting(string endpoint, string setting, string reason)
    {
        var options = new ClustersOptions { Clusters = [new ClusterOptions { Name = "prod", Endpoints = ["unix:///var/run/docker.sock", endpoint] }] };

        ClusterEndpointResolver.Resolve(options, null, out var errors);

        var error = Assert.Single(errors);
        Assert.StartsWith(setting, error);
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Tls_files_that_do_not_exist_are_named()
    {
        var options = new ClustersOptions
        {
            Clusters = [new ClusterOptions { Name = "prod", Endpoints = ["tcp://manager:2376"], Tls = new TlsOptions { CaFile = "/nope/ca.pem", CertFile = "/nope/cert.pem" } }],
        };

        ClusterEndpointResolver.Resolve(options, null, out var errors);

        Assert.Contains(errors, e => e.StartsWith("ControlPlane:Clusters:0:Tls:CaFile") && e.Contains("/nope/ca.pem"));
        Assert.Contains(errors, e => e.StartsWith("ControlPlane:Clusters:0:Tls:KeyFile") && e.Contains("missing"));
    }

    [Fact]
    public void Clusters_need_endpoints_and_distinct_names()
    {
        var options = new ClustersOptions
        {
            Clusters =
            [
                new ClusterOptions { Name = "Prod EU", Endpoints = ["unix:///a.sock"] },
                new ClusterOptions { Name = "prod-eu", Endpoints = ["unix:///b.sock"] },
                new ClusterOptions { Name = "staging" },
            ],
        };

        var clusters = ClusterEndpointResolver.Resolve(options, null, out var errors);

        Assert.Equal("prod-eu", clusters.Single().Id);
        Assert.Contains(errors, e => e.StartsWith("ControlPlane:Clusters:1:Name"));
        Assert.Contains(errors, e => e.StartsWith("ControlPlane:Clusters:2:Endpoints"));
    }
}
