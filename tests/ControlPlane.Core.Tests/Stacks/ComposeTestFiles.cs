using System.Text.Json.Nodes;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Stacks;

namespace ControlPlane.Core.Tests.Stacks;

/// <summary>Converting small Compose texts in tests: the plan (which must have no problems), one service's spec, or the problems.</summary>
internal static class ComposeTestFiles
{
    public static readonly IReadOnlyDictionary<string, string> NoVariables = new Dictionary<string, string>();

    public static StackPlan Plan(string yaml, IReadOnlyDictionary<string, string>? variables = null, string stack = "shop")
    {
        var result = ComposeConverter.Convert(stack, yaml, variables ?? NoVariables);
        Assert.True(result.Problems.Count == 0, string.Join("\n", result.Problems));
        Assert.NotNull(result.Plan);
        return result.Plan;
    }

    public static JsonObject Spec(string yaml, string service = "web", IReadOnlyDictionary<string, string>? variables = null) =>
        Plan(yaml, variables).Services.Single(s => s.Name == $"shop_{service}").Spec;

    public static JsonObject Container(string yaml, string service = "web") =>
        (JsonObject)Spec(yaml, service)["TaskTemplate"]!["ContainerSpec"]!;

    public static IReadOnlyList<InputProblem> Problems(string yaml, IReadOnlyDictionary<string, string>? variables = null, string stack = "shop")
    {
        var result = ComposeConverter.Convert(stack, yaml, variables ?? NoVariables);
        Assert.Null(result.Plan);
        Assert.NotEmpty(result.Problems);
        return result.Problems;
    }

    /// <summary>A service named web with these lines under it (indented by the caller as in the file).</summary>
    public static string Web(string body, string extra = "") => $"""
        version: "3.9"
        services:
          web:
            image: 10.99.0.1:5000/demo/app:1
        {body}
        {extra}
        """;

    public static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {JsonNode.Parse(expected)?.ToJsonString()}\nactual   {actual?.ToJsonString()}");
}
