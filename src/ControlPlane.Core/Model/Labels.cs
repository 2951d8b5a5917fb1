using System.Collections;
using System.Collections.Immutable;

namespace ControlPlane.Core.Model;

/// <summary>An immutable string map with value equality, so records holding labels compare by content.</summary>
public sealed class Labels : IReadOnlyDictionary<string, string>, IEquatable<Labels>
{
    public static readonly Labels Empty = new(ImmutableSortedDictionary<string, string>.Empty);

    private readonly ImmutableSortedDictionary<string, string> _items;

    private Labels(ImmutableSortedDictionary<string, string> items) => _items = items;

    public static Labels From(IEnumerable<KeyValuePair<string, string>>? items) =>
        items is null ? Empty : new Labels(items.ToImmutableSortedDictionary(StringComparer.Ordinal));

    public string this[string key] => _items[key];
    public IEnumerable<string> Keys => _items.Keys;
    public IEnumerable<string> Values => _items.Values;
    public int Count => _items.Count;
    public bool ContainsKey(string key) => _items.ContainsKey(key);
    public bool TryGetValue(string key, out string value) => _items.TryGetValue(key, out value!);
    public string? GetValueOrDefault(string key) => _items.TryGetValue(key, out var value) ? value : null;
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _items.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool Equals(Labels? other) =>
        other is not null && (ReferenceEquals(this, other) || (Count == other.Count && _items.All(kv => other._items.TryGetValue(kv.Key, out var v) && v == kv.Value)));

    public override bool Equals(object? obj) => Equals(obj as Labels);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var (key, value) in _items)
        {
            hash.Add(key);
            hash.Add(value);
        }
        return hash.ToHashCode();
    }
}
