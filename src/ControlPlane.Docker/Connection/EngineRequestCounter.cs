namespace ControlPlane.Docker.Connection;

/// <summary>Counts Engine API requests made by this process, so tests and benchmarks can prove what browsers cost.</summary>
public sealed class EngineRequestCounter
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public void Increment() => Interlocked.Increment(ref _count);
}
