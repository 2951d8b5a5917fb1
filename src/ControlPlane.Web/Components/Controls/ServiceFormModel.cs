using System.Text;
using ControlPlane.Core.Images;
using ControlPlane.Core.Model;
using ControlPlane.Core.Secrets;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Core.Workloads;

namespace ControlPlane.Web.Components.Controls;

/// <summary>A published port as the form edits it.</summary>
public sealed class PortRow
{
    public long? Target { get; set; }

    public long? Published { get; set; }

    public string Protocol { get; set; } = "tcp";

    public string Mode { get; set; } = "ingress";
}

/// <summary>A volume, bind or tmpfs mount as the form edits it.</summary>
public sealed class MountRow
{
    public string Type { get; set; } = "volume";

    public string Source { get; set; } = "";

    public string Target { get; set; } = "";

    public bool ReadOnly { get; set; }
}

/// <summary>A secret or config family mounted as a file, as the form edits it.</summary>
public sealed class FileRow
{
    public string Family { get; set; } = "";

    public string Target { get; set; } = "";
}

/// <summary>
/// The create/edit service form's fields, and the <see cref="ServiceRequest"/> they make. For an edit only the fields
/// that differ from the service as it was shown are sent (the command keeps what a request leaves out), so a field the
/// form cannot show (the environment, mounts) is not wiped by an edit that does not touch it.
/// </summary>
public sealed class ServiceFormModel
{
    public string Name { get; set; } = "";

    public string Image { get; set; } = "";

    public string Mode { get; set; } = "replicated";

    public long Replicas { get; set; } = 1;

    /// <summary>The command as typed: words split at spaces, with quotes for words that hold spaces.</summary>
    public string Command { get; set; } = "";

    /// <summary>The stack the service joins (its namespace label); empty for none.</summary>
    public string Stack { get; set; } = "";

    public KeyValueRows Env { get; set; } = new();

    public List<PortRow> Ports { get; } = [];

    public List<MountRow> Mounts { get; } = [];

    public IReadOnlyCollection<string> Networks { get; set; } = [];

    public List<FileRow> Secrets { get; } = [];

    public List<FileRow> Configs { get; } = [];

    /// <summary>Placement constraints, one per line.</summary>
    public string Constraints { get; set; } = "";

    public KeyValueRows Labels { get; set; } = new();

    public double CpuLimit { get; set; }

    public long MemoryLimitMiB { get; set; }

    public double CpuReservation { get; set; }

    public long MemoryReservationMiB { get; set; }

    public long Parallelism { get; set; } = 1;

    public double DelaySeconds { get; set; }

    public string FailureAction { get; set; } = "pause";

    public double MonitorSeconds { get; set; } = 5;

    public double MaxFailureRatio { get; set; }

    public string Order { get; set; } = "stop-first";

    /// <summary>The form for a service as the cluster's picture shows it (its environment and mounts are not in the picture).</summary>
    public static ServiceFormModel Of(ClusterService service, ClusterState state)
    {
        var details = service.Details;
        var model = new ServiceFormModel
        {
            Name = service.Name,
            Image = Format.ImageWithoutDigest(service.Image),
            Mode = service.Mode,
            Replicas = service.ReplicasDesired ?? 0,
            Command = JoinCommand(details.Args),
            Stack = service.Stack ?? "",
            Networks = details.Networks.Select(n => state.Get<ClusterNetwork>(ResourceKind.Network, n)?.Name ?? n).ToList(),
            Constraints = string.Join('\n', details.Constraints),
            Labels = KeyValueRows.From(service.Labels.Where(l => l.Key != ClusterVisibility.StackLabel)),
            CpuLimit = details.LimitNanoCpus / 1e9,
            MemoryLimitMiB = details.LimitMemoryBytes >> 20,
            CpuReservation = details.ReservedNanoCpus / 1e9,
            MemoryReservationMiB = details.ReservedMemoryBytes >> 20,
            Parallelism = details.Update.Parallelism,
            DelaySeconds = details.Update.Delay.TotalSeconds,
            FailureAction = details.Update.FailureAction,
            MonitorSeconds = details.Update.Monitor.TotalSeconds,
            MaxFailureRatio = details.Update.MaxFailureRatio,
            Order = details.Update.Order,
        };
        model.Ports.AddRange(details.Ports.Select(p => new PortRow { Target = p.TargetPort, Published = p.PublishedPort == 0 ? null : p.PublishedPort, Protocol = p.Protocol, Mode = p.PublishMode }));
        model.Secrets.AddRange(details.Secrets.Select(s => new FileRow { Family = FamilyOf(state, FileObjectKind.Secret, s.Name), Target = s.Target }));
        model.Configs.AddRange(details.Configs.Select(c => new FileRow { Family = FamilyOf(state, FileObjectKind.Config, c.Name), Target = c.Target }));
        return model;
    }

    private static string FamilyOf(ClusterState state, FileObjectKind kind, string objectName) =>
        FileFamilies.Of(state, kind).FirstOrDefault(f => f.Versions.Any(v => v.Name == objectName))?.Name ?? objectName;

