using System.Globalization;
using System.Text.RegularExpressions;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Lifecycle;

/// <summary>
/// ${NAME.port} in a daemon's args, env or health command stands for NAME's allocated port, so one daemon is handed
/// another's port the way Aspire hands references around; $$ is a literal $. Any other $ is left as it is.
/// </summary>
internal static partial class PortWiring
{
    [GeneratedRegex(@"\$\$|\$\{(?<name>[A-Za-z0-9_][A-Za-z0-9._-]{0,63})\.port\}", RegexOptions.CultureInvariant)]
    private static partial Regex Token();

    /// <summary>The daemons whose ports <paramref name="spec"/> refers to.</summary>
    public static IReadOnlySet<string> References(DaemonSpec spec)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var text in Texts(spec))
            foreach (Match m in Token().Matches(text))
                if (m.Groups["name"].Success) names.Add(m.Groups["name"].Value);
        return names;
    }

    /// <summary>True if the spec has anything to expand ($$ included).</summary>
    public static bool HasTokens(DaemonSpec spec) => Texts(spec).Any(t => t.Contains('$'));

    /// <summary>
    /// The spec with every token expanded; <paramref name="portOf"/> answers a daemon's port (0 or null when it has
    /// none, which the caller must have ruled out by waiting for it to start).
    /// </summary>
    public static DaemonSpec Expand(DaemonSpec spec, Func<string, int?> portOf)
    {
        if (!HasTokens(spec)) return spec;
        string One(string text) => Token().Replace(text, m => m.Value == "$$"
            ? "$"
            : (portOf(m.Groups["name"].Value) ?? 0).ToString(CultureInfo.InvariantCulture));
        return spec with
        {
            Args = spec.Args.Select(One).ToArray(),
            Env = spec.Env.Select(One).ToArray(),
            HealthCmd = spec.HealthCmd?.Select(One).ToArray(),
        };
    }

    private static IEnumerable<string> Texts(DaemonSpec spec) =>
        spec.Args.Concat(spec.Env).Concat(spec.HealthCmd ?? []).Where(t => t is not null);
}
