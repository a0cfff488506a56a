using System.Globalization;
using System.Text.Json.Nodes;
using ActorSupervisor.Daemons;
using ActorSupervisor.Hosting;
using Microsoft.Extensions.Configuration;

namespace ActorSupervisor.Configuration;

/// <summary>
/// Reads <see cref="SupervisorOptions"/> from IConfiguration, where every value is a string and keys come in any case.
/// Settings are the keys of reference.conf (the one list), plus session_id and project_dir; daemons go through the
/// same reader as a spec file (<see cref="SpecReader"/>, with HOCON's string-to-number conversions), so a daemon in
/// appsettings.json is checked, named and refused exactly like one in a spec file.
/// </summary>
internal static class ConfigurationReader
{
    private static readonly string[] Extra = ["session-id", "project-dir", "daemons"];

    public static List<SpecProblem> Read(IConfiguration section, SupervisorOptions options)
    {
        var problems = new List<SpecProblem>();
        var known = SupervisorSettings.Keys.Concat(Extra).ToList();
        var byNormal = known.ToDictionary(Normal, k => k, StringComparer.Ordinal);
        var prefix = section is IConfigurationSection s ? s.Path + ":" : "";
        foreach (var child in section.GetChildren())
        {
            var where = prefix + child.Key;
            if (!byNormal.TryGetValue(Normal(child.Key), out var key))
            {
                problems.Add(new(where, null, $"is not a supervisor setting; {Spelling.Advice(child.Key.ToLowerInvariant().Replace('_', '-'), known)}"));
                continue;
            }
            if (key == "daemons")
            {
                var reader = new SpecReader(hocon: true, projectDir: null);
                options.Daemons = reader.ReadList(ToNode(child), where).ToList();
                problems.AddRange(reader.Problems);
                continue;
            }
            var text = child.Value;
            if (text is null)
            {
                problems.Add(new(where, null, "must be a single value, not a section"));
                continue;
            }
            if (Set(options, key, text) is { } problem) problems.Add(new(where, text, problem));
        }
        return problems;
    }

    /// <summary>Assigns one setting; returns what is wrong with the text, or null.</summary>
    private static string? Set(SupervisorOptions o, string key, string text)
    {
        const string duration = "must be a duration like 250ms, 5s or 1m";
        TimeSpan? Time() => Duration.TryParse(text, out var t) ? t : null;
        var inv = CultureInfo.InvariantCulture;
        switch (key)
        {
            case "session-id": o.SessionId = text; return null;
            case "project-dir": o.ProjectDir = text; return null;
            case "state-dir": o.StateDir = text; return null;
            case "health-interval": return (o.HealthInterval = Time()) is null ? duration : null;
            case "startup-probe-interval": return (o.StartupProbeInterval = Time()) is null ? duration : null;
            case "restart-backoff-min": return (o.RestartBackoffMin = Time()) is null ? duration : null;
            case "restart-backoff-max": return (o.RestartBackoffMax = Time()) is null ? duration : null;
            case "startup-timeout": return (o.StartupTimeout = Time()) is null ? duration : null;
            case "stable-period": return (o.StablePeriod = Time()) is null ? duration : null;
            case "stop-grace": return (o.StopGrace = Time()) is null ? duration : null;
            case "probe-timeout": return (o.ProbeTimeout = Time()) is null ? duration : null;
            case "settle-time": return (o.SettleTime = Time()) is null ? duration : null;
            case "max-restarts": return int.TryParse(text, NumberStyles.Integer, inv, out var m) ? Assign(() => o.MaxRestarts = m) : "must be a whole number";
            case "failure-threshold": return int.TryParse(text, NumberStyles.Integer, inv, out var f) ? Assign(() => o.FailureThreshold = f) : "must be a whole number";
            case "log-keep": return int.TryParse(text, NumberStyles.Integer, inv, out var k) ? Assign(() => o.LogKeep = k) : "must be a whole number";
            case "log-max-bytes": return long.TryParse(text, NumberStyles.Integer, inv, out var b) ? Assign(() => o.LogMaxBytes = b) : "must be a whole number of bytes";
            case "backoff-jitter": return double.TryParse(text, NumberStyles.Float, inv, out var j) ? Assign(() => o.BackoffJitter = j) : "must be a number from 0 to 1";
            default: return "is not read from configuration";
        }
    }

    private static string? Assign(Action set)
    {
        set();
        return null;
    }

    /// <summary>health_interval, health-interval, HealthInterval and HEALTH_INTERVAL are one key.</summary>
    private static string Normal(string key) => key.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();

    /// <summary>
    /// The daemons section as JSON: a section whose children are 0, 1, 2... is a list (that is how IConfiguration
    /// stores arrays), any other is an object, a value is a string. The field names of each daemon are lowered to NTM's
    /// snake_case (PascalCase and kebab-case included); keys below them (depends_on's daemon names) stay as written.
    /// </summary>
    private static JsonNode? ToNode(IConfigurationSection section, int depth = 0)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0) return section.Value is null ? null : JsonValue.Create(section.Value);
        if (children.All(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            return new JsonArray(children.OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture)).Select(c => ToNode(c, depth + 1)).ToArray());
        var obj = new JsonObject();
        // depth 1: a daemon of the list; its keys are spec fields.
        foreach (var child in children) obj[depth == 1 ? SnakeCase(child.Key) : child.Key] = ToNode(child, depth + 1);
        return obj;
    }

    private static string SnakeCase(string key)
    {
        // With a separator, or without small letters (an environment variable's NAME or HEALTH_URL), only lowering is
        // left; otherwise a capital after the first starts a word (a key without capitals goes through unchanged).
        if (key.Contains('_') || key.Contains('-') || !key.Any(char.IsLower)) return key.Replace('-', '_').ToLowerInvariant();
        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < key.Length; i++)
        {
            if (char.IsUpper(key[i]) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(key[i]));
        }
        return sb.ToString();
    }
}
