namespace ControlPlane.Core.Images;

/// <summary>What a pull job's task says about the pull: null while it runs.</summary>
public sealed record PullResult(bool Pulled, string Message)
{
    public static PullResult? Of(PullTaskStatus task) => task.State switch
    {
        "complete" => new PullResult(true, "pulled"),
        "failed" or "rejected" when task.Error is { } error && IsMissingImage(error) => new PullResult(false, $"the registry has no such image: {error}"),
        // The container was created, so the image is on the node; only the "true" the job runs failed.
        "failed" => new PullResult(true, $"pulled (the check command did not run cleanly: {task.Error ?? $"exit code {task.ExitCode}"})"),
        "rejected" or "orphaned" or "remove" or "shutdown" => new PullResult(false, task.Error ?? $"task {task.State}"),
        _ => null,
    };

    private static bool IsMissingImage(string error) =>
        error.Contains("No such image", StringComparison.OrdinalIgnoreCase)
        || error.Contains("not found", StringComparison.OrdinalIgnoreCase)
        || error.Contains("manifest unknown", StringComparison.OrdinalIgnoreCase)
        || error.Contains("pull access denied", StringComparison.OrdinalIgnoreCase);
}
