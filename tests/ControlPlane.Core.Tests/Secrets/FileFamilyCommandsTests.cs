using ControlPlane.Core.Audit;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Secrets;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Core.Tests.Changes;
using static ControlPlane.Core.Tests.Changes.CommandFixture;

namespace ControlPlane.Core.Tests.Secrets;

/// <summary>The rules of secret and config families, against fakes of the engine port: each refusal changes nothing.</summary>
public sealed class FileFamilyCommandsTests : IAsyncLifetime
{
    private const string Data = "c2VjcmV0"; // "secret"

    private readonly CommandFixture _f = new();

    private static readonly ChangeCaller Admin = Caller(Role.SecretsAdmin);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private void Refused(ChangeResult result, ChangeFailure failure, string? message = null)
    {
        Assert.Equal(failure, result.Failure);
        if (message is not null)
        {
            Assert.Contains(message, result.Message);
        }
        Assert.Empty(_f.Files.Calls);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-db")]
    [InlineData("db password")]
    [InlineData("db/password")]
    public async Task A_name_Docker_or_ControlPlane_refuses_is_invalid(string name)
    {
        var (result, created) = await _f.Families.CreateAsync(Admin, Cluster, FileObjectKind.Secret, name, new ValueSource(Data, null));

        Refused(result, ChangeFailure.Invalid);
        Assert.Null(created);
    }

    [Theory]
    [InlineData("db")]
    [InlineData("plain")]
    [InlineData("legacy")]
    public async Task A_family_that_exists_already_by_label_name_or_first_version_name_is_a_conflict(string name)
    {
        _f.Add(Version(FileObjectKind.Secret, "db", 3), Plain(FileObjectKind.Secret, "plain"), Plain(FileObjectKind.Secret, "legacy.v1"));

        var (result, _) = await _f.Families.CreateAsync(Admin, Cluster, FileObjectKind.Secret, name, new ValueSource(Data, null));

        Refused(result, ChangeFailure.Conflict, "exists already");
    }

    [Fact]
    public async Task A_config_family_of_a_secrets_name_is_another_family()
    {
        _f.Add(Version(FileObjectKind.Secret, "app", 1));

        var (result, created) = await _f.Families.CreateAsync(Admin, Cluster, FileObjectKind.Config, "app", new ValueSource(Data, null));

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("app.v1", created);
        Assert.Equal(["create Config app.v1 (6 bytes)"], _f.Files.Calls);
    }

    [Fact]
    public async Task Create_makes_version_1_labelled_with_its_family_and_creator()
    {
        var (result, created) = await _f.Families.CreateAsync(Admin, Cluster, FileObjectKind.Secret, " db ", new ValueSource(Data, null));

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("db.v1", created);
        Assert.Equal(["create Secret db.v1 (6 bytes)"], _f.Files.Calls);
        Assert.Equal(("db", "1", "alice"), (_f.Files.LastLabels![FileObjectList.FamilyLabel], _f.Files.LastLabels[FileObjectList.VersionLabel], _f.Files.LastLabels[SecretFamily.CreatedByLabel]));
    }

    [Theory]
    [InlineData("not base64!", "base64")]
    [InlineData(null, "Give the new value")]
    [InlineData("", "empty")]
    public async Task A_value_that_is_not_base64_missing_or_empty_is_invalid(string? data, string message)
    {
        var (result, _) = await _f.Families.CreateAsync(Admin, Cluster, FileObjectKind.Secret, "db", new ValueSource(data, null));

        Refused(result, ChangeFailure.Invalid, message);
    }

    [Fact]
    public async Task A_generated_value_has_the_asked_length_and_a_bad_alphabet_is_invalid()
    {
        var (bad, _) = await _f.Families.CreateAsync(Admin, Cluster, FileObjectKind.Secret, "db", new ValueSource(null, new GenerateRequest(16, "klingon")));
        Refused(bad, ChangeFailure.Invalid);

        var (good, _) = await _f.Families.CreateAsync(Admin, Cluster, FileObjectKind.Secret, "db", new ValueSource(null, new GenerateRequest(16, "hex")));
        Assert.True(good.Succeeded, good.Message);
        Assert.Equal(["create Secret db.v1 (16 bytes)"], _f.Files.Calls);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(3651, false)]
    [InlineData(1, true)]
    [InlineData(3650, true)]
    public async Task A_schedule_at_creation_is_between_1_and_3650_days(int days, bool allowed)
    {
        var (result, _) = await _f.Families.CreateAsync(Admin, Cluster, FileObjectKind.Secret, "db", new ValueSource(null, new GenerateRequest(20, "hex")), days);

        if (allowed)
        {
            Assert.True(result.Succeeded, result.Message);
            Assert.Equal($"{days}", _f.Files.LastLabels![RotationPolicy.EveryDaysLabel]);
        }
        else
        {
            Refused(result, ChangeFailure.Invalid, "between 1 and 3650 days");
        }
    }

    [Fact]
    public async Task A_schedule_needs_a_generated_value()
    {
        var (result, _) = await _f.Families.CreateAsync(Admin, Cluster, FileObjectKind.Secret, "db", new ValueSource(Data, null), 30);

        Refused(result, ChangeFailure.Invalid, "generated value");
    }

    [Theory]
    [InlineData(Role.Viewer, null)]
    [InlineData(Role.Operator, null)]
    [InlineData(Role.SecretsAdmin, "shop")]
    public async Task Creating_needs_the_create_permission_on_the_cluster_and_a_refusal_is_audited(Role role, string? stack)
    {
        var (result, _) = await _f.Families.CreateAsync(Caller(role, stack), Cluster, FileObjectKind.Config, "db", new ValueSource(Data, null));

        Refused(result, ChangeFailure.Forbidden);
        Assert.Equal((AuditResult.Denied, "configs.create"), (Assert.Single(_f.Audit.Entries).Result, _f.Audit.Entries[0].Action));
    }

    [Fact]
    public async Task An_unknown_cluster_is_not_found()
    {
        var (result, _) = await _f.Families.CreateAsync(new ChangeCaller("root", [new Grant(1, "root", Role.Admin, AccessScope.Everywhere)], null), "nowhere", FileObjectKind.Secret, "db", new ValueSource(Data, null));

        Refused(result, ChangeFailure.NotFound, "No cluster has the id 'nowhere'.");
    }

    [Fact]
    public async Task Adopt_labels_an_unlabelled_object_and_refuses_a_family_already_managed()
    {
        _f.Add(Plain(FileObjectKind.Secret, "legacy"), Version(FileObjectKind.Secret, "db", 1));

        Refused(await _f.Families.AdoptAsync(Admin, Cluster, FileObjectKind.Secret, "db"), ChangeFailure.Conflict, "family already");

        var adopted = await _f.Families.AdoptAsync(Admin, Cluster, FileObjectKind.Secret, "legacy");
        Assert.True(adopted.Succeeded, adopted.Message);
        Assert.Equal(["labels Secret id-legacy"], _f.Files.Calls);
        Assert.Equal("legacy", _f.Files.LastLabels![FileObjectList.FamilyLabel]);
    }

    [Fact]
    public async Task A_family_in_use_cannot_be_removed_and_the_refusal_names_its_services()
    {
        _f.Add(Version(FileObjectKind.Secret, "db", 1), Version(FileObjectKind.Secret, "db", 2), Service("api", secrets: [Mount("db.v2", "db")]));

        Refused(await _f.Families.RemoveAsync(Admin, Cluster, FileObjectKind.Secret, "db", null), ChangeFailure.Conflict, "db.v2 is in use by api");
        Refused(await _f.Families.RemoveAsync(Admin, Cluster, FileObjectKind.Secret, "db", 2), ChangeFailure.Conflict, "in use by api");
        Refused(await _f.Families.RemoveAsync(Admin, Cluster, FileObjectKind.Secret, "db", 7), ChangeFailure.NotFound, "has no version 7; it has 2, 1");
        Refused(await _f.Families.RemoveAsync(Admin, Cluster, FileObjectKind.Secret, "nope", null), ChangeFailure.NotFound, "no secret family 'nope'");

        var removed = await _f.Families.RemoveAsync(Admin, Cluster, FileObjectKind.Secret, "db", 1);
        Assert.True(removed.Succeeded, removed.Message);
        Assert.Equal(["remove Secret id-db.v1"], _f.Files.Calls);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(3651, false)]
    [InlineData(1, true)]
    [InlineData(3650, true)]
    public async Task A_schedule_is_between_1_and_3650_days(int days, bool allowed)
    {
        _f.Add(Version(FileObjectKind.Secret, "db", 1));

        var result = await _f.Families.SetScheduleAsync(Admin, Cluster, "db", days, new GenerateRequest(24, "hex"));

        if (allowed)
        {
            Assert.True(result.Succeeded, result.Message);
            Assert.Equal($"{days}", _f.Files.LastLabels![RotationPolicy.EveryDaysLabel]);
        }
        else
        {
            Refused(result, ChangeFailure.Invalid, "between 1 and 3650");
        }
    }

    [Fact]
    public async Task A_schedule_needs_a_managed_family_and_null_days_removes_it()
    {
        _f.Add(Plain(FileObjectKind.Secret, "legacy"), Version(FileObjectKind.Secret, "db", 1, policy: new RotationPolicy(30, 20, "hex")));

        Refused(await _f.Families.SetScheduleAsync(Admin, Cluster, "legacy", 30, null), ChangeFailure.Conflict, "adopt it first");

        var removed = await _f.Families.SetScheduleAsync(Admin, Cluster, "db", null, null);
        Assert.True(removed.Succeeded, removed.Message);
        Assert.False(_f.Files.LastLabels!.ContainsKey(RotationPolicy.EveryDaysLabel));
        Assert.Equal("db", _f.Files.LastLabels[FileObjectList.FamilyLabel]);
    }

    [Theory]
    [InlineData(-1, false)]
    [InlineData(86_401, false)]
    [InlineData(0, true)]
    [InlineData(86_400, true)]
    public async Task A_grace_period_is_between_0_and_1_day(int graceSeconds, bool allowed)
    {
        _f.Add(Version(FileObjectKind.Secret, "db", 1));

        var start = await _f.Families.RotateAsync(Admin, Cluster, FileObjectKind.Secret, "db", new ValueSource(Data, null), graceSeconds);

        Assert.Equal(allowed, start.Started);
        if (!allowed)
        {
            Refused(start, ChangeFailure.Invalid, "graceSeconds must be between 0 and 86400");
        }
    }

    [Fact]
    public async Task A_rotation_without_a_value_uses_the_familys_schedule_or_is_refused_without_one()
    {
        _f.Add(Version(FileObjectKind.Secret, "plain", 1), Version(FileObjectKind.Secret, "db", 4, policy: new RotationPolicy(30, 20, "hex")));

        Refused((await _f.Families.RotateAsync(Admin, Cluster, FileObjectKind.Secret, "plain", ValueSource.None, null)), ChangeFailure.Invalid, "Give the new value");

        var start = await _f.Families.RotateAsync(Admin, Cluster, FileObjectKind.Secret, "db", ValueSource.None, null);
        Assert.True(start.Started, start.Message);
        await _f.Runner.WhenFinishedAsync(start.OperationId!);
        Assert.Equal(["create Secret db.v5 (20 bytes)", "remove Secret id-db.v4"], _f.Files.Calls);
        Assert.Equal("30", _f.Files.LastLabels![RotationPolicy.EveryDaysLabel]);
    }

    [Fact]
    public async Task A_SecretsAdmin_of_one_stack_cannot_rotate_a_family_another_stack_uses_too()
    {
        _f.Add(Version(FileObjectKind.Secret, "shared", 1), Version(FileObjectKind.Secret, "own", 1),
            Service("shop-web", "shop", secrets: [Mount("shared.v1", "shared"), Mount("own.v1", "own")]),
            Service("bill-web", "bill", secrets: [Mount("shared.v1", "shared")]));
        var shopAdmin = Caller(Role.SecretsAdmin, "shop");

        Refused((await _f.Families.RotateAsync(shopAdmin, Cluster, FileObjectKind.Secret, "shared", new ValueSource(Data, null), 0)), ChangeFailure.Forbidden);
        Assert.Equal(AuditResult.Denied, Assert.Single(_f.Audit.Entries).Result);

        var own = await _f.Families.RotateAsync(shopAdmin, Cluster, FileObjectKind.Secret, "own", new ValueSource(Data, null), 0);
        Assert.True(own.Started, own.Message);
    }

    [Fact]
    public async Task A_family_belongs_to_the_stack_of_its_label_and_of_the_services_using_it_else_to_the_cluster()
    {
        _f.Add(Plain(FileObjectKind.Secret, "unused"), Plain(FileObjectKind.Secret, "shop_key", "shop"), Plain(FileObjectKind.Secret, "used"),
            Plain(FileObjectKind.Secret, "bill_key", "bill"), Plain(FileObjectKind.Secret, "loose"),
            Service("shop-web", "shop", secrets: [Mount("used", "used"), Mount("bill_key", "bill_key")]), Service("tool", secrets: [Mount("loose", "loose")]));
        var state = _f.Store.GetState(Cluster)!;

        AccessTarget ScopeOf(string name) => FileFamilies.ScopeOf(Cluster, FileFamilies.Find(state, FileObjectKind.Secret, name));

        Assert.Equal(AccessTarget.InCluster(Cluster), ScopeOf("unused"));
        Assert.Equal(AccessTarget.InCluster(Cluster, "shop"), ScopeOf("shop_key"));
        Assert.Equal(AccessTarget.InCluster(Cluster, "shop"), ScopeOf("used"));
        Assert.Equal(AccessTarget.InCluster(Cluster), ScopeOf("bill_key"));
        Assert.Equal(AccessTarget.InCluster(Cluster), ScopeOf("loose"));
        Assert.Equal(AccessTarget.InCluster(Cluster), FileFamilies.ScopeOf(Cluster, null));
    }
}
