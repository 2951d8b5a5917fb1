using ControlPlane.Core.Changes;

namespace ControlPlane.Core.Stacks.Compose;

/// <summary>The problems and warnings found while reading one Compose file; every stage adds to the same list.</summary>
internal sealed class ComposeProblems
{
    private readonly List<InputProblem> problems = [];
    private readonly List<string> warnings = [];

    public IReadOnlyList<InputProblem> Problems => problems;

    public IReadOnlyList<string> Warnings => warnings;

    public bool Any => problems.Count > 0;

    public void Add(int line, int column, string key, string message) => problems.Add(new InputProblem(line, column, key, message));

    public void Add(ComposeNode? node, string key, string message) => Add(node?.Line ?? 0, node?.Column ?? 0, key, message);

    public void Warn(string warning)
    {
        if (!warnings.Contains(warning))
        {
            warnings.Add(warning);
        }
    }

    /// <summary>The problems in the order of the file, so a reader fixes them top to bottom.</summary>
    public IReadOnlyList<InputProblem> Sorted() =>
        problems.Distinct().OrderBy(p => p.Line).ThenBy(p => p.Column).ToList();
}
