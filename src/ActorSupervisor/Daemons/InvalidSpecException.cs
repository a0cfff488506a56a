namespace ActorSupervisor.Daemons;

/// <summary>One problem with one field of the input, with the value that was refused.</summary>
public sealed record SpecProblem(string Field, string? Value, string Problem)
{
    public override string ToString() =>
        Value is null ? $"{Field}: {Problem}" : $"{Field}: {Problem} (got '{Value}')";
}

/// <summary>
/// Thrown when a config or spec is refused. The message lists every problem, each with the field and the value,
/// so one run of a bad file shows everything to fix. Nothing was started or written when this is thrown.
/// </summary>
public sealed class InvalidSpecException(string subject, IReadOnlyList<SpecProblem> problems)
    : Exception($"{subject} is invalid:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", problems))
{
    public string Subject { get; } = subject;
    public IReadOnlyList<SpecProblem> Problems { get; } = problems;
}
