using System.Text.RegularExpressions;

namespace ControlPlane.Core.Stacks.Compose;

/// <summary>
/// Names the stack gives to what it makes (<c>&lt;stack&gt;_&lt;name&gt;</c>, as the CLI's Namespace.Scope), and the
/// rule swarmkit applies to service and network names: a DNS label of letters, digits, '-' and '_', at most 63 long.
/// </summary>
internal static partial class StackNames
{
    public const string NamespaceLabel = "com.docker.stack.namespace";
    public const string ImageLabel = "com.docker.stack.image";
    public const int MaxNameLength = 63;

    public static string Scope(string stack, string name) => $"{stack}_{name}";

    /// <summary>Why swarmkit would refuse this service or network name, or null.</summary>
    public static string? Refusal(string name)
    {
        if (!DnsLabel().IsMatch(name))
        {
            return $"\"{name}\" is not a name the swarm accepts: letters, digits, '-' and '_', starting and ending with a letter or digit";
        }
        return name.Length > MaxNameLength ? $"\"{name}\" is {name.Length} characters long; the swarm takes at most {MaxNameLength}" : null;
    }

    [GeneratedRegex("^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$")]
    private static partial Regex DnsLabel();
}
