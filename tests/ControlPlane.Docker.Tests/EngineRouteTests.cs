using ControlPlane.Docker.Connection;

namespace ControlPlane.Docker.Tests;

/// <summary>The route label of an Engine API call in <c>/metrics</c>, read from the call's own source text.</summary>
public sealed class EngineRouteTests
{
    [Theory]
    [InlineData("c => c.Swarm.InspectServiceAsync(id, ct)", "Swarm.InspectService")]
    [InlineData("c => c.System.MonitorEventsAsync(parameters, new SynchronousProgress<Message>(m => writer.TryWrite(m)), cancellationToken)", "System.MonitorEvents")]
    [InlineData("c => c.Tasks.ListAsync(new TasksListParameters(), ct)", "Tasks.List")]
    [InlineData("c => EngineFileKind.Of(kind).CreateAsync(c, name, labels, data, cancellationToken)", "Create")]
    [InlineData("call", "other")]
    public void A_calls_source_text_gives_its_client_area_and_method(string expression, string route) =>
        Assert.Equal(route, ClusterConnection.RouteOf(expression));
}