    /// <summary>Everything the form holds, for a create.</summary>
    public ServiceRequest ToCreateRequest()
    {
        var labels = Labels.ToDictionary();
        if (Stack.Trim().Length > 0)
        {
            labels[ClusterVisibility.StackLabel] = Stack.Trim();
        }
        return new ServiceRequest(
            Name: Name.Trim(),
            Image: Image.Trim(),
            Mode: Mode,
            Replicas: Mode == "global" ? null : Replicas,
            Command: SplitCommand(Command) is { Count: > 0 } command ? command : null,
            Env: Env.ToDictionary() is { Count: > 0 } env ? env : null,
            Ports: PortRequests() is { Count: > 0 } ports ? ports : null,
            Mounts: MountRequests() is { Count: > 0 } mounts ? mounts : null,
            Networks: Networks.Any() ? Networks.ToList() : null,
            Secrets: FileRequests(Secrets) is { Count: > 0 } secrets ? secrets : null,
            Configs: FileRequests(Configs) is { Count: > 0 } configs ? configs : null,
            Constraints: ConstraintList() is { Count: > 0 } constraints ? constraints : null,
            Labels: labels.Count > 0 ? labels : null,
            Resources: HasResources ? ResourcesRequest() : null,
            Update: UpdateSettings());
    }

    /// <summary>Only what differs from <paramref name="before"/> (the form as it was prefilled); null fields stay as the service has them.</summary>
    public ServiceRequest ToEditRequest(ServiceFormModel before)
    {
        var labels = Labels.ToDictionary();
        return new ServiceRequest(
            Image: Image.Trim() != before.Image ? Image.Trim() : null,
            Replicas: Mode != "global" && Replicas != before.Replicas ? Replicas : null,
            Command: Command.Trim() != before.Command.Trim() ? SplitCommand(Command) : null,
            Env: Env.Rows.Count > 0 && !Env.SameAs(before.Env.ToDictionary()) ? Env.ToDictionary() : null,
            Ports: Same(PortRequests(), before.PortRequests()) ? null : PortRequests(),
            Mounts: MountRequests() is { Count: > 0 } mounts ? mounts : null,
            Networks: Networks.Order(StringComparer.Ordinal).SequenceEqual(before.Networks.Order(StringComparer.Ordinal)) ? null : Networks.ToList(),
            Secrets: Same(FileRequests(Secrets), FileRequests(before.Secrets)) ? null : FileRequests(Secrets),
            Configs: Same(FileRequests(Configs), FileRequests(before.Configs)) ? null : FileRequests(Configs),
            Constraints: ConstraintList().SequenceEqual(before.ConstraintList()) ? null : ConstraintList(),
            Labels: before.Labels.SameAs(labels) ? null : labels,
            Resources: ResourcesRequest() == before.ResourcesRequest() ? null : ResourcesRequest(),
            Update: UpdateSettings() == before.UpdateSettings() ? null : UpdateSettings());
    }

    /// <summary>Whether an edit request changes nothing (the form was not touched).</summary>
    public static bool IsEmpty(ServiceRequest request) => request == new ServiceRequest();

    private bool HasResources => CpuLimit > 0 || MemoryLimitMiB > 0 || CpuReservation > 0 || MemoryReservationMiB > 0;

    private ResourcesRequest ResourcesRequest() => new(CpuLimit, MemoryLimitMiB << 20, CpuReservation, MemoryReservationMiB << 20);

    private UpdateSettings UpdateSettings() => new(Parallelism, DelaySeconds, FailureAction, MonitorSeconds, MaxFailureRatio, Order);

    private List<PortRequest> PortRequests() =>
        Ports.Where(p => p.Target is not null).Select(p => new PortRequest(p.Target, p.Published, p.Protocol, p.Mode)).ToList();

    private List<VolumeMountRequest> MountRequests() =>
        Mounts.Where(m => m.Target.Trim().Length > 0).Select(m => new VolumeMountRequest(m.Type, m.Source.Trim().Length == 0 ? null : m.Source.Trim(), m.Target.Trim(), m.ReadOnly)).ToList();

    private static List<FileMountRequest> FileRequests(IEnumerable<FileRow> rows) =>
        rows.Where(r => r.Family.Trim().Length > 0).Select(r => new FileMountRequest(r.Family.Trim(), r.Target.Trim().Length == 0 ? null : r.Target.Trim())).ToList();

    private List<string> ConstraintList() =>
        Constraints.Split('\n').Select(c => c.Trim()).Where(c => c.Length > 0).ToList();

    private static bool Same<T>(List<T> a, List<T> b) => a.SequenceEqual(b);

    /// <summary>Splits a command line into words as a shell would for plain words and quoted ones (no variables, no escapes but \" and \\).</summary>
    public static List<string> SplitCommand(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char? quote = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is { } q)
            {
                if (c == q)
                {
                    quote = null;
                }
                else if (c == '\\' && q == '"' && i + 1 < text.Length && text[i + 1] is '"' or '\\')
                {
                    word.Append(text[++i]);
                }
                else
                {
                    word.Append(c);
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (inWord)
        {
            words.Add(word.ToString());
        }
        return words;
    }

    /// <summary>The words of a command as <see cref="SplitCommand"/> reads them back.</summary>
    public static string JoinCommand(IEnumerable<string> words) =>
        string.Join(' ', words.Select(w => w.Length > 0 && !w.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'') ? w : $"\"{w.Replace("\\", "\\\\").Replace("\"", "\\\"")}\""));
}
