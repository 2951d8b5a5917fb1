using ControlPlane.Core.Health;
using ControlPlane.Core.Model;
using ControlPlane.Core.Secrets;
using ControlPlane.Core.State;
using static ControlPlane.Core.Tests.State.Resources;

namespace ControlPlane.Core.Tests.Secrets;

/// <summary>The rules of secret and config families that need no swarm: targets, modes, generated values, diffs, schedules, staleness.</summary>
public class FamilyRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("db-password", null)]
    [InlineData("app/key", null)]
    [InlineData("/run/secrets/app/key", null)]
    [InlineData("../etc/passwd", "'..'")]
    [InlineData("a/../../b", "'..'")]
    [InlineData("/etc/shadow", "outside /run/secrets")]
    [InlineData("/run/secretsX/a", "outside /run/secrets")]
    [InlineData("dir/", "not a file name")]
    [InlineData("", "required")]
    public void A_secret_target_must_stay_inside_run_secrets(string target, string? problem)
    {
        var answer = FileTargets.Validate(target, FileObjectKind.Secret);
        if (problem is null)
        {
            Assert.Null(answer);
        }
        else
        {
            Assert.Contains(problem, answer);
        }
    }

    [Fact]
    public void A_config_may_land_at_an_absolute_path_but_never_climb_out_with_dots()
    {
        Assert.Null(FileTargets.Validate("/etc/nginx/nginx.conf", FileObjectKind.Config));
        Assert.NotNull(FileTargets.Validate("/etc/../root/.ssh/authorized_keys", FileObjectKind.Config));
        Assert.Equal("/etc/app.conf", FileTargets.PathOf("etc/app.conf", FileObjectKind.Config));
        Assert.Equal("/run/secrets/db", FileTargets.PathOf("db", FileObjectKind.Secret));
    }

    [Theory]
    [InlineData("0444", 0x124u)]
    [InlineData("400", 0x100u)]
    [InlineData(null, 0x124u)]
    [InlineData("0999", null)]
    [InlineData("17777", null)]
    [InlineData("rw", null)]
    public void Modes_are_read_in_octal_as_chmod_reads_them(string? text, uint? mode) =>
        Assert.Equal(mode, FileTargets.ParseMode(text));

    [Fact]
    public void Generated_values_have_the_asked_length_and_alphabet_and_differ()
    {
        var a = System.Text.Encoding.ASCII.GetString(SecretGenerator.Generate(64, "hex"));
        var b = System.Text.Encoding.ASCII.GetString(SecretGenerator.Generate(64, "hex"));

        Assert.Matches("^[0-9a-f]{64}$", a);
        Assert.NotEqual(a, b);
        Assert.Contains("between", SecretGenerator.Validate(4, "hex"));
        Assert.Contains("Unknown alphabet", SecretGenerator.Validate(32, "emoji"));
        Assert.Null(SecretGenerator.Validate(32, null));
    }

    [Fact]
    public void A_diff_keeps_common_lines_and_marks_removed_before_added()
    {
        var lines = TextDiff.Lines("a\nb\nc\n", "a\nx\nc\nd\n").Select(l => $"{l.Kind}{l.Text}");

        Assert.Equal([" a", "-b", "+x", " c", "+d"], lines);
    }

    [Fact]
    public void A_schedule_round_trips_through_labels_and_falls_due_after_its_days()
    {
        var policy = new RotationPolicy(7, 32, "base64url");

        Assert.Equal(policy, RotationPolicy.From(Labels.From(policy.ToLabels())));
        Assert.Null(RotationPolicy.From(Labels.Empty));
        Assert.False(policy.IsDue(Now.AddDays(-6), Now));
        Assert.True(policy.IsDue(Now.AddDays(-7), Now));
    }

    [Fact]
    public void Families_group_versions_newest_first_and_an_unlabelled_secret_is_an_adoptable_family_of_one()
    {
        var state = Synced(Secret("db.v1", "db", 1, Now.AddDays(-10)), Secret("db.v2", "db", 2, Now.AddDays(-1)), Secret("legacy", null, null, Now.AddDays(-3)));

        var families = FileFamilies.Of(state, FileObjectKind.Secret);

        Assert.Equal(["db", "legacy"], families.Select(f => f.Name));
        Assert.Equal([2, 1], families[0].Versions.Select(v => v.Version));
        Assert.False(families[0].Adoptable);
        Assert.True(families[1].Adoptable);
    }

    [Fact]
    public void Secrets_past_their_schedule_or_the_cluster_threshold_make_the_health_overview_warn()
    {
        var scheduled = Secret("api.v1", "api", 1, Now.AddDays(-8), new RotationPolicy(7, 32, "hex"));
        var old = Secret("tls.v3", "tls", 3, Now.AddDays(-120));
        var recent = Secret("db.v1", "db", 1, Now.AddDays(-2));
        var state = Synced(Node("m1") with { Role = "manager", ManagerReachability = "reachable" }, scheduled, old, recent);

        var health = ClusterHealth.Evaluate(state, Now, TimeSpan.FromDays(90));

        Assert.Equal(["tls", "api"], health.StaleSecrets.Select(s => s.Family));
        Assert.Equal(HealthVerdict.Warning, health.Verdict);
        Assert.Contains(health.Reasons, r => r.Contains("2 secrets are due for rotation") && r.Contains("api (due every 7 days)") && r.Contains("tls (older than 90 days)"));
        Assert.DoesNotContain(ClusterHealth.Evaluate(state, Now, TimeSpan.FromDays(365)).StaleSecrets, s => s.Family == "tls");
    }

    private static ClusterState Synced(params IClusterResource[] resources) =>
        ClusterState.Empty(Cluster()).Apply(resources.Select(ResourceChange.Upsert), Cluster() with { Status = ClusterStatus.Synced }).State;

    private static ClusterFileObject Secret(string name, string? family, int? version, DateTimeOffset created, RotationPolicy? policy = null)
    {
        var labels = new Dictionary<string, string>();
        if (family is not null)
        {
            labels[FileObjectList.FamilyLabel] = family;
            labels[FileObjectList.VersionLabel] = version!.Value.ToString();
        }
        foreach (var (key, value) in policy?.ToLabels() ?? [])
        {
            labels[key] = value;
        }
        return new ClusterFileObject(FileObjectKind.Secret, $"id-{name}", name, Labels.From(labels), created, created);
    }
}
