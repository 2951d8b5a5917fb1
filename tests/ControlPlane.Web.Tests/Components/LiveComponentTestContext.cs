using System.Diagnostics;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using Bunit;
using ControlPlane.Core.Audit;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Metrics;
using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Secrets;
using ControlPlane.Core.State;
using ControlPlane.Web.Authorization;
using ControlPlane.Web.Changes;
using ControlPlane.Web.Components.Controls;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace ControlPlane.Web.Tests.Components;

/// <summary>
/// A bUnit context wired as the app wires live pages: MudBlazor, loose JS interop, the real in-memory
/// <see cref="ClusterStateStore"/> with one registered cluster, a <see cref="ClusterSelection"/> and the system clock.
/// Tests write changes to the store, as the watcher would, and wait for the DOM to show them.
/// </summary>
public abstract partial class LiveComponentTestContext : BunitContext, IAsyncLifetime
{
    protected const string ClusterId = "c1";

    protected LiveComponentTestContext()
    {
        // Generous, because renders run on the thread pool while other test classes run API hosts.
        DefaultWaitTimeout = TimeSpan.FromSeconds(5);
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton(Store);
        Services.AddSingleton<Core.Identity.IGrantSource>(Grants);
        Services.AddSingleton(new EntraGrantOptions(UserNameGrants: true));
        Services.AddSingleton<AccessControl>();
        Services.AddSingleton<ClusterSelection>();
        Services.AddScoped<ControlPlane.Web.Components.Controls.Clipboard>();
        Services.AddSingleton<ISwarmChanges>(SwarmChanges);
        Services.AddSingleton<IAuditLog>(Audit);
        Services.AddSingleton<ChangeLocks>();
        Services.AddSingleton<ChangeGate>();
        Services.AddSingleton<IOperationStore>(Operations);
        Services.AddSingleton<OperationRunner>();
        Services.AddSingleton(new ChangeLimits());
        Services.AddSingleton<Core.Workloads.IWorkloadChanges>(WorkloadChanges);
        Services.AddSingleton<Core.Workloads.RestartPlans>();
        Services.AddSingleton<ServiceCommands>();
        Services.AddSingleton<NodeCommands>();
        Services.AddSingleton<SwarmCommands>();
        Services.AddSingleton<Core.Stacks.IStackChanges>(StackEngine);
        Services.AddSingleton<Core.Stacks.IStackHistory>(StackHistory);
        Services.AddSingleton<Core.Stacks.StackCommands>();
        Services.AddSingleton<Core.Secrets.IFileObjectChanges>(FileObjects);
        Services.AddSingleton(Core.Secrets.FileFamilyTimings.Default);
        Services.AddSingleton<Core.Secrets.FileFamilyOperations>();
        Services.AddSingleton<FileFamilyCommands>();
        Services.AddSingleton<Core.Images.IImageChanges>(ImageChanges);
        Services.AddSingleton<Core.Images.RolloutPlans>();
        Services.AddSingleton<Core.Images.ImageDistribution>();
        Services.AddSingleton<Core.Images.RolloutHistory>();
        Services.AddSingleton<Core.Images.ImageCommands>();
        AddAuthorization().SetAuthorized("tester");
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<IMetricsHistory>(History);
        Store.Register(ClusterInfo.Initial(ClusterId, ClusterId));
    }

    protected ClusterStateStore Store { get; } = new();

    /// <summary>The tester's grants: Admin on all clusters unless a test narrows them.</summary>
    protected FakeGrantSource Grants { get; } = new();

    /// <summary>Changes pages ask for, recorded instead of made.</summary>
    protected FakeSwarmChanges SwarmChanges { get; } = new();

    /// <summary>Secret and config engine calls pages cause, recorded instead of made.</summary>
    protected FakeFileObjectChanges FileObjects { get; } = new();
    /// <summary>Image changes pages ask for, recorded and answered as a swarm that converges at once.</summary>
    protected FakeImageChanges ImageChanges { get; } = new();

    /// <summary>Service, node and join-token changes pages cause, recorded and kept in memory.</summary>
    protected FakeWorkloadChanges WorkloadChanges { get; } = new();

    /// <summary>The stack engine pages deploy to and remove from, in memory.</summary>
    protected FakeStackChanges StackEngine { get; } = new();

    /// <summary>Stack deploys, as the database would keep them.</summary>
    protected Core.Stacks.InMemoryStackHistory StackHistory { get; } = new();

    /// <summary>What the change executor audits.</summary>
    protected FakeAuditLog Audit { get; } = new();

    /// <summary>Operations pages start, kept in memory.</summary>
    protected InMemoryOperationStore Operations { get; } = new();

    /// <summary>The chart history pages read; empty unless a test fills it.</summary>
    protected FakeMetricsHistory History { get; } = new();

    protected void SetStatus(ClusterStatus status, string? error = null) =>
        Store.SetCluster(ClusterId, c => c with
        {
            Status = status,
            Error = error,
            LastSyncedAt = status == ClusterStatus.Synced ? DateTimeOffset.UtcNow : c.LastSyncedAt,
        });

    protected void Upsert(params IClusterResource[] resources) =>
        Store.Apply(ClusterId, resources.Select(ResourceChange.Upsert));

    protected void Delete(IClusterResource resource) =>
        Store.Apply(ClusterId, [ResourceChange.Delete(resource.Kind, resource.Id)]);

    /// <summary>
    /// Calls <paramref name="write"/> with 1..<paramref name="count"/>, spread evenly over <paramref name="duration"/>
    /// as a busy cluster's event stream would be, and returns how long it took. (A burst written in one go
    /// would reach even a reader that does not coalesce as one or two reads, and prove nothing.)
    /// </summary>
    protected static TimeSpan WriteSpreadOver(int count, TimeSpan duration, Action<int> write)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 1; i <= count; i++)
        {
            write(i);
            var ahead = duration * i / count - clock.Elapsed;
            if (ahead > TimeSpan.Zero)
            {
                Thread.Sleep(ahead);
            }
        }
        return clock.Elapsed;
    }

    /// <summary>An element's text as a user reads it: whitespace runs collapsed.</summary>
    protected static string TextOf(IElement element) => Whitespace().Replace(element.TextContent, " ").Trim();

    /// <summary>The body row of a table whose text mentions <paramref name="text"/>.</summary>
    protected static IElement RowWith<T>(IRenderedComponent<T> cut, string text) where T : Microsoft.AspNetCore.Components.IComponent =>
        cut.FindAll("tbody tr").Single(r => r.TextContent.Contains(text, StringComparison.Ordinal));

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    /// <summary>MudBlazor registers services that only dispose asynchronously, so xunit must dispose the context that way.</summary>
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
