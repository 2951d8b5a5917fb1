namespace ControlPlane.Core.Security;

/// <summary>
/// Every action ControlPlane can take, named once. Policies, checks and the UI all use these names;
/// a role grants a fixed set of them (see <see cref="Roles"/>).
/// </summary>
public static class Permissions
{
    /// <summary>Reading cluster state: nodes, services, tasks, containers, images, networks, secret and config metadata, events.</summary>
    public static class Clusters
    {
        public const string Read = "clusters.read";
        public const string Manage = "clusters.manage";
    }

    public static class Services
    {
        /// <summary>Scale, restart, roll out, roll back.</summary>
        public const string Update = "services.update";
        public const string ReadLogs = "services.logs";

        /// <summary>Create a service (alone, or in a stack the caller may deploy).</summary>
        public const string Create = "services.create";
        public const string Remove = "services.remove";

        /// <summary>
        /// The restricted rule (DESIGN §9): host bind mounts, the host network, cap_add, devices and sysctls. Held by
        /// Admins only and asked for on the cluster, so an Admin of a stack does not hold it.
        /// </summary>
        public const string Unrestricted = "services.unrestricted";

        /// <summary>
        /// Run a command in, or attach to, a service's container (<c>docker exec</c>, <c>docker attach</c>). A shell in a
        /// container reads the secrets mounted into it, which no other role reads (DESIGN §5): Admins only, of the stack or more.
        /// </summary>
        public const string Exec = "services.exec";
    }

    public static class Stacks
    {
        /// <summary>Deploy a Compose file as a stack, or redeploy it (create, update and prune its objects).</summary>
        public const string Deploy = "stacks.deploy";
        public const string Remove = "stacks.remove";
    }

    public static class Images
    {
        public const string Distribute = "images.distribute";
    }

    public static class Nodes
    {
        /// <summary>Drain, pause, activate, label, promote, demote.</summary>
        public const string Update = "nodes.update";
        public const string Remove = "nodes.remove";
    }

    public static class Swarm
    {
        /// <summary>View and rotate the join tokens: whoever holds one can add a node to the swarm.</summary>
        public const string JoinTokens = "swarm.jointokens";

        /// <summary>
        /// Engine API calls on the swarm itself, plugins and the system, node updates, and any Engine API route not
        /// classified (DESIGN §10): asked for on the cluster, so only an Admin of the cluster has it.
        /// </summary>
        public const string Engine = "swarm.engine";
    }

    public static class Secrets
    {
        public const string Create = "secrets.create";
        public const string Inject = "secrets.inject";
        public const string Rotate = "secrets.rotate";
        public const string Remove = "secrets.remove";
    }

    public static class Configs
    {
        public const string Create = "configs.create";
        public const string Inject = "configs.inject";
        public const string Rotate = "configs.rotate";
        public const string Remove = "configs.remove";
    }

    public static class Users
    {
        public const string Manage = "users.manage";
    }

    public static class Grants
    {
        public const string Manage = "grants.manage";
    }

    public static class Audit
    {
        public const string Read = "audit.read";
    }

    /// <summary>Every permission, for the matrix tests and the admin role.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        Clusters.Read, Clusters.Manage,
        Services.Update, Services.ReadLogs, Services.Create, Services.Remove, Services.Unrestricted, Services.Exec,
        Stacks.Deploy, Stacks.Remove,
        Images.Distribute,
        Nodes.Update, Nodes.Remove,
        Swarm.JoinTokens, Swarm.Engine,
        Secrets.Create, Secrets.Inject, Secrets.Rotate, Secrets.Remove,
        Configs.Create, Configs.Inject, Configs.Rotate, Configs.Remove,
        Users.Manage, Grants.Manage, Audit.Read,
    ];

    /// <summary>Permissions that make sense only for all clusters at once (never limited to a cluster or stack).</summary>
    public static readonly IReadOnlySet<string> Global = new HashSet<string> { Users.Manage, Grants.Manage, Audit.Read, Clusters.Manage };
}
