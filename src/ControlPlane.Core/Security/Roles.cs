namespace ControlPlane.Core.Security;

/// <summary>The four roles (DESIGN §5); each includes what the one before it may do only where listed.</summary>
public enum Role
{
    /// <summary>Reads everything but secret values, which nobody reads.</summary>
    Viewer,

    /// <summary>Scales, restarts, rolls out, distributes images, reads logs; deploys stacks and creates and removes services (restricted rule aside).</summary>
    Operator,

    /// <summary>Creates, injects, rotates and removes secrets and configs.</summary>
    SecretsAdmin,

    /// <summary>All, plus nodes, users, grants and clusters.</summary>
    Admin,
}

/// <summary>Which permissions each role holds.</summary>
public static class Roles
{
    private static readonly IReadOnlyDictionary<Role, IReadOnlySet<string>> Granted = new Dictionary<Role, IReadOnlySet<string>>
    {
        [Role.Viewer] = new HashSet<string> { Permissions.Clusters.Read },
        [Role.Operator] = new HashSet<string>
        {
            Permissions.Clusters.Read, Permissions.Services.Update, Permissions.Services.ReadLogs, Permissions.Images.Distribute,
            Permissions.Services.Create, Permissions.Services.Remove, Permissions.Stacks.Deploy, Permissions.Stacks.Remove,
        },
        [Role.SecretsAdmin] = new HashSet<string>
        {
            Permissions.Clusters.Read,
            Permissions.Secrets.Create, Permissions.Secrets.Inject, Permissions.Secrets.Rotate, Permissions.Secrets.Remove,
            Permissions.Configs.Create, Permissions.Configs.Inject, Permissions.Configs.Rotate, Permissions.Configs.Remove,
        },
        [Role.Admin] = new HashSet<string>(Permissions.All),
    };

    public static bool Has(Role role, string permission) => Granted[role].Contains(permission);

    /// <summary>The prefix an Entra app role may carry (<c>ControlPlane.Admin</c>).</summary>
    public const string AppRolePrefix = "ControlPlane.";

    /// <summary>
    /// Reads a role from input (an Entra app role, a console argument): one of the four names, any case, with an
    /// optional <c>ControlPlane.</c> prefix. Unlike <see cref="Enum.TryParse{TEnum}(string?, bool, out TEnum)"/> it
    /// takes no numbers ("3" is not Admin) and no comma lists, and it never throws.
    /// </summary>
    public static bool TryParse(string? text, out Role role)
    {
        var name = text?.Trim() ?? "";
        if (name.StartsWith(AppRolePrefix, StringComparison.OrdinalIgnoreCase))
        {
            name = name[AppRolePrefix.Length..];
        }
        foreach (var candidate in Enum.GetValues<Role>())
        {
            if (string.Equals(name, candidate.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                role = candidate;
                return true;
            }
        }
        role = default;
        return false;
    }
}
