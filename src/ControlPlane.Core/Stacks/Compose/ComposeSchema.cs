using System.Text.RegularExpressions;

namespace ControlPlane.Core.Stacks.Compose;

/// <summary>
/// The keys and types a Compose file may have: the docker CLI 20.10's schema for file format 3.9 (its
/// <c>config_schema_v3.9.json</c>), written out as <see cref="SchemaRule"/>s. The CLI accepts versions 3.0 to 3.9;
/// ControlPlane checks all of them against 3.9, the superset.
/// </summary>
internal static partial class ComposeSchema
{
    public static readonly string[] Versions = ["3", "3.0", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8", "3.9"];

    private static readonly ScalarRule Str = new([ScalarKind.String]);
    private static readonly ScalarRule Int = new([ScalarKind.Int]);
    private static readonly ScalarRule Num = new([ScalarKind.Int, ScalarKind.Float]);
    private static readonly ScalarRule Bool = new([ScalarKind.Bool]);
    private static readonly ScalarRule Duration = new([ScalarKind.String], Duration: true);
    private static readonly ScalarRule IntOrStr = new([ScalarKind.Int, ScalarKind.String]);
    private static readonly ScalarRule NumOrStr = new([ScalarKind.Int, ScalarKind.Float, ScalarKind.String]);
    private static readonly ListRule ListOfStrings = new(Str, Unique: true);
    private static readonly OneOfRule StringOrList = new(Str, ListOfStrings);
    private static readonly OneOfRule ListOrDict = new(
        new MapRule(Empty, Pattern: (AnyKey(), new ScalarRule([ScalarKind.String, ScalarKind.Int, ScalarKind.Float, ScalarKind.Null]), "key")),
        new ListRule(Str, Unique: true));
    private static readonly MapRule DriverOpts = new(Empty, Pattern: (AnyKey(), NumOrStr, "option"), OtherKeys: true);
    private static readonly MapRule External = new(P(("name", Str)));

    private static readonly MapRule FileReference = new(
        P(("source", Str), ("target", Str), ("uid", Str), ("gid", Str), ("mode", Num)), OtherKeys: true);

    private static readonly MapRule UpdateConfig = new(P(
        ("parallelism", Int), ("delay", Duration), ("failure_action", Str), ("monitor", Duration),
        ("max_failure_ratio", Num), ("order", new ScalarRule([ScalarKind.String], Enum: ["start-first", "stop-first"]))));

    private static readonly MapRule Deployment = new(P(
        ("mode", Str),
        ("endpoint_mode", Str),
        ("replicas", Int),
        ("labels", ListOrDict),
        ("rollback_config", UpdateConfig),
        ("update_config", UpdateConfig),
        ("resources", new MapRule(P(
            ("limits", new MapRule(P(("cpus", Str), ("memory", Str), ("pids", Int)))),
            ("reservations", new MapRule(P(
                ("cpus", Str), ("memory", Str),
                ("generic_resources", new ListRule(new MapRule(P(
                    ("discrete_resource_spec", new MapRule(P(("kind", Str), ("value", Num)))))))))))))),
        ("restart_policy", new MapRule(P(("condition", Str), ("delay", Duration), ("max_attempts", Int), ("window", Duration)))),
        ("placement", new MapRule(P(
            ("constraints", new ListRule(Str)),
            ("preferences", new ListRule(new MapRule(P(("spread", Str))))),
            ("max_replicas_per_node", Int))))), Nullable: true);

    private static readonly MapRule Healthcheck = new(P(
        ("disable", Bool), ("interval", Duration), ("retries", Num),
        ("test", new OneOfRule(Str, new ListRule(Str))),
        ("timeout", Duration), ("start_period", Duration)));

    private static readonly MapRule Service = new(P(
        ("deploy", Deployment),
        ("build", new OneOfRule(Str, new MapRule(P(
            ("context", Str), ("dockerfile", Str), ("args", ListOrDict), ("labels", ListOrDict), ("cache_from", ListOfStrings),
            ("network", Str), ("target", Str), ("shm_size", IntOrStr), ("extra_hosts", ListOrDict))))),
        ("cap_add", ListOfStrings),
        ("cap_drop", ListOfStrings),
        ("cgroupns_mode", Str),
        ("cgroup_parent", Str),
        ("command", new OneOfRule(Str, new ListRule(Str))),
        ("configs", new ListRule(new OneOfRule(Str, FileReference))),
        ("container_name", Str),
        ("credential_spec", new MapRule(P(("config", Str), ("file", Str), ("registry", Str)))),
        ("depends_on", ListOfStrings),
        ("devices", ListOfStrings),
        ("dns", StringOrList),
        ("dns_search", StringOrList),
        ("domainname", Str),
        ("entrypoint", new OneOfRule(Str, new ListRule(Str))),
        ("env_file", StringOrList),
        ("environment", ListOrDict),
        ("expose", new ListRule(NumOrStr, Unique: true)),
        ("external_links", ListOfStrings),
        ("extra_hosts", ListOrDict),
        ("healthcheck", Healthcheck),
        ("hostname", Str),
        ("image", Str),
        ("init", Bool),
        ("ipc", Str),
        ("isolation", Str),
        ("labels", ListOrDict),
        ("links", ListOfStrings),
        ("logging", new MapRule(P(
            ("driver", Str),
            ("options", new MapRule(Empty, Pattern: (AnyKey(), new ScalarRule([ScalarKind.String, ScalarKind.Int, ScalarKind.Float, ScalarKind.Null]), "option"), OtherKeys: true))))),
        ("mac_address", Str),
        ("network_mode", Str),
        ("networks", new OneOfRule(
            ListOfStrings,
            new MapRule(Empty, Pattern: (NameKey(), new OneOfRule(
                new MapRule(P(("aliases", ListOfStrings), ("ipv4_address", Str), ("ipv6_address", Str))),
                new ScalarRule([ScalarKind.Null])), "network name")))),
        ("pid", new ScalarRule([ScalarKind.String, ScalarKind.Null])),
        ("ports", new ListRule(new OneOfRule(
            Num,
            Str,
            new MapRule(P(("mode", Str), ("target", Int), ("published", Int), ("protocol", Str)))), Unique: true)),
        ("privileged", Bool),
        ("read_only", Bool),
        ("restart", Str),
        ("security_opt", ListOfStrings),
        ("shm_size", NumOrStr),
        ("secrets", new ListRule(new OneOfRule(Str, FileReference))),
        ("sysctls", ListOrDict),
        ("stdin_open", Bool),
        ("stop_grace_period", Duration),
        ("stop_signal", Str),
        ("tmpfs", StringOrList),
        ("tty", Bool),
        ("ulimits", new MapRule(Empty, Pattern: (UlimitKey(), new OneOfRule(
            Int,
            new MapRule(P(("hard", Int), ("soft", Int)), Required: ["soft", "hard"])), "ulimit name"), OtherKeys: true)),
        ("user", Str),
        ("userns_mode", Str),
        ("volumes", new ListRule(new OneOfRule(
            Str,
            new MapRule(P(
                ("type", Str), ("source", Str), ("target", Str), ("read_only", Bool), ("consistency", Str),
                ("bind", new MapRule(P(("propagation", Str)), OtherKeys: true)),
                ("volume", new MapRule(P(("nocopy", Bool)), OtherKeys: true)),
                ("tmpfs", new MapRule(P(("size", new ScalarRule([ScalarKind.Int], Minimum: 0))), OtherKeys: true))), Required: ["type"])), Unique: true)),
        ("working_dir", Str)), Extensions: true);

    private static readonly MapRule Network = new(P(
        ("name", Str),
        ("driver", Str),
        ("driver_opts", DriverOpts),
        ("ipam", new MapRule(P(("driver", Str), ("config", new ListRule(new MapRule(P(("subnet", Str)))))))),
        ("external", new OneOfRule(Bool, External)),
        ("internal", Bool),
        ("attachable", Bool),
        ("labels", ListOrDict)), Extensions: true, Nullable: true);

    private static readonly MapRule Volume = new(P(
        ("name", Str),
        ("driver", Str),
        ("driver_opts", DriverOpts),
        ("external", new OneOfRule(Bool, External)),
        ("labels", ListOrDict)), Extensions: true, Nullable: true);

    private static readonly MapRule Secret = new(P(
        ("name", Str),
        ("file", Str),
        ("external", new OneOfRule(Bool, External with { OtherKeys = true })),
        ("labels", ListOrDict),
        ("driver", Str),
        ("driver_opts", DriverOpts),
        ("template_driver", Str)), Extensions: true);

    private static readonly MapRule Config = new(P(
        ("name", Str),
        ("file", Str),
        ("external", new OneOfRule(Bool, External with { OtherKeys = true })),
        ("labels", ListOrDict),
        ("template_driver", Str)), Extensions: true);

    /// <summary>The whole file.</summary>
    public static readonly MapRule File = new(P(
        ("version", Str),
        ("services", new MapRule(Empty, Pattern: (NameKey(), Service, "service name"))),
        ("networks", new MapRule(Empty, Pattern: (NameKey(), Network, "network name"), OtherKeys: true)),
        ("volumes", new MapRule(Empty, Pattern: (NameKey(), Volume, "volume name"))),
        ("secrets", new MapRule(Empty, Pattern: (NameKey(), Secret, "secret name"))),
        ("configs", new MapRule(Empty, Pattern: (NameKey(), Config, "config name")))), Extensions: true, Required: ["version"]);

    private static IReadOnlyDictionary<string, SchemaRule> Empty => new Dictionary<string, SchemaRule>();

    private static Dictionary<string, SchemaRule> P(params (string Key, SchemaRule Rule)[] properties) =>
        properties.ToDictionary(p => p.Key, p => p.Rule, StringComparer.Ordinal);

    [GeneratedRegex("^[a-zA-Z0-9._-]+$")]
    private static partial Regex NameKey();

    [GeneratedRegex("^[a-z]+$")]
    private static partial Regex UlimitKey();

    [GeneratedRegex("^.+$")]
    private static partial Regex AnyKey();
}
