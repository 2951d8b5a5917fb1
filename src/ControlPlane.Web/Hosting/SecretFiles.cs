using Microsoft.Extensions.Primitives;

namespace ControlPlane.Web.Hosting;

/// <summary>
/// Lets every setting be read from a file, as Docker and Kubernetes hand secrets over: a key ending in <c>File</c>
/// (<c>ControlPlane:Database:ConnectionStringFile=/run/secrets/db</c>) supplies the key without it
/// (<c>ControlPlane:Database:ConnectionString</c>) with the file's content, its final line break removed. One
/// mechanism for all of them: the database, the bootstrap admin's password, the metrics token, Redis, Entra's client
/// secret. Read when asked, never cached or logged, so a rotated secret file is read afresh and its value goes
/// nowhere but to the code that asked for it.
/// </summary>
public static class SecretFiles
{
    public const string Suffix = "File";

    /// <summary>
    /// Adds the source last, so a <c>…File</c> key wins over a plain value given by an earlier source (appsettings.json).
    /// Needs a <see cref="ConfigurationManager"/>, which every .NET host builder has.
    /// </summary>
    public static IConfigurationBuilder AddSecretFiles(this IConfigurationBuilder builder) => builder.Add(new Source());

    private sealed class Source : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(builder as IConfiguration
            ?? throw new InvalidOperationException("Secret files are read through a ConfigurationManager (the host builder's Configuration)."));
    }

    /// <summary>
    /// Answers for <c>X</c> by reading the file that the rest of the configuration names in <c>XFile</c>. It asks the
    /// whole configuration, itself included, so a guard keeps it from answering while it asks (no recursion).
    /// </summary>
    private sealed class Provider(IConfiguration all) : IConfigurationProvider
    {
        [ThreadStatic]
        private static bool t_asking;

        public bool TryGet(string key, out string? value)
        {
            value = null;
            if (t_asking || key.EndsWith(Suffix, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
            var fileKey = key + Suffix;
            string? path;
            t_asking = true;
            try
            {
                path = all[fileKey];
            }
            finally
            {
                t_asking = false;
            }
            if (string.IsNullOrWhiteSpace(path))
            {
                return false;
            }
            value = Read(fileKey, path);
            return true;
        }

        /// <summary>Names <c>X</c> among a section's children when <c>XFile</c> is there, so options binding finds it.</summary>
        public IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath)
        {
            if (t_asking)
            {
                return earlierKeys;
            }
            List<string> named;
            t_asking = true;
            try
            {
                var section = parentPath is null ? all : all.GetSection(parentPath);
                named = [.. section.GetChildren()
                    .Where(child => child.Key.Length > Suffix.Length && child.Key.EndsWith(Suffix, StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(child.Value))
                    .Select(child => child.Key[..^Suffix.Length])];
            }
            finally
            {
                t_asking = false;
            }
            return earlierKeys.Concat(named).Order(ConfigurationKeyComparer.Instance);
        }

        private static string Read(string fileKey, string path)
        {
            try
            {
                return File.ReadAllText(path).TrimEnd('\r', '\n');
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                // The path is not secret; the content never appears here.
                throw new InvalidOperationException($"{fileKey} names '{path}', which cannot be read: {ex.Message}", ex);
            }
        }

        // Nothing to load or reload: values are read when asked, and the other sources signal their own changes.
        public void Load()
        {
        }

        public IChangeToken GetReloadToken() => NeverChanges.Instance;

        public void Set(string key, string? value)
        {
        }
    }

    private sealed class NeverChanges : IChangeToken
    {
        public static readonly NeverChanges Instance = new();

        public bool HasChanged => false;

        public bool ActiveChangeCallbacks => false;

        public IDisposable RegisterChangeCallback(Action<object?> callback, object? state) => EmptyDisposable.Instance;

        private sealed class EmptyDisposable : IDisposable
        {
            public static readonly EmptyDisposable Instance = new();

            public void Dispose()
            {
            }
        }
    }
}
