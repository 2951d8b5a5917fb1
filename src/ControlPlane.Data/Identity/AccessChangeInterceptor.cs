using System.Runtime.CompilerServices;
using ControlPlane.Core.Identity;
using ControlPlane.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ControlPlane.Data.Identity;

/// <summary>
/// Tells <see cref="AccessChanges"/> whenever a save adds, changes or removes a grant, an account, an API token or a
/// client bundle: one place for every path that changes access, present and future, instead of a call in each store.
/// </summary>
public sealed class AccessChangeInterceptor(AccessChanges changes) : SaveChangesInterceptor
{
    private static readonly ConditionalWeakTable<DbContext, object> Touching = [];

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Saving(eventData.Context);
        return base.SavingChangesAsync(eventData, result, cancellationToken);
    }

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Saving(eventData.Context);
        return base.SavingChanges(eventData, result);
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Saved(eventData.Context);
        return base.SavedChangesAsync(eventData, result, cancellationToken);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        Saved(eventData.Context);
        return base.SavedChanges(eventData, result);
    }

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Saved(eventData.Context);
        return base.SaveChangesFailedAsync(eventData, cancellationToken);
    }

    private void Saving(DbContext? context)
    {
        if (context is not null && context.ChangeTracker.Entries().Any(e => e.State is EntityState.Added or EntityState.Modified or EntityState.Deleted
            && e.Entity is GrantRecord or UserAccount or ApiToken or ClientBundleRow))
        {
            // Before the save as well as after it: a caller read while the save is under way is not trusted either.
            changes.Changed();
            Touching.AddOrUpdate(context, this);
        }
    }

    private void Saved(DbContext? context)
    {
        if (context is not null && Touching.Remove(context))
        {
            changes.Changed();
        }
    }
}
