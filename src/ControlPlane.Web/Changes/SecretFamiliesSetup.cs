using ControlPlane.Core.Secrets;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ControlPlane.Web.Changes;

/// <summary>Registers secret and config families: the operations and the class pages and the API call.</summary>
public static class SecretFamiliesSetup
{
    public static IServiceCollection AddSecretFamilies(this IServiceCollection services)
    {
        services.TryAddSingleton(FileFamilyTimings.Default);
        services.AddSingleton<FileFamilyOperations>();
        services.AddSingleton<FileFamilyCommands>();
        services.AddSingleton<Core.Operations.IOperationResumer>(sp => sp.GetRequiredService<FileFamilyCommands>());
        services.AddOptions<SecretsOptions>().BindConfiguration(SecretsOptions.SectionName);
        services.AddHostedService<ScheduledRotation>();
        services.AddHostedService<OperationAdoption>();
        return services;
    }
}
