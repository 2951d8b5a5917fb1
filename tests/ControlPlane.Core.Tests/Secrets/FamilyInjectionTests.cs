using ControlPlane.Core.Audit;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Secrets;
using ControlPlane.Core.Security;
using ControlPlane.Core.Tests.Changes;
using static ControlPlane.Core.Tests.Changes.CommandFixture;

namespace ControlPlane.Core.Tests.Secrets;

/// <summary>Mounting a family in a service and taking it out: every input checked, and the scope of both the service and the family.</summary>
public sealed class FamilyInjectionTests : IAsyncLifetime
{
    private readonly CommandFixture _f = new();

    private static readonly ChangeCaller Admin = Caller(Role.SecretsAdmin);

    public Task InitializeAsync()
    {
        _f.Add(Version(FileObjectKind.Secret, "db", 1), Version(FileObjectKind.Secret, "key", 1), Version(FileObjectKind.Config, "app", 1),
            Plain(FileObjectKind.Secret, "bill_dbpass", "bill"), Plain(FileObjectKind.Config, "bill_conf", "bill"), Plain(FileObjectKind.Secret, "shop_key", "shop"),
            Service("api", "shop", secrets: [Mount("key.v1", "app/key")]), Service("bill-web", "bill"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private Task<ChangeResult> Inject(MountRequest request, FileObjectKind kind = FileObjectKind.Secret, ChangeCaller? caller = null, string service = "api") =>
        _f.Families.InjectAsync(caller ?? Admin, Cluster, kind, service, request);

    private void Refused(ChangeResult start, ChangeFailure failure, string? message = null)
    {
        Assert.False(start.Started);
        Assert.Equal(failure, start.Failure);
        if (message is not null)
        {
            Assert.Contains(message, start.Message);
        }
        Assert.Empty(_f.Files.Calls);
    }

    [Fact]
    public async Task Inject_mounts_the_newest_version_with_the_target_owner_and_mode_asked_for()
    {
        var start = await Inject(new MountRequest("db", "conf/db", "1000", "1001", "0440"));

        Assert.True(start.Started, start.Message);
        await _f.Runner.WhenFinishedAsync(start.OperationId!);
        Assert.Equal(["references Secret id-api db.v1@conf/db:1000:1001:440"], _f.Files.Calls);
    }

    [Fact]
    public async Task The_target_defaults_to_the_family_name_the_owner_to_root_and_the_mode_to_0444()
    {
        var start = await Inject(new MountRequest("db", null, null, null, null));

        Assert.True(start.Started, start.Message);
        await _f.Runner.WhenFinishedAsync(start.OperationId!);
        Assert.Equal(["references Secret id-api db.v1@db:0:0:444"], _f.Files.Calls);
    }

    [Theory]
    [InlineData("abc", "0")]
    [InlineData("-1", "0")]
    [InlineData("0", "1.5")]
    [InlineData("0", "4294967296")]
    public async Task A_uid_or_gid_that_is_not_a_number_is_invalid(string uid, string gid)
    {
        Refused(await Inject(new MountRequest("db", null, uid, gid, null)), ChangeFailure.Invalid, "must be a number");
    }

    [Theory]
    [InlineData("0999")]
    [InlineData("1000")]
    [InlineData("rw-r--r--")]
    public async Task A_mode_that_is_not_octal_up_to_0777_is_invalid(string mode)
    {
        Refused(await Inject(new MountRequest("db", null, null, null, mode)), ChangeFailure.Invalid, "is not a file mode");
    }

    [Theory]
    [InlineData("../etc/passwd", "'..'")]
    [InlineData("a/./b", "'.'")]
    [InlineData("/etc/shadow", "outside /run/secrets")]
    [InlineData("dir/", "not a file name")]
    public async Task A_secret_target_must_stay_inside_run_secrets(string target, string message)
    {
        Refused(await Inject(new MountRequest("db", target, null, null, null)), ChangeFailure.Invalid, message);
    }

    [Fact]
    public async Task A_config_may_land_at_an_absolute_path()
    {
        var start = await Inject(new MountRequest("app", "/etc/app.conf", null, null, null), FileObjectKind.Config);

        Assert.True(start.Started, start.Message);
        await _f.Runner.WhenFinishedAsync(start.OperationId!);
        Assert.Equal(["references Config id-api app.v1@/etc/app.conf:0:0:444"], _f.Files.Calls);
    }

    [Fact]
    public async Task A_missing_family_name_is_invalid_and_an_unknown_family_or_service_is_not_found()
    {
        Refused(await Inject(new MountRequest(" ", null, null, null, null)), ChangeFailure.Invalid, "family is required");
        Refused(await Inject(new MountRequest("nope", null, null, null, null)), ChangeFailure.NotFound, "no secret family 'nope'");
        Refused(await Inject(new MountRequest("app", null, null, null, null)), ChangeFailure.NotFound, "no secret family 'app'");
        Refused(await Inject(new MountRequest("db", null, null, null, null), service: "ghost"), ChangeFailure.NotFound, "has no service 'ghost'");
    }

    [Fact]
    public async Task A_family_the_service_mounts_already_or_a_path_it_uses_already_is_a_conflict()
    {
        Refused(await Inject(new MountRequest("key", "other", null, null, null)), ChangeFailure.Conflict, "api mounts key already");
        Refused(await Inject(new MountRequest("db", "/run/secrets/app/key", null, null, null)), ChangeFailure.Conflict, "mounts key.v1 at /run/secrets/app/key already");
    }

    [Theory]
    [InlineData(Role.Viewer)]
    [InlineData(Role.Operator)]
    public async Task Viewers_and_Operators_cannot_inject(Role role)
    {
        Refused(await Inject(new MountRequest("db", null, null, null, null), caller: Caller(role)), ChangeFailure.Forbidden);
        Assert.Equal(AuditResult.Denied, Assert.Single(_f.Audit.Entries).Result);
    }

    [Fact]
    public async Task A_SecretsAdmin_of_one_stack_cannot_inject_into_another_stacks_service()
    {
        Refused(await Inject(new MountRequest("shop_key", null, null, null, null), caller: Caller(Role.SecretsAdmin, "shop"), service: "bill-web"), ChangeFailure.Forbidden);
    }

    [Theory]
    [InlineData(FileObjectKind.Secret, "bill_dbpass")]
    [InlineData(FileObjectKind.Config, "bill_conf")]
    [InlineData(FileObjectKind.Secret, "db")]
    public async Task A_SecretsAdmin_of_one_stack_cannot_mount_a_family_of_another_stack_or_of_the_cluster_into_its_own_service(FileObjectKind kind, string family)
    {
        var start = await Inject(new MountRequest(family, "/run/secrets/x", null, null, null), kind, Caller(Role.SecretsAdmin, "shop"));

        Refused(start, ChangeFailure.Forbidden);
        var denied = Assert.Single(_f.Audit.Entries);
        Assert.Equal((AuditResult.Denied, $"{kind.Facts().Plural}.inject", "alice"), (denied.Result, denied.Action, denied.Actor));
    }

    [Fact]
    public async Task A_SecretsAdmin_of_one_stack_can_mount_a_family_of_that_stack_into_its_service()
    {
        var start = await Inject(new MountRequest("shop_key", null, null, null, null), caller: Caller(Role.SecretsAdmin, "shop"));

        Assert.True(start.Started, start.Message);
        await _f.Runner.WhenFinishedAsync(start.OperationId!);
        Assert.Equal(["references Secret id-api shop_key@shop_key:0:0:444"], _f.Files.Calls);
    }

    [Fact]
    public async Task Detach_refuses_a_family_the_service_does_not_mount_and_unmounts_one_it_does()
    {
        Refused(await _f.Families.DetachAsync(Admin, Cluster, FileObjectKind.Secret, "api", "db"), ChangeFailure.NotFound, "api does not mount secret family db");

        _f.Files.Calls.Clear();
        var start = await _f.Families.DetachAsync(Admin, Cluster, FileObjectKind.Secret, "api", "key");
        Assert.True(start.Started, start.Message);
        await _f.Runner.WhenFinishedAsync(start.OperationId!);
        Assert.Equal(["references Secret id-api "], _f.Files.Calls);
    }
}
