using ControlPlane.Core.Channels;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Web.Components.Controls;
using Microsoft.AspNetCore.Components;

namespace ControlPlane.Web.Components;

/// <summary>
/// Base of every component that shows live cluster state: subscribes to the selected cluster, renders
/// the newest state at most ten times a second however fast changes arrive, and follows the switcher.
/// </summary>
public abstract class LiveClusterComponent : CallerComponent, IAsyncDisposable
{
    /// <summary>At most ten renders a second per component (DESIGN §3).</summary>
    public static readonly TimeSpan MinRenderInterval = TimeSpan.FromMilliseconds(100);

    private CancellationTokenSource? _subscription;
    private Task? _readLoop;

    [Inject] protected ClusterStateStore Store { get; set; } = default!;

    [Inject] protected ClusterSelection Selection { get; set; } = default!;

    [Inject] protected TimeProvider Time { get; set; } = default!;

    /// <summary>The newest state of the selected cluster; null when no cluster is configured.</summary>
    protected ClusterState? State { get; private set; }

    /// <summary>What of the selected cluster the user may see; pages hide what they may not do with <see cref="ClusterSelection.Allows"/>.</summary>
    protected ClusterVisibility? Visibility { get; private set; }

    protected override async Task OnInitializedAsync()
    {
        await Selection.InitializeAsync(await UserAsync());
        Selection.Changed += OnSelectionChanged;
        Subscribe();
    }

    private void OnSelectionChanged() => _ = InvokeAsync(async () =>
    {
        await StopAsync();
        Subscribe();
        await OnClusterChangedAsync();
        StateHasChanged();
    });

    /// <summary>Runs after the switcher picked another cluster and the page follows it (a page holding its own streams restarts them here).</summary>
    protected virtual Task OnClusterChangedAsync() => Task.CompletedTask;

    private void Subscribe()
    {
        if (Selection.ClusterId is not { } clusterId)
        {
            State = null;
            return;
        }
        var subscription = Store.Subscribe(clusterId);
        var visibility = Selection.Visibility(clusterId);
        Visibility = visibility;
        State = visibility.Apply(subscription.Snapshot);
        _subscription = new CancellationTokenSource();
        _readLoop = ReadAsync(subscription, visibility, _subscription.Token);
    }

    private async Task ReadAsync(ClusterSubscription subscription, ClusterVisibility visibility, CancellationToken cancellationToken)
    {
        using (subscription)
        {
            try
            {
                await foreach (var batches in subscription.Batches.GetBatchesAsync(MinRenderInterval, Time, cancellationToken))
                {
                    State = visibility.Apply(batches[^1].State);
                    await InvokeAsync(StateHasChanged);
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (ObjectDisposedException)
            {
                // The circuit went away between a batch and its render; nothing is left to update.
            }
        }
    }

    private async Task StopAsync()
    {
        if (_subscription is null)
        {
            return;
        }
        await _subscription.CancelAsync();
        if (_readLoop is not null)
        {
            await _readLoop;
        }
        _subscription.Dispose();
        _subscription = null;
    }

    public virtual async ValueTask DisposeAsync()
    {
        Selection.Changed -= OnSelectionChanged;
        await StopAsync();
        GC.SuppressFinalize(this);
    }
}
