using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Configuration;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Configuration;

/// <summary>
/// Reads daemon specs from a file: a JSON array of DaemonSpec with NTM's names, or a HOCON file (.conf) with
/// `actorsupervisor.daemons = [ ... ]` next to supervisor settings. Every problem comes back at once, each naming the
/// file, the entry and the field; nothing is started from a file that has one. The file is untrusted input: it is
/// read up to <see cref="MaxBytes"/>, must be UTF-8, may not include other files, and every key must be known.
/// </summary>
public static class SpecFile
{
    /// <summary>
    /// The largest spec file read, in bytes (4 MiB). A spec file is a few kilobytes; a bigger one is a mistake (or
    /// /dev/zero), not a config, and is refused without being read further.
    /// </summary>
    public const int MaxBytes = 4 * 1024 * 1024;

    private const int MaxDepth = 64;

    private static readonly JsonDocumentOptions Json = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        MaxDepth = MaxDepth,
    };

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>What a spec file holds.</summary>
    /// <param name="Specs">The daemons, in file order, each valid on its own and together (unique names, known dependencies).</param>
    /// <param name="Settings">
    /// A HOCON file's supervisor settings (<c>actorsupervisor { health-interval = 2s, ... }</c>), to put before the
    /// ActorSystem's own config; empty for a JSON file.
    /// </param>
    public sealed record Contents(IReadOnlyList<DaemonSpec> Specs, Config Settings)
    {
        /// <summary>What was accepted but deserves a word (an NTM field this supervisor does not implement).</summary>
        public IReadOnlyList<string> Notices { get; init; } = [];
    }

    /// <summary>
    /// Reads and checks a spec file: HOCON when its name ends in <c>.conf</c> or <c>.hocon</c>, JSON otherwise. A relative
    /// work_dir is checked against <paramref name="projectDir"/> (where it will be resolved at launch); without one, only
    /// its form is checked. Reads at most <see cref="MaxBytes"/>; safe to call from any thread.
    /// </summary>
    /// <param name="path">The file to read.</param>
    /// <param name="projectDir">The project dir the daemons will run under, or null.</param>
    /// <exception cref="InvalidSpecException">
    /// The file is missing, unreadable, too large, not UTF-8 or not valid JSON/HOCON, or any entry is invalid; the
    /// message lists every problem, each with the entry, field and value.
    /// </exception>
    public static Contents Load(string path, string? projectDir = null)
    {
        var text = Read(path);
        return IsHocon(path) ? ParseHocon(text, path, projectDir) : ParseJsonContents(text, path, projectDir);
    }

    private static bool IsHocon(string path) =>
        path.EndsWith(".conf", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".hocon", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Reads specs from JSON text: an array of daemon objects with NTM's snake_case keys (comments and trailing commas
    /// allowed). Unknown keys are refused with a "did you mean". Like <see cref="Load"/> otherwise.
    /// </summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">Where the text came from, named in error messages (a path, or "request body").</param>
    /// <param name="projectDir">The project dir the daemons will run under, or null.</param>
    /// <exception cref="InvalidSpecException">The text is not valid JSON or any entry is invalid; every problem is listed.</exception>
    public static IReadOnlyList<DaemonSpec> ParseJson(string json, string source, string? projectDir = null) =>
        ParseJsonContents(json, source, projectDir).Specs;

    private static Contents ParseJsonContents(string json, string source, string? projectDir)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, Json);
        }
        catch (JsonException e)
        {
            throw Invalid(source, new SpecProblem("file", null, JsonSyntax(e)));
        }
        using (document)
        {
            var problems = new List<SpecProblem>();
            var root = ToNode(document.RootElement, "", problems);
            var reader = new SpecReader(hocon: false, projectDir);
            var specs = reader.ReadList(root, "");
            problems.AddRange(reader.Problems);
            // Entry by entry, as the file reads (a key given twice is found before the entries are read).
            if (problems.Count > 0) throw new InvalidSpecException(Subject(source), problems.OrderBy(p => EntryIndex(p.Field)).ToList());
            return new Contents(specs, Config.Empty) { Notices = reader.Notices };
        }
    }

    /// <summary>
    /// Reads a HOCON spec file's text: <c>actorsupervisor.daemons = [ ... ]</c> and, beside it, supervisor settings.
    /// Nothing outside the <c>actorsupervisor</c> section is accepted, and includes are refused. Like <see cref="Load"/> otherwise.
    /// </summary>
    /// <param name="hocon">The HOCON text.</param>
    /// <param name="source">Where the text came from, named in error messages.</param>
    /// <param name="projectDir">The project dir the daemons will run under, or null.</param>
    /// <exception cref="InvalidSpecException">The text is not valid HOCON or any key or entry is invalid; every problem is listed.</exception>
    public static Contents ParseHocon(string hocon, string source, string? projectDir = null)
    {
        const string section = SupervisorSettings.Section;
        JsonObject root;
        try
        {
            root = HoconReader.Parse(hocon);
        }
        catch (HoconSyntaxException e)
        {
            throw Invalid(source, new SpecProblem("file", null, $"is not valid HOCON: line {e.Line}, column {e.Column}: {e.Message}"));
        }

        var problems = new List<SpecProblem>();
        foreach (var (key, _) in root)
        {
            if (key == section) continue;
            var near = Spelling.Nearest(key, [section]) is null ? "" : $"; did you mean '{section}'?";
            problems.Add(new(key, null, $"is not read from a spec file, which holds only {section} {{ ... }}{near}"));
        }

        var settings = new JsonObject();
        IReadOnlyList<DaemonSpec> specs = [];
        var notices = new List<string>();
        if (root[section] is not JsonObject body)
        {
            problems.Add(new($"{section}.daemons", null, $"is missing: list the daemons in {section}.daemons = [ ... ]"));
        }
        else
        {
            foreach (var (key, value) in body)
            {
                if (key == "daemons") continue;
                var field = $"{section}.{key}";
                if (!SupervisorSettings.Keys.Contains(key))
                    problems.Add(new(field, null, $"is not a setting; {Spelling.Advice(key, SupervisorSettings.Keys.Append("daemons").ToList())}"));
                else if (value is JsonObject or JsonArray)
                    problems.Add(new(field, SpecReader.ShowNode(value), "must be a single value, such as 5s, 10 or .ntm"));
                else if (value is not null)
                    settings[key] = value.DeepClone();
            }
            if (!body.ContainsKey("daemons"))
            {
                problems.Add(new($"{section}.daemons", null, $"is missing: list the daemons in {section}.daemons = [ ... ]"));
            }
            else
            {
                var reader = new SpecReader(hocon: true, projectDir);
                specs = reader.ReadList(body["daemons"], $"{section}.daemons");
                problems.AddRange(reader.Problems);
                notices.AddRange(reader.Notices);
            }
        }
        if (problems.Count > 0) throw new InvalidSpecException(Subject(source), problems);

        // The settings, already checked to be known single values, as an Akka Config for SupervisorSettings (JSON is
        // HOCON, and a quoted value in JSON stays quoted).
        var config = ConfigurationFactory.ParseString(new JsonObject { [section] = settings }.ToJsonString());
        return new Contents(specs, config) { Notices = notices };
    }

    /// <summary>
    /// The JSON tree, with a key given twice in one object refused (Go's decoder would silently take the last one;
    /// a spec that says two things is a mistake to point out).
    /// </summary>
    private static JsonNode? ToNode(JsonElement element, string path, List<SpecProblem> problems)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var obj = new JsonObject();
                foreach (var property in element.EnumerateObject())
                {
                    var at = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
                    if (obj.ContainsKey(property.Name))
                        problems.Add(new(at, null, "is given twice in one object"));
                    else
                        obj[property.Name] = ToNode(property.Value, at, problems);
                }
                return obj;
            case JsonValueKind.Array:
                var array = new JsonArray();
                var i = 0;
                foreach (var item in element.EnumerateArray())
                    array.Add(ToNode(item, $"{path}[{i++}]", problems));
                return array;
            case JsonValueKind.Null:
                return null;
            default:
                return JsonValue.Create(element.Clone());
        }
    }

    private static int EntryIndex(string field) =>
        field.StartsWith('[') && field.IndexOf(']') is > 1 and var end && int.TryParse(field.AsSpan(1, end - 1), out var i) ? i : -1;

    /// <summary>The file's text: at most <see cref="MaxBytes"/>, strict UTF-8; every failure in words.</summary>
    private static string Read(string path)
    {
        if (string.IsNullOrEmpty(path) || path.Contains('\0'))
            throw Invalid(path, new SpecProblem("file", path, "is not a valid file name"));
        if (Directory.Exists(path))
            throw Invalid(path, new SpecProblem("file", null, "is a directory, not a spec file"));
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
            bytes = ReadAtMost(stream, MaxBytes + 1);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw Invalid(path, new SpecProblem("file", null, "does not exist"));
        }
        catch (UnauthorizedAccessException)
        {
            throw Invalid(path, new SpecProblem("file", null, "cannot be read: permission denied"));
        }
        catch (IOException e)
        {
            throw Invalid(path, new SpecProblem("file", null, $"cannot be read: {e.Message}"));
        }
        if (bytes.Length > MaxBytes)
            throw Invalid(path, new SpecProblem("file", null, $"is larger than {MaxBytes / (1024 * 1024)} MiB, which no spec file needs"));
        try
        {
            var text = StrictUtf8.GetString(bytes);
            return text.StartsWith('\uFEFF') ? text[1..] : text;
        }
        catch (DecoderFallbackException e)
        {
            var at = e.Index >= 0 ? $" (a byte that is not UTF-8 near offset {e.Index})" : "";
            throw Invalid(path, new SpecProblem("file", null, $"is not UTF-8 text{at}"));
        }
    }

    private static byte[] ReadAtMost(Stream stream, int limit)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        while (buffer.Length < limit)
        {
            var n = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, limit - buffer.Length));
            if (n == 0) break;
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// A JSON syntax error in words, with its line and column. The reader's messages are English sentences, some
    /// with jargon ("Expected depth to be zero"); those are said plainly, and any that would name a .NET type is not
    /// passed on.
    /// </summary>
    private static string JsonSyntax(JsonException e)
    {
        var at = e.LineNumber is { } line ? $" (line {line + 1}, column {e.BytePositionInLine + 1})" : "";
        var message = e.Message;
        string what;
        if (message.Contains("does not contain any JSON tokens", StringComparison.Ordinal)) what = "is empty: write a JSON array of daemon specs";
        else if (message.Contains("Expected depth to be zero", StringComparison.Ordinal) || message.Contains("reached end of data", StringComparison.Ordinal))
            what = "ends before every [ and { is closed (is the file cut short?)";
        else if (message.Contains("maximum configured depth", StringComparison.Ordinal)) what = $"is nested more than {MaxDepth} levels deep";
        else
        {
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            var sentence = (cut > 0 ? message[..cut] : message).Trim().TrimEnd('.');
            what = "is not valid JSON" + (LooksLikeTypeName(sentence) ? "" : $": {sentence}");
        }
        return what + at;
    }

    private static bool LooksLikeTypeName(string text) =>
        text.Contains("System.", StringComparison.Ordinal) || text.Contains("Exception", StringComparison.Ordinal) || text.Contains("`1", StringComparison.Ordinal);

    private static string Subject(string source) => $"Spec file {source}";

    private static InvalidSpecException Invalid(string source, SpecProblem problem) => new(Subject(source), [problem]);
}
