using System.IO.Compression;
using System.Text;
using ControlPlane.Core.DockerApi;
using ControlPlane.Core.State;
using ControlPlane.Web.Api;
using ControlPlane.Web.Authorization;

namespace ControlPlane.Web.DockerApi;

/// <summary>Client bundles over HTTP: each user creates (as a zip), lists and revokes their own. The rules are <see cref="ClientBundleCommands"/>'s.</summary>
public static class ClientBundleEndpoints
{
    public sealed record CreateBundleRequest(string? Name, int? ExpiresInDays, string? Cluster);

    public sealed record BundleResponse(long Id, string Name, string Serial, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? RevokedAt);

    public static IEndpointRouteBuilder MapClientBundleEndpoints(this IEndpointRouteBuilder app)
    {
        var bundles = app.MapGroup("/api/clientbundles").RequireAuthorization().WithTags("Client bundles");
        bundles.MapGet("", async (HttpContext http, ClientBundleCommands commands) =>
            await commands.ListAsync(await http.ChangeCallerAsync(), http.RequestAborted) is { Failure: null } listed
                ? Results.Ok(listed.Value!.Select(b => new BundleResponse(b.Id, b.Name, b.Serial, b.CreatedAt, b.ExpiresAt, b.RevokedAt)))
                : Results.Problem(statusCode: StatusCodes.Status400BadRequest, detail: ClientBundleCommands.LocalAccountsOnly))
            .WithName("ListClientBundles").WithSummary("List the caller's own client bundles")
            .Produces<IEnumerable<BundleResponse>>().ProducesProblem(StatusCodes.Status400BadRequest);
        bundles.MapPost("", async (CreateBundleRequest request, HttpContext http, ClientBundleCommands commands, ClusterStateStore clusters, DockerApiServer endpoint) =>
        {
            var cluster = request.Cluster ?? clusters.Clusters.FirstOrDefault()?.Id;
            if (cluster is null || clusters.GetState(cluster) is null)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The bundle was not created", detail: $"There is no cluster '{cluster}'.");
            }
            var result = await commands.CreateAsync(await http.ChangeCallerAsync(), request.Name, request.ExpiresInDays, http.RequestAborted);
            return result.Failure switch
            {
                null => Results.File(BundleFiles.Zip(result.Value!, endpoint.DockerHostFor(cluster)), "application/zip", $"bundle-{result.Value!.Bundle.Name}.zip"),
                Core.Changes.ChangeFailure.Invalid => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The bundle was not created", detail: result.Message),
                _ => ChangeEndpoints.Answer(result.WithoutValue()),
            };
        }).WithName("CreateClientBundle").WithSummary("Create a client bundle for the caller: a zip with a certificate, its key and the docker CLI settings")
            .Produces<Stream>(StatusCodes.Status200OK, "application/zip").ProducesChangeProblems()
            .WithRequestExample(new CreateBundleRequest("laptop", 30, "prod"));
        bundles.MapDelete("/{id:long}", async (long id, HttpContext http, ClientBundleCommands commands) =>
            await commands.RevokeAsync(await http.ChangeCallerAsync(), id, http.RequestAborted) is var result && result.Failure is null
                ? Results.NoContent()
                : ChangeEndpoints.Answer(result.WithoutValue()))
            .WithName("RevokeClientBundle").WithSummary("Revoke one of the caller's client bundles").Produces(StatusCodes.Status204NoContent).ProducesChangeProblems();
        return app;
    }
}

/// <summary>The files of a client bundle: the certificates, the key, and the environment for each shell.</summary>
public static class BundleFiles
{
    /// <summary>The bundle as the zip a user downloads.</summary>
    public static byte[] Zip(CreatedBundle bundle, string dockerHost)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create))
        {
            foreach (var (name, content) in Of(bundle, dockerHost))
            {
                var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
                // key.pem owner-only when unpacked by tools that honour the mode.
                entry.ExternalAttributes = (name == "key.pem" ? 0b110_000_000 : 0b110_100_100) << 16;
                using var stream = entry.Open();
                stream.Write(Encoding.UTF8.GetBytes(content));
            }
        }
        return buffer.ToArray();
    }

    public static IEnumerable<(string Name, string Content)> Of(CreatedBundle bundle, string dockerHost)
    {
        yield return ("ca.pem", bundle.CaPem);
        yield return ("cert.pem", bundle.CertificatePem);
        yield return ("key.pem", bundle.KeyPem);
        yield return ("env.sh", $$"""
            # source env.sh: the docker CLI then talks to ControlPlane as this bundle's owner.
            export DOCKER_HOST={{dockerHost}}
            export DOCKER_TLS_VERIFY=1
            export DOCKER_CERT_PATH="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)"

            """);
        yield return ("env.ps1", $"""
            $Env:DOCKER_HOST = "{dockerHost}"
            $Env:DOCKER_TLS_VERIFY = "1"
            $Env:DOCKER_CERT_PATH = $PSScriptRoot

            """);
        yield return ("env.cmd", $"""
            @echo off
            set DOCKER_HOST={dockerHost}
            set DOCKER_TLS_VERIFY=1
            set DOCKER_CERT_PATH=%~dp0

            """.Replace("\n", "\r\n", StringComparison.Ordinal));
        yield return ("README.txt", $"""
            ControlPlane client bundle '{bundle.Bundle.Name}' (serial {bundle.Bundle.Serial}), valid until {bundle.Bundle.ExpiresAt:yyyy-MM-dd}.
            Use it with: source env.sh (bash), . .\env.ps1 (PowerShell) or env.cmd (cmd), then run docker as usual.
            Or make it a context: docker context create controlplane-{bundle.Bundle.Name} --docker "host={dockerHost},ca=$PWD/ca.pem,cert=$PWD/cert.pem,key=$PWD/key.pem"
            Keep key.pem secret: ControlPlane never stored it. Revoke the bundle on your account page if it is lost.

            """);
    }
}
