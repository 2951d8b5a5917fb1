using System.Globalization;
using System.Text.Json.Nodes;
using ControlPlane.Core.Changes;

namespace ControlPlane.Core.Stacks.Compose;

/// <summary>
/// A service's <c>volumes</c> as Engine API mounts, as the CLI's convert.Volumes makes them: named volumes become
/// <c>&lt;stack&gt;_&lt;name&gt;</c> with the stack label and the volume's driver, binds keep the host path (a restricted
/// use), tmpfs takes its size. A relative or <c>~</c> bind path is refused: the CLI resolves it on the author's machine.
/// </summary>
internal sealed class MountConverter(ComposeFile file, ComposeProblems problems)
{
    public List<JsonNode> Convert(ListNode? volumes, string path, List<InputProblem> restricted)
    {
        var mounts = new List<JsonNode>();
        for (var i = 0; i < (volumes?.Items.Count ?? 0); i++)
        {
            var item = volumes!.Items[i];
            var itemPath = $"{path}.volumes.{i.ToString(CultureInfo.InvariantCulture)}";
            VolumeSpec? spec;
            switch (item)
            {
                case ScalarNode { Kind: ScalarKind.String } text:
                    spec = VolumeSpec.ParseShort((string)text.Value!, out var error);
                    if (spec is null)
                    {
                        problems.Add(item, itemPath, $"invalid volume: {error}");
                        continue;
                    }
                    break;
                case MapNode map:
                    spec = VolumeSpec.ReadLong(map);
                    break;
                default:
                    continue;
            }
            if (Mount(spec, item, itemPath, restricted) is { } mount)
            {
                mounts.Add(mount);
            }
        }
        return mounts;
    }

    private JsonObject? Mount(VolumeSpec spec, ComposeNode at, string path, List<InputProblem> restricted)
    {
        JsonObject? Refuse(string message)
        {
            problems.Add(at, path, message);
            return null;
        }
        var mount = new JsonObject { ["Type"] = spec.Type };
        ServiceConverter.PutString(mount, "Source", spec.Source);
        ServiceConverter.PutString(mount, "Target", spec.Target);
        if (spec.ReadOnly)
        {
            mount["ReadOnly"] = true;
        }
        ServiceConverter.PutString(mount, "Consistency", spec.Consistency);
        switch (spec.Type)
        {
            case "volume" or "":
                if (spec.HasTmpfs)
                {
                    return Refuse("tmpfs options are incompatible with type volume");
                }
                if (spec.HasBind)
                {
                    return Refuse("bind options are incompatible with type volume");
                }
                if (spec.Source.Length == 0)
                {
                    return mount;
                }
                if (file.Volumes?[spec.Source] is not { } definitionNode)
                {
                    return Refuse($"undefined volume \"{spec.Source}\": define it under the top-level volumes");
                }
                var definition = definitionNode as MapNode;
                var options = new JsonObject();
                if (spec.NoCopy is true)
                {
                    options["NoCopy"] = true;
                }
                var external = ComposeFile.IsExternal(definition);
                mount["Source"] = external ? ComposeFile.ExternalName(spec.Source, definition)
                    : definition.Str("name") is { Length: > 0 } name ? name : StackNames.Scope(file.Stack, spec.Source);
                if (!external)
                {
                    var labels = definition?["labels"].ListOrDict('=', allowNull: false).ToDictionary(p => p.Key, p => p.Value ?? "") ?? [];
                    labels[StackNames.NamespaceLabel] = file.Stack;
                    options["Labels"] = ServiceConverter.ToObject(labels);
                    var driver = definition.Str("driver");
                    if (!string.IsNullOrEmpty(driver) || definition?["driver_opts"] is MapNode)
                    {
                        var driverConfig = new JsonObject();
                        ServiceConverter.PutString(driverConfig, "Name", driver);
                        var driverOptions = definition?["driver_opts"].ListOrDict('=', allowNull: false) ?? [];
                        if (driverOptions.Count > 0)
                        {
                            driverConfig["Options"] = ServiceConverter.ToObject(driverOptions.Select(p => new KeyValuePair<string, string>(p.Key, p.Value ?? "")));
                        }
                        options["DriverConfig"] = driverConfig;
                    }
                }
                mount["VolumeOptions"] = options;
                return mount;
            case "bind":
                if (spec.Source.Length == 0)
                {
                    return Refuse("invalid bind source, source cannot be empty");
                }
                if (spec.HasVolume)
                {
                    return Refuse("volume options are incompatible with type bind");
                }
                if (spec.HasTmpfs)
                {
                    return Refuse("tmpfs options are incompatible with type bind");
                }
                if (!spec.Source.StartsWith('/'))
                {
                    return Refuse($"the bind source {spec.Source} is relative to the author's machine, which the swarm cannot see; give an absolute path on the nodes");
                }
                if (spec.HasBind)
                {
                    var bind = new JsonObject();
                    ServiceConverter.PutString(bind, "Propagation", spec.Propagation);
                    mount["BindOptions"] = bind;
                }
                ServiceConverter.Restricted(restricted, at, path, $"a bind mount of the host path {spec.Source}");
                return mount;
            case "tmpfs":
                if (spec.Source.Length > 0)
                {
                    return Refuse("invalid tmpfs source, source must be empty");
                }
                if (spec.HasBind)
                {
                    return Refuse("bind options are incompatible with type tmpfs");
                }
                if (spec.HasVolume)
                {
                    return Refuse("volume options are incompatible with type tmpfs");
                }
                if (spec.HasTmpfs)
                {
                    var tmpfs = new JsonObject();
                    if (spec.TmpfsSize is { } size and not 0)
                    {
                        tmpfs["SizeBytes"] = size;
                    }
                    mount["TmpfsOptions"] = tmpfs;
                }
                return mount;
            case "npipe":
                return Refuse("npipe mounts are for Windows engines; the swarm's nodes are Linux");
            default:
                return Refuse("volume type must be volume, bind, tmpfs or npipe");
        }
    }
}
