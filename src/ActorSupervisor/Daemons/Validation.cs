using System.Net;
using System.Text.RegularExpressions;

namespace ActorSupervisor.Daemons;

/// <summary>Refuses bad input before anything is started or written.</summary>
internal static partial class Validation
{
    // Names end up in file names and actor paths, so the alphabet is deliberately small. \z, not $: in .NET `$` also
    // matches before a final newline, which let "web\n" through to Akka's actor-name check.
    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex SafeName();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex EnvKey();

    public static bool IsSafeName(string? name) => name is not null && SafeName().IsMatch(name);

    public static IReadOnlyList<SpecProblem> Problems(SupervisorConfig config)
    {
        var problems = new List<SpecProblem>();
        if (string.IsNullOrWhiteSpace(config.SessionId))
            problems.Add(new("SessionId", config.SessionId, "is required"));
        else if (!IsSafeName(config.SessionId))
            problems.Add(new("SessionId", config.SessionId,
                "must be 1 to 64 of [A-Za-z0-9._-], not starting with '.' or '-' (it is used in file names)"));
        if (string.IsNullOrWhiteSpace(config.ProjectDir))
            problems.Add(new("ProjectDir", config.ProjectDir, "is required"));
        else if (!Directory.Exists(config.ProjectDir))
            problems.Add(new("ProjectDir", config.ProjectDir, "does not exist"));

        NonNegative(problems, "HealthInterval", config.HealthInterval);
        NonNegative(problems, "RestartBackoffMax", config.RestartBackoffMax);
        NonNegative(problems, "RestartBackoffMin", config.RestartBackoffMin);
        NonNegative(problems, "StartupTimeout", config.StartupTimeout);
        NonNegative(problems, "StablePeriod", config.StablePeriod);
        NonNegative(problems, "StopGrace", config.StopGrace);
        NonNegative(problems, "ProbeTimeout", config.ProbeTimeout);
        NonNegative(problems, "SettleTime", config.SettleTime);
        NonNegative(problems, "StartupProbeInterval", config.StartupProbeInterval);
        if (config.FailureThreshold < 0) problems.Add(new("FailureThreshold", Str(config.FailureThreshold), "must not be negative"));
        if (config.LogMaxBytes < 0) problems.Add(new("LogMaxBytes", Str(config.LogMaxBytes), "must not be negative"));
        if (config.LogKeep < 0) problems.Add(new("LogKeep", Str(config.LogKeep), "must not be negative"));
        if (config.BackoffJitter is < 0 or > 1 || double.IsNaN(config.BackoffJitter))
            problems.Add(new("BackoffJitter", Str(config.BackoffJitter), "must be between 0 and 1"));
        if (config.RestartBackoffMin > TimeSpan.Zero && config.RestartBackoffMax > TimeSpan.Zero
            && config.RestartBackoffMin > config.RestartBackoffMax)
            problems.Add(new("RestartBackoffMin", config.RestartBackoffMin.ToString(), "must not exceed RestartBackoffMax"));
        return problems;
    }

