using System.Security.Cryptography;
using ControlPlane.Core.Audit;
using ControlPlane.Core.Identity;
using ControlPlane.Core.Security;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Data.Identity;

/// <summary>Creates the first admin on an empty database, with an Admin grant on all clusters.</summary>
public sealed class BootstrapAdmin(Accounts accounts, Grants grants, IAuditLog audit, TimeProvider time, ILogger<BootstrapAdmin> logger)
{
    public async Task EnsureAsync(BootstrapOptions options, CancellationToken ct)
    {
        if (await accounts.AnyAsync(ct))
        {
            return;
        }
        var generated = string.IsNullOrEmpty(options.AdminPassword);
        var password = generated ? Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', 'x').Replace('/', 'y') : options.AdminPassword!;
        if (IdentityRules.ValidatePassword(password) is { } problem)
        {
            throw new InvalidOperationException($"{BootstrapOptions.SectionName}:AdminPassword is not usable: {problem}");
        }
        var user = await accounts.CreateAsync(options.AdminUser, password, ct);
        await grants.AddAsync(user.UserName, Role.Admin, AccessScope.Everywhere, "bootstrap", ct);
        await audit.AppendAsync(new AuditEntry(time.GetUtcNow(), "bootstrap", "users.create", "ControlPlane", AuditResult.Succeeded,
            Detail: $"first admin '{user.UserName}' with Admin on all clusters"), ct);
        logger.LogInformation("Created the first admin account '{User}'", user.UserName);
        if (generated)
        {
            // Printed on the console on purpose, and only here: logs are shipped and kept, a console is not.
            Console.WriteLine();
            Console.WriteLine($"  ControlPlane first start: sign in as '{user.UserName}' with the password  {password}");
            Console.WriteLine("  It is shown this once; change it under your account after signing in.");
            Console.WriteLine();
        }
    }
}
