using System.Text.RegularExpressions;

namespace ControlPlane.Core.Stacks.Compose;

/// <summary>One rule of the Compose schema: the subset of JSON Schema that the CLI's config_schema_v3.x files use.</summary>
internal abstract record SchemaRule;

/// <summary>A scalar of one of these kinds (a string may have to be a Go duration).</summary>
internal sealed record ScalarRule(ScalarKind[] Kinds, bool Duration = false, string[]? Enum = null, long? Minimum = null) : SchemaRule;

/// <summary>
/// A mapping with known keys, keys matching a pattern, and maybe any other key. <c>x-</c> keys are allowed where
/// the schema allows them (extensions, ignored).
/// </summary>
internal sealed record MapRule(
    IReadOnlyDictionary<string, SchemaRule> Properties,
    (Regex Pattern, SchemaRule Rule, string What)? Pattern = null,
    bool OtherKeys = false,
    bool Extensions = false,
    bool Nullable = false,
    string[]? Required = null) : SchemaRule;

/// <summary>A list whose items follow one rule; unique when the schema says uniqueItems.</summary>
internal sealed record ListRule(SchemaRule Items, bool Unique = false) : SchemaRule;

/// <summary>One of several shapes (a string or a list, a list or a mapping...).</summary>
internal sealed record OneOfRule(params SchemaRule[] Choices) : SchemaRule;

/// <summary>Anything (the value of an <c>x-</c> key).</summary>
internal sealed record AnyRule : SchemaRule;
