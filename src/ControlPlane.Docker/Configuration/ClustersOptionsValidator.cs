using Microsoft.Extensions.Options;

namespace ControlPlane.Docker.Configuration;

/// <summary>Fails the start with messages that name the setting at fault.</summary>
public sealed class ClustersOptionsValidator : IValidateOptions<ClustersOptions>
{
    public ValidateOptionsResult Validate(string? name, ClustersOptions options)
    {
        ClusterEndpointResolver.Resolve(options, Environment.GetEnvironmentVariable("DOCKER_HOST"), out var errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
