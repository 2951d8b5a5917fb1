using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using ControlPlane.Web.DockerApi;
using ControlPlane.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Web.Tests.DockerApi;

/// <summary>
/// ControlPlane watching the local swarm with its Docker API endpoint on a free loopback port. The web host runs in
/// memory; the endpoint is its own Kestrel server on a real socket, so Debian's docker CLI can reach it.
/// </summary>
public sealed class DockerApiAppFactory() : ControlPlaneAppFactory(new Dictionary<string, string?>
{
    ["ControlPlane:Clusters:0:Name"] = ClusterId,
    ["ControlPlane:Clusters:0:Endpoints:0"] = SwarmEnvironment.DockerHost,
    ["ControlPlane:DockerApi:Url"] = "https://127.0.0.1:0",
    ["ControlPlane:DockerApi:Hostnames:0"] = "127.0.0.1",
})
{
    public const string ClusterId = "swarm";

    /// <summary>Debian's docker CLI (20.10), the one the endpoint is tested with.</summary>
    public const string DebianDocker = "/usr/bin/docker";

    private readonly string _bundles = Directory.CreateTempSubdirectory("hd-bundles-").FullName;

    /// <summary>The endpoint as DOCKER_HOST names it, with the cluster's path.</summary>
    public string DockerHost
    {
        get
        {
            var listening = Services.GetRequiredService<DockerApiServer>().ListeningOn ?? throw new InvalidOperationException("The Docker API endpoint is not listening.");
            return $"tcp://127.0.0.1:{listening.Port}/clusters/{ClusterId}";
        }
    }

    /// <summary>Creates a bundle through the API as <paramref name="client"/>'s user and unpacks it; answers its folder and id.</summary>
    public async Task<(string Folder, long Id)> CreateBundleAsync(HttpClient client, string name, int expiresInDays = 1)
    {
        using var response = await client.PostAsJsonAsync("/api/clientbundles", new { name, expiresInDays });
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        var folder = Path.Combine(_bundles, $"{name}-{Guid.NewGuid():N}");
        await using (var zip = await response.Content.ReadAsStreamAsync())
        {
            ZipFile.ExtractToDirectory(zip, folder);
        }
        var listed = await client.GetFromJsonAsync<List<BundleRow>>("/api/clientbundles");
        return (folder, listed!.First(b => b.Name == name).Id);
    }

    /// <summary>Runs Debian's docker CLI with a bundle's environment; answers exit code, output and errors.</summary>
    public async Task<(int Exit, string Out, string Error)> DockerAsync(string bundle, string? stdin, params string[] args)
    {
        using var process = StartDocker(bundle, args);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return (process.ExitCode, await output, await error);
    }

    /// <summary>Starts Debian's docker CLI with a bundle's environment, its output redirected, for commands that follow a stream.</summary>
    public Process StartDocker(string bundle, params string[] args)
    {
        var start = new ProcessStartInfo(DebianDocker) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.Environment["DOCKER_HOST"] = DockerHost;
        start.Environment["DOCKER_TLS_VERIFY"] = "1";
        start.Environment["DOCKER_CERT_PATH"] = bundle;
        start.Environment["DOCKER_CONFIG"] = Path.Combine(bundle, ".docker");
        start.Environment.Remove("DOCKER_CONTEXT");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        return Process.Start(start)!;
    }

    /// <summary>As <see cref="DockerAsync"/>, failing the test when the command fails.</summary>
    public async Task<string> DockerOkAsync(string bundle, params string[] args)
    {
        var (exit, output, error) = await DockerAsync(bundle, null, args);
        Assert.True(exit == 0, $"docker {string.Join(' ', args)} failed ({exit}): {error}");
        return output;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_bundles, recursive: true);
    }

    private sealed record BundleRow(long Id, string Name);
}
