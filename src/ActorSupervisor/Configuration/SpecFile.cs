using System.Text;
using System.Text.Json;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using ActorSupervisor.Serialization;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Configuration;

/// <summary>
/// Reads daemon specs from a file: a JSON array of DaemonSpec with NTM's names, or a HOCON file (.conf) with
/// `actorsupervisor.daemons = [ ... ]` next to supervisor settings. Every problem comes back at once, each naming the
/// file, the entry and the field; nothing is started from a file that has one.
/// </summary>
public static class SpecFile
{
    private static readonly SpecJsonContext Json = SpecJsonContext.Default;

    public sealed record Contents(IReadOnlyList<DaemonSpec> Specs, Config Settings);

    public static Contents Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidSpecException($"Spec file {path}", [new SpecProblem("file", path, e.Message)]);
        }
        return path.EndsWith(".conf", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".hocon", StringComparison.OrdinalIgnoreCase)
            ? ParseHocon(text, path)
            : new Contents(ParseJson(text, path), Config.Empty);
    }

    public static IReadOnlyList<DaemonSpec> ParseJson(string json, string source)
    {
        List<DaemonSpec?>? specs;
        try
        {
            specs = JsonSerializer.Deserialize(json, Json.ListDaemonSpec);
        }
        catch (JsonException e)
        {
            // e.Path is like "$[1].default_port": the entry and the field. For text that is not JSON at all the path
            // means little, and the line and column are what help.
            var where = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "file" : e.Path.TrimStart('$');
            var at = e.LineNumber is { } line ? $" (line {line + 1}, column {e.BytePositionInLine + 1})" : "";
            throw new InvalidSpecException($"Spec file {source}", [new SpecProblem(where, null, FirstSentence(e.Message) + at)]);
        }
        if (specs is null)
            throw new InvalidSpecException($"Spec file {source}", [new SpecProblem("file", "null", "must be a JSON array of daemon specs")]);
        // JSON null for a list means "none", as Go's encoder writes an empty slice.
        var normalized = specs.Select(s => s is null ? null : s with { Args = s.Args ?? [], Env = s.Env ?? [] }).ToList();
        Validation.EnsureValid(normalized, $"Spec file {source}");
        return normalized!;
    }

    public static Contents ParseHocon(string hocon, string source)
    {
        Config config;
        try { config = ConfigurationFactory.ParseString(hocon); }
        catch (Exception e)
        {
            throw new InvalidSpecException($"Spec file {source}", [new SpecProblem("file", null, $"is not valid HOCON: {FirstSentence(e.Message)}")]);
        }
        var daemons = config.GetValue($"{SupervisorSettings.Section}.daemons");
        if (daemons is null || !daemons.IsArray())
            throw new InvalidSpecException($"Spec file {source}",
                [new SpecProblem($"{SupervisorSettings.Section}.daemons", null, "must be a list of daemon specs")]);
        var json = new StringBuilder();
        WriteJson(daemons, json);
        var specs = ParseJson(json.ToString(), source);
        return new Contents(specs, config);
    }

    /// <summary>HOCON to JSON, so both formats share one set of field names and one set of checks.</summary>
    private static void WriteJson(HoconValue value, StringBuilder json)
    {
        if (value.IsObject())
        {
            json.Append('{');
            var first = true;
            foreach (var (key, item) in value.GetObject().Items)
            {
                if (!first) json.Append(',');
                first = false;
                // NTM's names are snake_case; HOCON habit is kebab-case. Both are accepted.
                json.Append(JsonSerializer.Serialize(key.Replace('-', '_'), Json.String)).Append(':');
                WriteJson(item, json);
            }
            json.Append('}');
        }
        else if (value.IsArray())
        {
            json.Append('[');
            var first = true;
            foreach (var item in value.GetArray())
            {
                if (!first) json.Append(',');
                first = false;
                WriteJson(item, json);
            }
            json.Append(']');
        }
        else
        {
            var text = value.GetString();
            if (text is null) json.Append("null");
            else if (long.TryParse(text, out _) || text is "true" or "false") json.Append(text);
            else json.Append(JsonSerializer.Serialize(text, Json.String));
        }
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". ", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
