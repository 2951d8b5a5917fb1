using ControlPlane.Web.Hosting;

if (ConsoleCommands.Handles(args))
{
    return await ConsoleCommands.RunAsync(args, Console.Out);
}
var app = ControlPlaneWebApplication.Build(args);
await app.RunAsync();
return 0;

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
