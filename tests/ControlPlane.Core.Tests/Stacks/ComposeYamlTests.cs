using static ControlPlane.Core.Tests.Stacks.ComposeTestFiles;

namespace ControlPlane.Core.Tests.Stacks;

/// <summary>YAML as the CLI's reader (yaml.v2) reads it: YAML 1.1 scalars, anchors, merge keys; and the defensive caps.</summary>
public sealed class ComposeYamlTests
{
    [Fact]
    public void A_leading_zero_mode_is_octal_as_in_yaml_1_1()
    {
        var secrets = Container(Web("    secrets: [{source: a, mode: 0440}, {source: a, target: b, mode: 0o600}, {source: a, target: c, mode: 420}]",
            "secrets:\n  a: {external: true}"))["Secrets"]!;

        Assert.Equal([288L, 384L, 420L], secrets.AsArray().Select(s => (long)s!["File"]!["Mode"]!));
    }

    [Fact]
    public void Anchors_aliases_and_merge_keys_work_and_explicit_keys_win()
    {
        var plan = Plan("""
            version: "3.9"
            x-base: &base
              image: a
              environment: &env
                A: "1"
              deploy:
                replicas: 2
            services:
              one:
                <<: *base
              two:
                <<: *base
                image: b
                environment:
                  <<: *env
                  B: "2"
            """);

        Assert.Equal(["a", "b"], plan.Services.Select(s => (string)s.Spec["TaskTemplate"]!["ContainerSpec"]!["Image"]!));
        AssertJson("""["A=1", "B=2"]""", plan.Services[1].Spec["TaskTemplate"]!["ContainerSpec"]!["Env"]);
        Assert.Equal(2, (long)plan.Services[1].Spec["Mode"]!["Replicated"]!["Replicas"]!);
        Assert.Empty(plan.Warnings);
    }

    [Fact]
    public void A_key_given_twice_keeps_the_last_value_with_a_warning()
    {
        var plan = Plan("version: \"3.9\"\nservices:\n  web:\n    image: a\n    image: b\n");

        Assert.Equal("b", (string?)plan.Services[0].Spec["TaskTemplate"]!["ContainerSpec"]!["Image"]);
        Assert.Contains(plan.Warnings, w => w.StartsWith("line 5: the key 'image' is given twice", StringComparison.Ordinal));
    }

    [Fact]
    public void An_alias_bomb_is_refused_without_expanding_it()
    {
        var yaml = "version: \"3.9\"\nx-a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
        var previous = "a";
        for (var i = 0; i < 9; i++)
        {
            var name = $"l{i}";
            yaml += $"x-{name}: &{name} [{string.Join(", ", Enumerable.Repeat($"*{previous}", 10))}]\n";
            previous = name;
        }

        Assert.Contains("more than", Assert.Single(Problems(yaml)).Message);
    }

    [Fact]
    public void Deep_nesting_and_huge_files_are_refused()
    {
        var deep = "version: \"3.9\"\nx-deep: " + new string('[', 200) + new string(']', 200) + "\n";
        var huge = "version: \"3.9\"\n#" + new string('x', 1024 * 1024) + "\n";

        Assert.Contains("nested more than", Assert.Single(Problems(deep)).Message);
        Assert.Contains("at most 1024 KB", Assert.Single(Problems(huge)).Message);
    }

    [Theory]
    [InlineData("version: \"3.9\"\nservices:\n  web:\n    image: *nothing\n", "alias")]
    [InlineData("version: \"3.9\"\nservices:\n  web:\n  image: a\n    bad: indentation\n", "YAML syntax")]
    [InlineData("version: \"3.9\"\n? [complex, key]\n: value\n", "a key must be a plain string")]
    [InlineData("version: \"3.9\"\nservices: {web: {image: \"unterminated}}\n", "YAML syntax")]
    public void Malformed_yaml_is_a_problem_never_an_exception(string yaml, string message)
    {
        Assert.Contains(Problems(yaml), p => p.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Only_the_first_document_is_read_as_the_cli_does()
    {
        var plan = Plan("version: \"3.9\"\nservices:\n  web:\n    image: a\n---\nnot: read\n");

        Assert.Single(plan.Services);
    }
}
