using System.Text.RegularExpressions;
using ActorSupervisor.Health;
using ActorSupervisor.Lifecycle;
using ActorSupervisor.Processes;

namespace ActorSupervisor.Daemons;

internal static partial class Validation
{
    [GeneratedRegex(@"\$\{(?<inner>[^}]*)\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}\.port\z")]
    private static partial Regex PortPlaceholder();

    /// <summary>The orchestration fields of one spec: each on its own, without knowledge of the other daemons.</summary>
    private static void OrchestrationProblems(DaemonSpec spec, Func<string, string> field, List<SpecProblem> problems)
    {
        foreach (var (name, _) in spec.DependsOn)
        {
            if (!IsSafeName(name))
                problems.Add(new(field($"depends_on.{name}"), name, "must name a daemon (1 to 64 of [A-Za-z0-9._-])"));
            else if (name == spec.Name)
                problems.Add(new(field($"depends_on.{name}"), name, "a daemon cannot depend on itself"));
        }
        if (spec.StopSignal is { } signal && StopSignals.Parse(signal) is null)
            problems.Add(new(field("stop_signal"), signal, $"must be one of {string.Join(", ", StopSignals.Names)}"));
        Positive(problems, field("startup_timeout"), spec.StartupTimeout);
        Positive(problems, field("health_interval"), spec.HealthInterval);
        Positive(problems, field("health_timeout"), spec.HealthTimeout);
        Positive(problems, field("backoff_min"), spec.BackoffMin);
        Positive(problems, field("backoff_max"), spec.BackoffMax);
        if (spec.StopGrace is { } grace && grace < TimeSpan.Zero)
            problems.Add(new(field("stop_grace"), Configuration.Duration.Format(grace), "must not be negative"));
        else if (spec.StopGrace > Configuration.Duration.Longest)
            problems.Add(new(field("stop_grace"), Configuration.Duration.Format(spec.StopGrace.Value), "must be at most 24h"));
        if (spec.BackoffMin is { } min && spec.BackoffMax is { } max && min > max)
            problems.Add(new(field("backoff_min"), Configuration.Duration.Format(min),
                $"must not exceed backoff_max ({Configuration.Duration.Format(max)})"));
        if (spec.MaxRestarts is < 0)
            problems.Add(new(field("max_restarts"), Str(spec.MaxRestarts.Value), "must not be negative (0 means never restart)"));
        if (spec.HealthTcp is { } tcp && !HealthTcp.Parse(tcp, out _, out var tcpProblem))
            problems.Add(new(field("health_tcp"), tcp, tcpProblem!));
        else if (spec.HealthTcp is "port" && !spec.WantsPort)
            problems.Add(new(field("health_tcp"), spec.HealthTcp, "names the daemon's own port, which needs one: set default_port, port_flag or needs_port"));
        if (spec.HealthMcp && !spec.WantsPort)
            problems.Add(new(field("health_mcp"), "true", "probes the daemon's own port, which needs one: set default_port, port_flag or needs_port"));
        if (spec.EnvFile is { } envFile && (string.IsNullOrWhiteSpace(envFile) || envFile.Contains('\0')))
            problems.Add(new(field("env_file"), envFile, "must be a file path"));

        // ${...} placeholders: only ${NAME.port} means something; anything else is almost certainly a typo.
        foreach (var (text, where) in Texts(spec, field))
            foreach (Match m in Placeholder().Matches(text.Replace("$$", "", StringComparison.Ordinal)))
                if (!PortPlaceholder().IsMatch(m.Groups["inner"].Value))
                    problems.Add(new(where, text, $"'{m.Value}' is not a port reference: write ${{NAME.port}}, or $$ for a literal $"));
    }

    /// <summary>
    /// What only shows across a list of specs: dependencies and port references that name no daemon of the list,
    /// ports taken from daemons that have none, "completed" waited for from a daemon that never completes, and
    /// dependency cycles (named, all the way round).
    /// </summary>
    public static IReadOnlyList<SpecProblem> GraphProblems(IReadOnlyList<DaemonSpec?> specs, string listPath = "")
    {
        var problems = new List<SpecProblem>();
        var byName = new Dictionary<string, DaemonSpec>(StringComparer.Ordinal);
        foreach (var spec in specs)
            if (spec is not null && IsSafeName(spec.Name)) byName.TryAdd(spec.Name, spec);

        for (var i = 0; i < specs.Count; i++)
        {
            if (specs[i] is not { } spec) continue;
            foreach (var (name, condition) in spec.DependsOn)
            {
                if (!IsSafeName(name) || name == spec.Name) continue; // said already
                if (!byName.TryGetValue(name, out var dependency))
                    problems.Add(new($"{listPath}[{i}].depends_on.{name}", name, $"names no daemon in this file{Suggest(name, byName.Keys)}"));
                else if (condition == DependencyCondition.Completed && dependency.Restart == RestartPolicy.Always)
                    problems.Add(new($"{listPath}[{i}].depends_on.{name}", "completed",
                        $"daemon '{name}' never completes (its restart is always); give it restart: on-failure or never"));
            }
            foreach (var name in PortWiring.References(spec))
            {
                if (!byName.TryGetValue(name, out var target))
                    problems.Add(new($"{listPath}[{i}]", $"${{{name}.port}}", $"refers to no daemon in this file{Suggest(name, byName.Keys)}"));
                else if (!target.WantsPort)
                    problems.Add(new($"{listPath}[{i}]", $"${{{name}.port}}", $"daemon '{name}' has no port (set default_port, port_flag or needs_port on it)"));
            }
        }
        if (Dependencies.FindCycle(byName.Values) is { } cycle)
            problems.Add(new("depends_on", cycle, "is a dependency cycle: no daemon in it could ever start"));
        return problems;
    }

    private static IEnumerable<(string Text, string Where)> Texts(DaemonSpec spec, Func<string, string> field)
    {
        for (var i = 0; i < spec.Args.Count; i++) if (spec.Args[i] is { } a) yield return (a, $"{field("args")}[{i}]");
        for (var i = 0; i < spec.Env.Count; i++) if (spec.Env[i] is { } e) yield return (e, $"{field("env")}[{i}]");
        if (spec.HealthCmd is { } cmd)
            for (var i = 0; i < cmd.Count; i++) if (cmd[i] is { } c) yield return (c, $"{field("health_cmd")}[{i}]");
    }

    private static void Positive(List<SpecProblem> problems, string field, TimeSpan? value)
    {
        if (value is { } v && v <= TimeSpan.Zero)
            problems.Add(new(field, Configuration.Duration.Format(v), "must be longer than zero"));
        else if (value > Configuration.Duration.Longest)
            problems.Add(new(field, Configuration.Duration.Format(value.Value), "must be at most 24h"));
    }

    private static string Suggest(string name, IEnumerable<string> known) =>
        Configuration.Spelling.Nearest(name, known) is { } near ? $" (did you mean '{near}'?)" : "";
}