    /// <summary>
    /// Problems with one spec; <paramref name="prefix"/> locates it in a file ("[2]"). A relative work_dir is checked
    /// against <paramref name="projectDir"/>, as <see cref="DaemonSpec.ResolveWorkDir"/> resolves it at launch; without
    /// a project dir only its form is checked (the session checks it again with its own).
    /// </summary>
    public static IReadOnlyList<SpecProblem> Problems(DaemonSpec? spec, string prefix = "", string? projectDir = null)
    {
        var problems = new List<SpecProblem>();
        string F(string field) => string.IsNullOrEmpty(prefix) ? field : $"{prefix}.{field}";
        if (spec is null)
        {
            problems.Add(new(string.IsNullOrEmpty(prefix) ? "spec" : prefix, null, "is missing"));
            return problems;
        }

        if (!IsSafeName(spec.Name))
            problems.Add(new(F("name"), spec.Name,
                "must be 1 to 64 of [A-Za-z0-9._-], not starting with '.' or '-'"));
        if (string.IsNullOrWhiteSpace(spec.Command))
            problems.Add(new(F("command"), spec.Command, "is required"));
        else if (spec.Command.Contains('\0'))
            problems.Add(new(F("command"), spec.Command, "contains a NUL character"));
        for (var i = 0; i < spec.Args.Count; i++)
            if (spec.Args[i] is null || spec.Args[i].Contains('\0'))
                problems.Add(new($"{F("args")}[{i}]", spec.Args[i], "must be a string without NUL characters"));
        if (spec.DefaultPort is < 0 or > 65535)
            problems.Add(new(F("default_port"), Str(spec.DefaultPort), "must be between 0 and 65535"));
        if (spec.RequirePort && spec.DefaultPort == 0)
            problems.Add(new(F("require_port"), "true", "needs a default_port to require"));
        if (spec.PortFlag is { Length: > 0 } flag && (flag.Contains('\0') || string.IsNullOrWhiteSpace(flag)))
            problems.Add(new(F("port_flag"), flag, "must be a flag such as --port"));

        if (!string.IsNullOrEmpty(spec.HealthUrl))
        {
            if (spec.HealthUrl.StartsWith('/'))
            {
                if (!spec.WantsPort)
                    problems.Add(new(F("health_url"), spec.HealthUrl,
                        "is a path, which needs a port: set default_port, port_flag or needs_port"));
            }
            else if (!Uri.TryCreate(spec.HealthUrl, UriKind.Absolute, out var uri)
                     || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                problems.Add(new(F("health_url"), spec.HealthUrl, "must be a path (/health) or an http(s) URL"));
            else if (!IsLoopback(uri.Host))
                problems.Add(new(F("health_url"), spec.HealthUrl, "must point at a loopback host (127.0.0.1, ::1 or localhost)"));
        }

        if (spec.HealthCmd is not null)
        {
            if (spec.HealthCmd.Count == 0 || string.IsNullOrWhiteSpace(spec.HealthCmd[0]))
                problems.Add(new(F("health_cmd"), "[]", "must be a non-empty argv (command first)"));
            else if (spec.HealthCmd.Any(a => a is null || a.Contains('\0')))
                problems.Add(new(F("health_cmd"), string.Join(' ', spec.HealthCmd), "must be strings without NUL characters"));
        }

        if (!Enum.IsDefined(spec.Lifetime))
            problems.Add(new(F("lifetime"), Str((int)spec.Lifetime), "must be persistent or ephemeral"));

        for (var i = 0; i < spec.Env.Count; i++)
        {
            var entry = spec.Env[i] ?? "";
            var eq = entry.IndexOf('=');
            if (eq <= 0 || !EnvKey().IsMatch(entry[..eq]) || entry.Contains('\0'))
                problems.Add(new($"{F("env")}[{i}]", entry, "must be KEY=VALUE with KEY of [A-Za-z0-9_] not starting with a digit"));
        }

        if (!string.IsNullOrEmpty(spec.WorkDir))
        {
            if (spec.WorkDir.Contains('\0'))
                problems.Add(new(F("work_dir"), spec.WorkDir, "contains a NUL character"));
            else if (Path.IsPathRooted(spec.WorkDir) || !string.IsNullOrEmpty(projectDir))
            {
                var dir = spec.ResolveWorkDir(string.IsNullOrEmpty(projectDir) ? "/" : projectDir);
                var shown = dir == spec.WorkDir ? "" : $" ({dir})";
                if (File.Exists(dir))
                    problems.Add(new(F("work_dir"), spec.WorkDir, $"is a file, not a directory{shown}"));
                else if (!Directory.Exists(dir))
                    problems.Add(new(F("work_dir"), spec.WorkDir,
                        Path.IsPathRooted(spec.WorkDir) ? "does not exist" : $"does not exist{shown}; a relative work_dir is relative to the project dir"));
            }
        }
        OrchestrationProblems(spec, F, problems);
        return problems;
    }

    public static void EnsureValid(SupervisorConfig config)
    {
        var problems = Problems(config);
        if (problems.Count > 0) throw new InvalidSpecException("Supervisor config", problems);
    }

    public static void EnsureValid(DaemonSpec? spec, string? projectDir = null)
    {
        var problems = Problems(spec, "", projectDir);
        if (problems.Count > 0) throw new InvalidSpecException($"Daemon spec '{SpecProblem.Show(spec?.Name ?? "")}'", problems);
    }

    /// <summary>Validates a whole list, including that names are unique, and throws with every problem found.</summary>
    public static void EnsureValid(IReadOnlyList<DaemonSpec?> specs, string subject, string? projectDir = null)
    {
        var problems = Problems(specs, projectDir);
        if (problems.Count > 0) throw new InvalidSpecException(subject, problems);
    }

    /// <summary>
    /// Every problem of a list of specs, each entry located as <c>{listPath}[i]</c>, including names used twice.
    /// </summary>
    public static IReadOnlyList<SpecProblem> Problems(IReadOnlyList<DaemonSpec?> specs, string? projectDir, string listPath = "")
    {
        var problems = new List<SpecProblem>();
        for (var i = 0; i < specs.Count; i++)
            problems.AddRange(Problems(specs[i], $"{listPath}[{i}]", projectDir));
        problems.AddRange(DuplicateNames(specs, listPath));
        problems.AddRange(GraphProblems(specs, listPath));
        return problems;
    }

    /// <summary>A name used by two entries of one list: both would own the same PID file and actor.</summary>
    public static IReadOnlyList<SpecProblem> DuplicateNames(IReadOnlyList<DaemonSpec?> specs, string listPath = "")
    {
        var problems = new List<SpecProblem>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < specs.Count; i++)
        {
            if (specs[i]?.Name is not { Length: > 0 } name) continue;
            if (seen.TryGetValue(name, out var first))
                problems.Add(new($"{listPath}[{i}].name", name, $"is used twice (also by {listPath}[{first}])"));
            else
                seen[name] = i;
        }
        return problems;
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    private static void NonNegative(List<SpecProblem> problems, string field, TimeSpan value)
    {
        if (value < TimeSpan.Zero) problems.Add(new(field, value.ToString(), "must not be negative"));
        else if (value > Configuration.Duration.Longest) problems.Add(new(field, value.ToString(), "must be at most 24 hours"));
    }

    private static string Str(IFormattable value) => value.ToString(null, System.Globalization.CultureInfo.InvariantCulture);
}
