namespace ControlPlane.Web.Tests.Infrastructure;

/// <summary>The repository's top folder, found from the test binaries so artifacts land in one known place.</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(folder.FullName, "ControlPlane.sln")))
            {
                return folder.FullName;
            }
        }
        throw new InvalidOperationException($"No ControlPlane.sln above {AppContext.BaseDirectory}; the tests must run from a checkout.");
    }
}
