using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.Web.Tests.Api;

/// <summary>Settings that cannot work stop the host at start, with a message that names the setting to fix.</summary>
public sealed class MisconfigurationTests
{
    [Fact]
    public async Task An_endpoint_with_a_scheme_docker_does_not_speak_fails_the_start_naming_the_setting()
    {
        await using var factory = new ControlPlaneAppFactory(new Dictionary<string, string?>
        {
            ["ControlPlane:Clusters:0:Name"] = "bad",
            ["ControlPlane:Clusters:0:Endpoints:0"] = "ftp://x",
        });

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        var message = Flatten(error);
        Assert.Contains("ControlPlane:Clusters:0:Endpoints:0", message);
        Assert.Contains("ftp", message);
    }

    [Fact]
    public async Task A_tls_certificate_file_that_does_not_exist_fails_the_start_naming_the_setting()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-cert-{Guid.NewGuid():N}.pem");
        await using var factory = new ControlPlaneAppFactory(new Dictionary<string, string?>
        {
            ["ControlPlane:Clusters:0:Name"] = "tls",
            ["ControlPlane:Clusters:0:Endpoints:0"] = "tcp://127.0.0.1:2376",
            ["ControlPlane:Clusters:0:Tls:CaFile"] = missing,
            ["ControlPlane:Clusters:0:Tls:CertFile"] = missing,
            ["ControlPlane:Clusters:0:Tls:KeyFile"] = missing,
        });

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        var message = Flatten(error);
        Assert.Contains("ControlPlane:Clusters:0:Tls:CertFile", message);
        Assert.Contains(missing, message);
    }

    /// <summary>The messages of an exception and its inner ones, as an operator would read them in the log.</summary>
    private static string Flatten(Exception error)
    {
        var messages = new List<string>();
        for (var e = error; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
            if (e is AggregateException aggregate)
            {
                messages.AddRange(aggregate.InnerExceptions.Select(Flatten));
            }
        }
        return string.Join(" | ", messages);
    }
}
