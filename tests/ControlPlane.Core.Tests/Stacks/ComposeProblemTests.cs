using ControlPlane.Core.Changes;
using ControlPlane.Core.Stacks;
using static ControlPlane.Core.Tests.Stacks.ComposeTestFiles;

namespace ControlPlane.Core.Tests.Stacks;

/// <summary>Every class of problem, each with the line, column and dotted key of the source, and all of them at once.</summary>
public sealed class ComposeProblemTests
{
    private static (int Line, int Column, string Key) Where(InputProblem problem) => (problem.Line, problem.Column, problem.Key);

    [Fact]
    public void A_wrong_type_names_the_key_and_points_at_the_value()
    {
        var problem = Assert.Single(Problems(Web("""
                deploy:
                  replicas: many
            """)));

        Assert.Equal((6, 17, "services.web.deploy.replicas"), Where(problem));
        Assert.Contains("must be an integer", problem.Message);
    }

    [Fact]
    public void An_unknown_key_suggests_the_nearest_known_one()
    {
        var problem = Assert.Single(Problems(Web("""
                deploy:
                  replica: 2
            """)));

        Assert.Equal((6, 7, "services.web.deploy.replica"), Where(problem));
        Assert.Contains("did you mean replicas?", problem.Message);
    }

    [Fact]
    public void All_problems_are_reported_in_the_order_of_the_file_not_only_the_first()
    {
        var problems = Problems("""
            version: "3.9"
            services:
              web:
                image: a
                ports: ["99999:80"]
                networks: [nowhere]
                deploy: {replicas: -1, mode: sometimes}
              api:
                imagee: b
            """);

        Assert.Equal(
            [
                (5, 13, "services.web.ports.0"),
                (6, 16, "services.web.networks"),
                (7, 24, "services.web.deploy.replicas"),
                (7, 34, "services.web.deploy.mode"),
                (8, 3, "services.api.image"),
                (9, 5, "services.api.imagee"),
            ],
            problems.Select(Where));
    }

    [Fact]
    public void A_yaml_syntax_error_points_at_its_place()
    {
        var problem = Assert.Single(Problems("version: \"3.9\"\nservices:\n  web:\n    image: [a, b\n    ports: x\n"));

        Assert.True(problem.Line >= 4, problem.ToString());
        Assert.StartsWith("YAML syntax", problem.Message);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("# only a comment\n", "empty")]
    [InlineData("- a\n- b\n", "must be a mapping")]
    [InlineData("just text", "must be a mapping")]
    public void A_file_that_is_not_a_mapping_is_a_problem(string yaml, string message)
    {
        Assert.Contains(message, Assert.Single(Problems(yaml)).Message);
    }

    [Theory]
    [InlineData("services: {}", "version is required")]
    [InlineData("version: \"2.4\"\nservices: {}", "unsupported Compose file version: 2.4")]
    [InlineData("version: \"3.10\"\nservices: {}", "unsupported Compose file version: 3.10")]
    [InlineData("version: 3.8\nservices: {}", "must be a string")]
    public void Versions_the_cli_refuses(string yaml, string message)
    {
        Assert.Contains(Problems(yaml), p => p.Message.Contains(message, StringComparison.Ordinal) && p.Key == "version");
    }

    [Fact]
    public void A_service_without_an_image_is_a_problem()
    {
        var problem = Assert.Single(Problems("version: \"3.9\"\nservices:\n  web:\n    build: .\n"));

        Assert.Equal((3, 3, "services.web.image"), Where(problem));
    }

    [Fact]
    public void Names_docker_refuses_stack_service_and_length()
    {
        Assert.Contains(Problems(Web(""), stack: "bad stack"), p => p.Key == "name");
        var service = Assert.Single(Problems("version: \"3.9\"\nservices:\n  web.api:\n    image: a\n"));
        Assert.Equal((3, 3, "services.web.api"), Where(service));
        var longName = new string('s', 60);
        // Both the service and the default network would be too long.
        Assert.Equal(["networks.default", "services.web"], Problems(Web(""), stack: longName).Where(p => p.Message.Contains("at most 63", StringComparison.Ordinal)).Select(p => p.Key).Order());
    }

