using ControlPlane.Core.Changes;
using ControlPlane.Core.Identity;
using ControlPlane.Core.Security;
using ControlPlane.Data;

namespace ControlPlane.Web.Hosting;

/// <summary>
/// What an operator with access to the machine (or the container) can do without signing in, for when signing in is
/// what fails: <c>ControlPlane.Web unlock-account &lt;user&gt;</c> ends a lockout. It reads the same configuration as the
/// app (appsettings, environment, the rest of the command line) and is audited like any change, as "console".
/// </summary>
public static class ConsoleCommands
{
    public const string Actor = "console";

    public static bool Handles(string[] args) => args is ["unlock-account", ..];

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        if (args is not ["unlock-account", var userName, .. var settings] || userName.StartsWith('-'))
        {
            await output.WriteLineAsync("Usage: ControlPlane.Web unlock-account <user name> [--ControlPlane:Database:ConnectionString=…]");
            return 2;
        }
        var builder = WebApplication.CreateBuilder(settings);
        builder.Services.AddControlPlaneData(builder.Configuration);
        builder.Services.AddSingleton<ChangeLocks>();
        builder.Services.AddSingleton<ChangeGate>();
        builder.Services.AddSingleton<IdentityCommands>();
        await using var app = builder.Build();
        // Whoever can run this on the machine can read the database and its settings: they act as an administrator.
        var console = new ChangeCaller(Actor, [new Grant(0, Actor, Role.Admin, AccessScope.Everywhere)], "local console");
        var result = await app.Services.GetRequiredService<IdentityCommands>().UnlockAccountAsync(console, userName);
        await output.WriteLineAsync(result.Message);
        return result.Succeeded ? 0 : 1;
    }
}
