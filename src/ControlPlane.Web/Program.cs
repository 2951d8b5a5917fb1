using ControlPlane.Web.Hosting;

var app = ControlPlaneWebApplication.Build(args);
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
