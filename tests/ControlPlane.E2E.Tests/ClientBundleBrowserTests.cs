using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using ControlPlane.E2E.Tests.Infrastructure;
using ControlPlane.Web.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace ControlPlane.E2E.Tests;

/// <summary>
/// A stack Operator downloads a client bundle from the account page in a real browser, unpacks it, runs
/// <c>source env.sh &amp;&amp; docker service ls</c> with Debian's docker CLI (<c>/usr/bin/docker</c>, 20.10) and sees their
/// stack's services and no other: the path an operator takes from the browser to the terminal.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ClientBundleBrowserTests(BrowserFixture browser)
{
    private const string DebianDocker = "/usr/bin/docker";

    [Fact]
    public async Task A_bundle_downloaded_in_the_browser_lets_the_docker_cli_list_the_stacks_the_user_holds_and_no_other()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var (shop, billing, user) = ($"shop{run}", $"bill{run}", $"ops{run}");
        var state = await browser.SignInAsNewStackUserAsync(user, "operator-password-1", "Operator", shop);
        var folder = Directory.CreateTempSubdirectory($"hd-browser-bundle-{run}-").FullName;
        try
        {
            await DockerCli.RunAsync("service", "create", "--detach", "--name", $"{shop}_web", "--label", $"com.docker.stack.namespace={shop}", "--replicas", "0", SwarmEnvironment.DemoImage);
            await DockerCli.RunAsync("service", "create", "--detach", "--name", $"{billing}_db", "--label", $"com.docker.stack.namespace={billing}", "--replicas", "0", SwarmEnvironment.DemoImage);

            await using var account = await browser.OpenAsync("account", signedInAs: state);
            await account.Page.GetByPlaceholder("laptop").FillAsync("laptop");
            await account.Page.GetByTestId("create-bundle").ClickAsync();
            var link = account.Page.GetByTestId("bundle-download-link");
            await Expect(link).ToBeVisibleAsync();
            var download = await account.Page.RunAndWaitForDownloadAsync(() => link.ClickAsync());
            Assert.Equal("bundle-laptop.zip", download.SuggestedFilename);
            var zip = Path.Combine(folder, download.SuggestedFilename);
            await download.SaveAsAsync(zip);
            ZipFile.ExtractToDirectory(zip, Path.Combine(folder, "bundle"));
            await Expect(account.Page.GetByTestId("bundles-table").Locator("tbody tr").Filter(new() { HasText = "laptop" })).ToContainTextAsync("active");
            await account.WaitForRenderQuietAsync();
            await account.Page.ScreenshotAsync(new() { Path = Screenshot("account-client-bundle"), FullPage = true });
            await account.AssertHealthyAsync();

            // What the README says to do with it, in a shell of its own: nothing but the bundle's env.sh points the CLI here.
            var (exit, output, error) = await ShellAsync(Path.Combine(folder, "bundle"), $"source ./env.sh && {DebianDocker} service ls --format '{{{{.Name}}}}'");
            Assert.True(exit == 0, $"docker service ls through the bundle failed ({exit}): {error}");
            var names = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Contains($"{shop}_web", names);
            Assert.DoesNotContain($"{billing}_db", names);
            Assert.All(names, name => Assert.StartsWith($"{shop}_", name));
        }
        finally
        {
            await DockerCli.RunAsync("service", "rm", $"{shop}_web", $"{billing}_db");
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string Screenshot(string name)
    {
        var directory = Path.Combine(RepositoryRoot.Path, "artifacts", "screenshots-bundle");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, $"{name}.png");
    }

    /// <summary>Runs <paramref name="script"/> in bash in <paramref name="directory"/>, with no DOCKER_* settings inherited from the test run.</summary>
    private static async Task<(int Exit, string Out, string Error)> ShellAsync(string directory, string script)
    {
        var start = new ProcessStartInfo("/bin/bash") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (var variable in new[] { "DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_CONTEXT" })
        {
            start.Environment.Remove(variable);
        }
        start.Environment["DOCKER_CONFIG"] = Path.Combine(directory, ".docker");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return (process.ExitCode, await output, await error);
    }
}
