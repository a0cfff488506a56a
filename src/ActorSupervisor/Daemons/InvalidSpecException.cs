using System.Globalization;
using System.Text;

namespace ActorSupervisor.Daemons;

/// <summary>One problem with one field of the input, with the value that was refused.</summary>
/// <param name="Field">
/// Where the problem is, as the input names it: a config property (<c>MaxRestarts</c>), or a path into a spec list
/// (<c>[2].health_url</c>, <c>Daemons[0].depends_on.db</c>).
/// </param>
/// <param name="Value">The refused value as text, or null when there is none to show (a missing field, a whole file).</param>
/// <param name="Problem">What is wrong, in words: "is required", "must be between 0 and 65535".</param>
public sealed record SpecProblem(string Field, string? Value, string Problem)
{
    /// <summary>Longer values are cut in messages: a refused value is there to be recognised, not read in full.</summary>
    internal const int ShownLength = 120;

    // Field and problem are shown safely too: a key, or a parser's message quoting the text it stopped at, comes from
    // the file as much as a value does.
    /// <summary>
    /// The problem on one line, <c>field: problem (got 'value')</c>, safe to print: control characters are escaped and
    /// long values cut, since field and value come from untrusted input.
    /// </summary>
    public override string ToString() =>
        Value is null ? $"{Show(Field)}: {Show(Problem, 4 * ShownLength)}" : $"{Show(Field)}: {Show(Problem, 4 * ShownLength)} (got '{Show(Value)}')";

    /// <summary>
    /// A value as it can safely be printed on one line: control characters (a newline in a name, an escape sequence
    /// that would repaint the terminal) escaped as \n or \u001b, and long values cut with their length given. Showing
    /// a shown value again changes nothing (backslashes are left as they are), so subjects may be shown twice.
    /// </summary>
    internal static string Show(string value, int maxLength = ShownLength)
    {
        var shown = new StringBuilder(Math.Min(value.Length, maxLength) + 16);
        var i = 0;
        for (; i < value.Length && i < maxLength; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '\n': shown.Append("\\n"); break;
                case '\r': shown.Append("\\r"); break;
                case '\t': shown.Append("\\t"); break;
                default:
                    // Control characters, and the bidirectional overrides that make text read differently than it is.
                    if (char.IsControl(c) || c is >= '\u202a' and <= '\u202e' or >= '\u2066' and <= '\u2069' || char.IsSurrogate(c) && !IsPaired(value, i))
                        shown.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else shown.Append(c);
                    break;
            }
        }
        if (i < value.Length)
            shown.Append(CultureInfo.InvariantCulture, $"... ({value.Length} characters)");
        return shown.ToString();
    }

    private static bool IsPaired(string s, int i) =>
        char.IsHighSurrogate(s[i]) ? i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])
        : i > 0 && char.IsHighSurrogate(s[i - 1]);
}

/// <summary>
/// Thrown when a config or spec is refused. The message lists every problem, each with the field and the value,
/// so one run of a bad file shows everything to fix. Nothing was started or written when this is thrown.
/// </summary>
/// <param name="subject">What was refused, for the message's first line.</param>
/// <param name="problems">Every problem found, each naming its field and value.</param>
public sealed class InvalidSpecException(string subject, IReadOnlyList<SpecProblem> problems)
    : Exception(Format(subject, problems))
{
    /// <summary>A file with thousands of bad entries lists this many; the rest are counted.</summary>
    internal const int ProblemsShown = 50;

    /// <summary>What was refused: "Daemon specs", a spec file's path, "Supervisor options".</summary>
    public string Subject { get; } = subject;

    /// <summary>Every problem found, in input order; the message shows the first 50.</summary>
    public IReadOnlyList<SpecProblem> Problems { get; } = problems;

    private static string Format(string subject, IReadOnlyList<SpecProblem> problems)
    {
        var lines = problems.Take(ProblemsShown).Select(p => p.ToString()).ToList();
        if (problems.Count > ProblemsShown) lines.Add($"... and {problems.Count - ProblemsShown} more problems");
        return $"{SpecProblem.Show(subject, 4096)} is invalid:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", lines);
    }
}
