using System.Net;
using System.Net.Sockets;
using ControlPlane.Core.Changes;
using ControlPlane.Docker.Changes;
using Docker.DotNet;

namespace ControlPlane.Docker.Connection;

/// <summary>Names the engine failures Docker.DotNet and the hand-built Engine API calls raise, in ControlPlane's words.</summary>
public sealed class DockerEngineFaults : IEngineFaults
{
    public EngineFault? Classify(Exception exception) => exception switch
    {
        DockerApiException { StatusCode: HttpStatusCode.BadRequest } api => new EngineFault(EngineFaultKind.BadRequest, EngineChanges.Reason(api)),
        DockerApiException { StatusCode: HttpStatusCode.NotFound } api => new EngineFault(EngineFaultKind.NotFound, EngineChanges.Reason(api)),
        DockerApiException { StatusCode: HttpStatusCode.Conflict } api => new EngineFault(EngineFaultKind.Conflict, EngineChanges.Reason(api)),
        ClusterUnreachableException => new EngineFault(EngineFaultKind.Unreachable, exception.Message),
        HttpRequestException { InnerException: SocketException or IOException } or SocketException =>
            new EngineFault(EngineFaultKind.Unreachable, $"The cluster's manager stopped answering: {ClusterConnection.Describe(exception)}"),
        // Docker.DotNet's per-call timeout and HttpClient's both surface as a cancellation nobody asked for (the
        // barrier tells it apart from the caller hanging up) or as a TimeoutException.
        TimeoutException or OperationCanceledException => new EngineFault(EngineFaultKind.Timeout, "The engine did not answer in time."),
        _ => null,
    };
}
