using ControlPlane.Web.Hosting;
using Microsoft.Extensions.Configuration;

namespace ControlPlane.Web.Tests.Telemetry;

/// <summary>Any setting read from the file its <c>…File</c> key names, as Docker secrets hand values over.</summary>
public sealed class SecretFilesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("controlplane-secretfiles-").FullName;

    private string Write(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static ConfigurationManager Configuration(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(values);
        configuration.AddSecretFiles();
        return configuration;
    }

    [Fact]
    public void A_File_key_supplies_the_key_without_it_with_the_file_content_less_its_final_line_break()
    {
        var configuration = Configuration(new()
        {
            ["ControlPlane:Database:Provider"] = "Postgres",
            ["ControlPlane:Database:ConnectionStringFile"] = Write("db", "Host=db;Password=s3cr3t\n"),
            ["ControlPlane:Bootstrap:AdminPassword"] = "from-appsettings",
            ["ControlPlane:Bootstrap:AdminPasswordFile"] = Write("admin", "from-the-secret\r\n"),
        });

        Assert.Equal("Host=db;Password=s3cr3t", configuration["ControlPlane:Database:ConnectionString"]);
        // Added last, the file wins over a plain value from an earlier source.
        Assert.Equal("from-the-secret", configuration["ControlPlane:Bootstrap:AdminPassword"]);
        Assert.Equal("Postgres", configuration["ControlPlane:Database:Provider"]);
        // Options binding enumerates a section's children: the key without File is among them.
        var database = configuration.GetSection("ControlPlane:Database").Get<Dictionary<string, string>>()!;
        Assert.Equal("Host=db;Password=s3cr3t", database["ConnectionString"]);
        Assert.Equal("Postgres", database["Provider"]);
    }

    [Fact]
    public void A_rewritten_file_is_read_afresh()
    {
        var path = Write("token", "first");
        var configuration = Configuration(new() { ["ControlPlane:Metrics:TokenFile"] = path });
        Assert.Equal("first", configuration["ControlPlane:Metrics:Token"]);
        File.WriteAllText(path, "second");
        Assert.Equal("second", configuration["ControlPlane:Metrics:Token"]);
    }

    [Fact]
    public void A_missing_file_is_a_clear_error_naming_the_key_and_path_and_without_a_File_key_nothing_changes()
    {
        var missing = Path.Combine(_directory, "absent");
        var configuration = Configuration(new()
        {
            ["ControlPlane:SignalR:RedisFile"] = missing,
            ["ControlPlane:SignalR:Other"] = "plain",
        });

        var error = Assert.Throws<InvalidOperationException>(() => configuration["ControlPlane:SignalR:Redis"]);
        Assert.Contains("ControlPlane:SignalR:RedisFile", error.Message);
        Assert.Contains(missing, error.Message);
        Assert.Equal("plain", configuration["ControlPlane:SignalR:Other"]);
        Assert.Null(configuration["ControlPlane:SignalR:OtherThing"]);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
