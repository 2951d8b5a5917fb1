using static ControlPlane.Core.Tests.Stacks.ComposeTestFiles;

namespace ControlPlane.Core.Tests.Stacks;

/// <summary>${VAR} interpolation from the caller's variables only, with the CLI's rules, casts and positions.</summary>
public sealed class ComposeInterpolationTests
{
    private static readonly Dictionary<string, string> Variables = new()
    {
        ["TAG"] = "2",
        ["EMPTY"] = "",
        ["NAME"] = "shop",
        ["COUNT"] = "3",
        ["RO"] = "yes",
    };

    private static string Env(string value) => Web($"    environment: [\"X={value}\"]");

    [Theory]
    [InlineData("${TAG}", "X=2")]
    [InlineData("$TAG", "X=2")]
    [InlineData("v$TAG.x", "X=v2.x")]
    [InlineData("${MISSING:-fallback}", "X=fallback")]
    [InlineData("${EMPTY:-fallback}", "X=fallback")]
    [InlineData("${MISSING-fallback}", "X=fallback")]
    [InlineData("${EMPTY-fallback}", "X=")]
    [InlineData("${TAG:?must be set}", "X=2")]
    [InlineData("${EMPTY?only unset is an error}", "X=")]
    [InlineData("$$TAG costs $$5", "X=$TAG costs $5")]
    [InlineData("${NAME}_${TAG}", "X=shop_2")]
    public void Substitutions(string value, string expected)
    {
        AssertJson($"""["{expected}"]""", Spec(Env(value), variables: Variables)["TaskTemplate"]!["ContainerSpec"]!["Env"]);
    }

    [Fact]
    public void An_undefined_variable_without_a_default_is_a_problem_at_its_value_not_an_empty_string()
    {
        // The CLI substitutes "" and only warns; ControlPlane refuses, naming the line, column and key.
        var problem = Assert.Single(Problems(Web("    image: registry/app:${VERSION}"), Variables));

        Assert.Equal((5, 12, "services.web.image"), (problem.Line, problem.Column, problem.Key));
        Assert.Contains("VERSION is not set", problem.Message);
    }

    [Theory]
    [InlineData("${MISSING:?give the tag}", "required variable MISSING is missing a value: give the tag")]
    [InlineData("${EMPTY:?not empty}", "required variable EMPTY is missing a value: not empty")]
    [InlineData("${MISSING?unset}", "required variable MISSING is missing a value: unset")]
    [InlineData("${", "invalid interpolation format")]
    [InlineData("$ sign", "invalid interpolation format")]
    public void Required_variables_and_bad_templates_are_problems_with_their_message(string value, string message)
    {
        var problem = Assert.Single(Problems(Env(value), Variables));

        Assert.Equal("services.web.environment.0", problem.Key);
        Assert.Contains(message, problem.Message);
    }

    [Fact]
    public void Values_are_cast_where_the_cli_casts_them_after_a_substitution()
    {
        var spec = Spec(Web("""
                read_only: $RO
                deploy:
                  replicas: ${COUNT}
                  update_config: {parallelism: "${COUNT}", max_failure_ratio: "0.${TAG}"}
                ports:
                  - target: ${COUNT}000
                    published: 3${COUNT}000
            """), variables: Variables);

        Assert.Equal(3, (long)spec["Mode"]!["Replicated"]!["Replicas"]!);
        Assert.True((bool)spec["TaskTemplate"]!["ContainerSpec"]!["ReadOnly"]!);
        Assert.Equal(3, (long)spec["UpdateConfig"]!["Parallelism"]!);
        Assert.Equal(0.2f, (float)spec["UpdateConfig"]!["MaxFailureRatio"]!);
        AssertJson("""{"Ports": [{"TargetPort": 3000, "PublishedPort": 33000}]}""", spec["EndpointSpec"]);
    }

    [Fact]
    public void A_cast_that_fails_is_a_problem_and_a_quoted_number_without_a_variable_is_still_a_string()
    {
        var failed = Assert.Single(Problems(Web("    deploy: {replicas: \"${NAME}\"}"), Variables));
        var quoted = Assert.Single(Problems(Web("    deploy: {replicas: \"2\"}"), Variables));

        Assert.Equal("services.web.deploy.replicas", failed.Key);
        Assert.Contains("must be an integer", failed.Message);
        Assert.Contains("must be an integer", quoted.Message);
    }

    [Fact]
    public void Names_of_external_objects_can_come_from_variables()
    {
        var plan = Plan(Web("    secrets: [token]", """
            secrets:
              token:
                external: true
                name: ${NAME}-token
            """), Variables);

        Assert.Equal("shop-token", Assert.Single(plan.References).Name);
        Assert.Equal("shop-token", (string?)plan.Services[0].Spec["TaskTemplate"]!["ContainerSpec"]!["Secrets"]![0]!["SecretName"]);
    }

    [Fact]
    public void Every_undefined_variable_in_the_file_is_reported()
    {
        var problems = Problems(Web("""
                hostname: $A
                user: ${B}
            """), Variables);

        Assert.Equal(["services.web.hostname", "services.web.user"], problems.Select(p => p.Key));
    }
}
