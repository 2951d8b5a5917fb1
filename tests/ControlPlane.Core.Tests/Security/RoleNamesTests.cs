using ControlPlane.Core.Security;

namespace ControlPlane.Core.Tests.Security;

/// <summary>Roles are read from input by their four names only: no numbers, no flag lists, no surprises.</summary>
public sealed class RoleNamesTests
{
    [Theory]
    [InlineData("Viewer", Role.Viewer)]
    [InlineData("operator", Role.Operator)]
    [InlineData("SECRETSADMIN", Role.SecretsAdmin)]
    [InlineData("Admin", Role.Admin)]
    [InlineData("ControlPlane.Admin", Role.Admin)]
    [InlineData("controlplane.viewer", Role.Viewer)]
    [InlineData(" Admin ", Role.Admin)]
    public void A_role_name_any_case_with_or_without_the_prefix_is_read(string text, Role expected)
    {
        Assert.True(Roles.TryParse(text, out var role));
        Assert.Equal(expected, role);
    }

    [Theory]
    [InlineData("3")]
    [InlineData("0")]
    [InlineData("99")]
    [InlineData("-1")]
    [InlineData("ControlPlane.3")]
    [InlineData("Admin,Viewer")]
    [InlineData("Administrator")]
    [InlineData("ControlPlane.")]
    [InlineData("Other.Admin")]
    [InlineData("")]
    [InlineData(null)]
    public void Anything_else_is_not_a_role(string? text) =>
        Assert.False(Roles.TryParse(text, out _));
}
