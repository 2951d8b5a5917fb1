using ControlPlane.Core.Changes;
using System.Security.Claims;
using AngleSharp.Dom;
using Bunit;
using Bunit.TestDoubles;
using ControlPlane.Core.Audit;
using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Core.Identity;
using ControlPlane.Data;
using ControlPlane.Web.Authorization;
using ControlPlane.Web.Components.Controls;
using Microsoft.AspNetCore.Components;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace ControlPlane.Web.Tests.Components.Identity;

/// <summary>
/// A bUnit context for the account and administration pages, wired as the app wires them: a real SQLite
/// database (migrated), the real <see cref="AccessControl"/> and <see cref="IdentityCommands"/>, and a
/// signed-in admin (Admin on all clusters) that a test may swap for another user.
/// </summary>
public abstract class IdentityTestContext : BunitContext, IAsyncLifetime
{
    protected const string ClusterId = "c1";
    protected const string AdminName = "admin";
    protected const string AdminPassword = "admin-password-for-tests";

    private readonly string _databasePath = Path.Combine(Path.GetTempPath(), $"controlplane-identity-{Guid.NewGuid():N}.db");
    private readonly BunitAuthorizationContext _auth;

    protected IdentityTestContext()
    {
        DefaultWaitTimeout = TimeSpan.FromSeconds(5);
        JSInterop.Mode = JSRuntimeMode.Loose;
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ControlPlane:Database:ConnectionString"] = $"Data Source={_databasePath}",
                ["ControlPlane:Audit:KeyFile"] = _databasePath + ".audit.key",
            })
            .Build();
        Services.AddLogging();
        Services.AddControlPlaneData(configuration);
        Services.AddMudServices();
        Services.AddSingleton(Store);
        Services.AddSingleton<ChangeLocks>();
        Services.AddSingleton<ChangeGate>();
        Services.AddSingleton(new EntraGrantOptions(UserNameGrants: true));
        Services.AddSingleton<AccessControl>();
        Services.AddSingleton<IdentityCommands>();
        Services.AddSingleton<ControlPlane.Core.DockerApi.IClientCertificateIssuer>(_ =>
            ControlPlane.Web.DockerApi.UserCertificateAuthority.LoadOrCreate(_databasePath + ".user-ca.pem", Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance));
        Services.AddSingleton<ControlPlane.Core.DockerApi.ClientBundleCommands>();
        // The endpoint, not started: a bundle names the port it is configured with.
        Services.AddSingleton<Microsoft.AspNetCore.Http.IHttpContextFactory, Microsoft.AspNetCore.Http.DefaultHttpContextFactory>();
        Services.AddSingleton<ControlPlane.Web.DockerApi.DockerApiServer>();
        Services.AddSingleton<ClusterSelection>();
        _auth = AddAuthorization();
        Store.Register(ClusterInfo.Initial(ClusterId, ClusterId));
    }

    protected ClusterStateStore Store { get; } = new();

    protected AccountSummary Admin { get; private set; } = default!;

    /// <summary>Creates a local account, with a grant when one is given, straight in the database.</summary>
    protected async Task<AccountSummary> CreateUserAsync(string name, string password, Role? role = null, AccessScope? scope = null)
    {
        var user = await Services.GetRequiredService<IAccountStore>().CreateAsync(name, password);
        if (role is { } r)
        {
            await Services.GetRequiredService<IGrantStore>().AddAsync(name, r, scope ?? AccessScope.Everywhere, "test");
        }
        return user;
    }

    /// <summary>Makes <paramref name="user"/> the signed-in user, as the cookie sign-in would: name and local account id.</summary>
    protected void SignInAs(AccountSummary user) => SignInAs(user.UserName, new Claim(ClaimTypes.NameIdentifier, user.Id.ToString()));

    protected void SignInAs(string name, params Claim[] claims)
    {
        _auth.SetAuthorized(name);
        _auth.SetClaims(claims);
    }

    protected async Task<T> WithScopeAsync<T>(Func<IServiceProvider, Task<T>> action)
    {
        await using var services = Services.CreateAsyncScope();
        return await action(services.ServiceProvider);
    }

    protected Task<IReadOnlyList<AuditRecord>> AuditAsync(AuditQuery? query = null) =>
        Services.GetRequiredService<IAuditReader>().QueryAsync(query ?? new AuditQuery());

    protected Task<IReadOnlyList<Grant>> StoredGrantsAsync() =>
        Services.GetRequiredService<IGrantStore>().ListAsync();

    /// <summary>Types into a MudBlazor text field as a user would (the value lands on change).</summary>
    protected static void Type(IRenderedComponent<IComponent> cut, string testId, string value) =>
        cut.Find($"input[data-testid={testId}]").Change(value);

    /// <summary>
    /// Picks a value in a MudBlazor select or autocomplete. Opening the popover and clicking an item is
    /// MudBlazor's own behaviour, tested there; the page's reaction to the new value is what matters here.
    /// </summary>
    protected static async Task PickAsync<TValue>(IRenderedComponent<IComponent> cut, string testId, TValue value)
    {
        // The first match is the outer component: MudAutocomplete hands its attributes on to an inner input.
        var input = cut.FindComponents<MudBaseInput<TValue>>()
            .First(c => c.Instance.UserAttributes.TryGetValue("data-testid", out var id) && Equals(id, testId));
        await cut.InvokeAsync(() => input.Instance.ValueChanged.InvokeAsync(value));
    }

    /// <summary>The body row of a table whose text mentions <paramref name="text"/>, or null.</summary>
    protected static IElement? RowWith(IRenderedComponent<IComponent> cut, string testId, string text) =>
        cut.FindAll($"[data-testid={testId}] tbody tr").SingleOrDefault(r => r.TextContent.Contains(text, StringComparison.Ordinal));

    /// <summary>Clicks the button of an open dialog or message box that says <paramref name="text"/>.</summary>
    protected static void ClickDialogButton(IRenderedComponent<MudDialogProvider> dialogs, string text) =>
        dialogs.FindAll(".mud-dialog button").Single(b => b.TextContent.Trim() == text).Click();

    async Task IAsyncLifetime.InitializeAsync()
    {
        await using (var services = Services.CreateAsyncScope())
        {
            await services.ServiceProvider.GetRequiredService<ControlPlaneDbContext>().Database.MigrateAsync();
        }
        Admin = await CreateUserAsync(AdminName, AdminPassword, Role.Admin);
        SignInAs(Admin);
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        // MudBlazor registers services that only dispose asynchronously.
        await DisposeAsync();
        using (var connection = new SqliteConnection($"Data Source={_databasePath}"))
        {
            // Pooled connections keep the file open.
            SqliteConnection.ClearPool(connection);
        }
        foreach (var suffix in new[] { "", "-wal", "-shm", ".audit.key" })
        {
            File.Delete(_databasePath + suffix);
        }
    }
}