    [Fact]
    public void References_to_objects_not_defined_at_the_top_level()
    {
        var problems = Problems(Web("""
                networks: [front]
                volumes: ["data:/data"]
                secrets: [token]
                configs: [{source: settings}]
            """));

        Assert.Equal(
            [
                (5, 16, "services.web.networks", "undefined network \"front\""),
                (6, 15, "services.web.volumes.0", "undefined volume \"data\""),
                (7, 15, "services.web.secrets.0", "undefined secret \"token\""),
                (8, 15, "services.web.configs.0", "undefined config \"settings\""),
            ],
            problems.Select(p => (p.Line, p.Column, p.Key, p.Message[..p.Message.IndexOf(':')])));
    }

    [Fact]
    public void A_secret_from_a_file_is_refused_with_a_family_suggested()
    {
        var problem = Assert.Single(Problems(Web("""
                secrets: [token]
            """, """
            secrets:
              token:
                file: ./token.txt
            """)));

        Assert.Equal((8, 5, "secrets.token.file"), Where(problem));
        Assert.Contains("create a secret family on the Secrets page and name it here with external: true", problem.Message);
    }

    [Fact]
    public void Keys_docker_stack_deploy_refuses_outright()
    {
        var problem = Assert.Single(Problems(Web("    mem_limit: 512m")));

        Assert.Equal("services.web.mem_limit", problem.Key);
        Assert.Contains("deploy.resources", problem.Message);
    }

    [Theory]
    [InlineData("    stop_grace_period: 10 seconds", "services.web.stop_grace_period", "not a duration")]
    [InlineData("    deploy: {resources: {limits: {memory: lots}}}", "services.web.deploy.resources.limits.memory", "not a size")]
    [InlineData("    deploy: {resources: {limits: {cpus: 0.5}}}", "services.web.deploy.resources.limits.cpus", "must be a string")]
    [InlineData("    deploy: {resources: {limits: {cpus: \"0.0000000001\"}}}", "services.web.deploy.resources.limits.cpus", "too precise")]
    [InlineData("    ports: [\"80:80:80:80\"]", "services.web.ports.0", "invalid")]
    [InlineData("    volumes: [\"./data:/data\"]", "services.web.volumes.0", "relative")]
    [InlineData("    volumes: [\"data:/b:ro:extra\"]", "services.web.volumes.0", "too many colons")]
    [InlineData("    environment: {FLAG: yes}", "services.web.environment.FLAG", "boolean")]
    [InlineData("    command: echo 'unterminated", "services.web.command", "closing quote")]
    [InlineData("    env_file: .env", "services.web.env_file", "author's machine")]
    [InlineData("    healthcheck: {test: [CMD, x], disable: true}", "services.web.healthcheck.disable", "can't be set at the same time")]
    [InlineData("    deploy: {mode: global, replicas: 2}", "services.web.deploy.replicas", "replicated")]
    [InlineData("    deploy: {update_config: {order: random}}", "services.web.deploy.update_config.order", "start-first")]
    [InlineData("    secrets: [a, {source: a}]", "services.web.secrets.1", "duplicate secret target")]
    public void Values_the_cli_cannot_convert(string body, string key, string message)
    {
        var extra = body.Contains("secrets", StringComparison.Ordinal) ? "secrets:\n  a: {external: true}" : "";
        var problem = Assert.Single(Problems(Web(body, extra)));

        Assert.Equal(key, problem.Key);
        Assert.Contains(message, problem.Message);
        Assert.True(problem.Line >= 5 && problem.Column > 1, problem.ToString());
    }

    [Fact]
    public void A_non_string_key_is_a_problem_as_in_yaml_v2()
    {
        var problem = Assert.Single(Problems("version: \"3.9\"\nservices:\n  on:\n    image: a\n"));

        Assert.Equal((3, 3), (problem.Line, problem.Column));
        Assert.Contains("boolean", problem.Message);
    }

    [Fact]
    public void External_settings_that_conflict()
    {
        var problems = Problems(Web("    volumes: [\"data:/data\"]", """
            volumes:
              data:
                external: true
                driver: local
            networks:
              out:
                external: {name: a}
                name: b
            """));

        Assert.Contains(problems, p => p.Key == "volumes.data.driver" && p.Message.Contains("conflicting parameters", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Key == "networks.out.external.name" && p.Message.Contains("conflict", StringComparison.Ordinal));
    }

    [Fact]
    public void Problems_mean_no_plan()
    {
        var result = ComposeConverter.Convert("shop", Web("    replicas: 2"), NoVariables);

        Assert.Null(result.Plan);
        Assert.Equal("services.web.replicas", Assert.Single(result.Problems).Key);
    }
}
