using System.Globalization;
using System.Numerics;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Configuration;

/// <summary>
/// Turns the JSON tree of a spec file (JSON, or HOCON read by <see cref="HoconReader"/>) into daemon specs, checking
/// every field of every entry before binding, so one run reports every problem at once, each naming the field and the
/// value and saying in words what was expected (never a .NET type name, as the serializer's own errors would).
/// <para>
/// Unknown keys are refused with the nearest known one (<see cref="SpecFields"/> is the list). null means "unset",
/// as for Go's decoder. HOCON also gets HOCON's conversions between its value types (a number where a string is wanted
/// is that text; a string where a number or a boolean is wanted is read as one), and kebab-case keys; a quoted value
/// is never turned into a number where a string is wanted.
/// </para>
/// </summary>
internal sealed class SpecReader(bool hocon, string? projectDir)
{
    // Source-generated (Serialization/SpecJsonContext): the CLI publishes NativeAOT, where reflection-based binding is off.
    private static readonly JsonSerializerOptions Bind = new() { TypeInfoResolver = Serialization.SpecJsonContext.Default };

    /// <summary>For values shown in messages: as written, not \u-escaped.</summary>
    private static readonly JsonSerializerOptions Shown = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // A whole number longer than this is out of every range; parsing it would cost time quadratic in its length.
    private const int LongestNumber = 40;

    public List<SpecProblem> Problems { get; } = [];

    /// <summary>Things accepted but worth saying (an NTM field we do not implement).</summary>
    public List<string> Notices { get; } = [];

    /// <summary>
    /// Reads a list of specs; entries are located as <c>{listPath}[i]</c> in messages ("" for a JSON file's array).
    /// Returns what could be read; <see cref="Problems"/> says whether all of it could.
    /// </summary>
    public IReadOnlyList<DaemonSpec> ReadList(JsonNode? list, string listPath)
    {
        if (list is not JsonArray array)
        {
            Problems.Add(new(listPath.Length == 0 ? "file" : listPath, ShowNode(list),
                listPath.Length == 0
                    ? "must be a JSON array of daemon specs: [ { \"name\": ..., \"command\": ... }, ... ]"
                    : "must be a list of daemon specs: [ { name = ..., command = ... }, ... ]"));
            return [];
        }

        var specs = new List<DaemonSpec?>(array.Count);
        var entries = new List<Entry?>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            var at = $"{listPath}[{i}]";
            var entry = ReadEntry(array[i], at);
            specs.Add(entry?.Spec);
            entries.Add(entry);
            if (entry is null) continue;
            // The rules a spec must follow (Validation's), on what could be read, but not again for a field whose
            // form was already refused: "default_port: must be a whole number" says it all.
            foreach (var problem in Validation.Problems(entry.Spec, at, projectDir))
            {
                if (FieldName(problem.Field, at) is { } field && entry.Refused.Contains(field)) continue;
                Problems.Add(AsWritten(problem, entry, at));
            }
        }
        // Across entries: names used twice, dependencies and port references.
        foreach (var problem in Validation.DuplicateNames(specs, listPath).Concat(Validation.GraphProblems(specs, listPath)))
        {
            var i = Enumerable.Range(0, entries.Count).FirstOrDefault(i => problem.Field.StartsWith($"{listPath}[{i}].", StringComparison.Ordinal), -1);
            Problems.Add(i >= 0 && entries[i] is { } entry ? AsWritten(problem, entry, $"{listPath}[{i}]") : problem);
        }
        return specs.OfType<DaemonSpec>().ToList();
    }

    private sealed record Entry(DaemonSpec Spec, Dictionary<string, string> Spelling, HashSet<string> Refused);

    /// <summary>A problem about a field, naming the key as the file spells it (health-url where that was written).</summary>
    private static SpecProblem AsWritten(SpecProblem problem, Entry entry, string at) =>
        FieldName(problem.Field, at) is { } field && entry.Spelling.TryGetValue(field, out var written) && written != field
            ? problem with { Field = $"{at}.{written}{problem.Field[(at.Length + 1 + field.Length)..]}" }
            : problem;

    private Entry? ReadEntry(JsonNode? node, string at)
    {
        if (node is not JsonObject obj)
        {
            Problems.Add(new(at, ShowNode(node), hocon
                ? "must be a daemon spec: an object such as { name = web, command = /usr/bin/web }"
                : "must be a daemon spec: an object such as { \"name\": \"web\", \"command\": \"/usr/bin/web\" }"));
            return null;
        }

        var bind = new JsonObject();
        var spelling = new Dictionary<string, string>(StringComparer.Ordinal); // field -> the key as written
        var refused = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in obj)
        {
            var field = hocon ? key.Replace('-', '_') : key;
            var written = $"{at}.{key}";
            if (spelling.TryGetValue(field, out var other))
            {
                Problems.Add(new(written, null, $"is given twice (also as '{other}')"));
                continue;
            }
            spelling[field] = key;
            if (!SpecFields.IsKnown(field))
            {
                var spell = hocon && key.Contains('-') ? (Func<string, string>)(k => k.Replace('_', '-')) : null;
                Problems.Add(new(written, null, $"is not a daemon spec field; {Spelling.Advice(field, SpecFields.All, spell)}"));
                continue;
            }
            if (value is null) continue; // unset, as Go reads null

            if (Conform(SpecFields.Ours[field].PropertyType, value, written, out var conformed, field))
                bind[field] = conformed;
            else
                refused.Add(field);
        }

        DaemonSpec spec;
        try
        {
            spec = bind.Deserialize(Serialization.SpecJsonContext.Default.DaemonSpec) ?? new DaemonSpec();
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or FormatException or ArgumentException)
        {
            // Every field was checked on its own above, so this is not expected; still, the user gets words.
            Problems.Add(new(at, null, "could not be read as a daemon spec"));
            return null;
        }
        return new Entry(spec, spelling, refused);
    }

    /// <summary>
    /// Checks that <paramref name="node"/> has the form <paramref name="type"/> needs, reporting each part that does
    /// not (each item of a list), and gives the node to bind (HOCON's conversions applied).
    /// </summary>
    private bool Conform(Type type, JsonNode node, string field, out JsonNode? result, string? property = null)
    {
        result = null;
        var t = Nullable.GetUnderlyingType(type) ?? type;
        var kind = node.GetValueKind();

        if (t == typeof(string))
        {
            if (kind == JsonValueKind.String) result = node.DeepClone();
            else if (hocon && kind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False) result = JsonValue.Create(node.ToJsonString());
            else return Refuse(field, node, kind == JsonValueKind.Number ? "must be a string (in quotes)" : "must be a string");
            return true;
        }

        if (t == typeof(bool))
        {
            if (kind is JsonValueKind.True or JsonValueKind.False) result = node.DeepClone();
            else if (hocon && kind == JsonValueKind.String && HoconBoolean(node.GetValue<string>()) is { } flag) result = JsonValue.Create(flag);
            else return Refuse(field, node, "must be true or false");
            return true;
        }

        if (IntegerRange(t) is var (min, max))
        {
            var text = kind == JsonValueKind.Number ? node.ToJsonString()
                : kind == JsonValueKind.String ? node.GetValue<string>().Trim() : null;
            if (text is not null && (text.Length > LongestNumber || BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)))
            {
                var n = text.Length > LongestNumber ? (text.StartsWith('-') ? min - 1 : max + 1) : BigInteger.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                if (kind == JsonValueKind.String && !hocon) return Refuse(field, node, "must be a whole number, without quotes");
                if (n < min || n > max) return Refuse(field, node, $"must be a whole number from {min} to {max}");
                result = JsonValue.Create((long)n);
                return true;
            }
            return Refuse(field, node, "must be a whole number");
        }

        if (t.IsEnum)
        {
            var names = EnumNames(t);
            var match = kind == JsonValueKind.String
                ? names.FirstOrDefault(n => string.Equals(n, node.GetValue<string>(), StringComparison.OrdinalIgnoreCase))
                : null;
            if (match is null) return Refuse(field, node, $"must be one of {string.Join(", ", names)}");
            result = JsonValue.Create(match);
            return true;
        }

        if (ItemType(t) is { } item)
        {
            if (node is not JsonArray array) return Refuse(field, node, $"must be {Describe(t)}");
            var list = new JsonArray();
            var ok = true;
            for (var i = 0; i < array.Count; i++)
            {
                if (array[i] is not { } element)
                {
                    ok = Refuse($"{field}[{i}]", null, $"must be {Describe(item)}");
                    continue;
                }
                if (Conform(item, element, $"{field}[{i}]", out var conformed)) list.Add(conformed);
                else ok = false;
            }
            result = list;
            return ok;
        }

        if (DictionaryValueType(t) is { } valueType)
        {
            if (node is not JsonObject obj) return Refuse(field, node, $"must be {Describe(t)}");
            var map = new JsonObject();
            var ok = true;
            foreach (var (key, value) in obj)
            {
                if (value is null) continue;
                if (Conform(valueType, value, $"{field}.{key}", out var conformed)) map[key] = conformed;
                else ok = false;
            }
            result = map;
            return ok;
        }

        // Anything else (a record, a type with its own converter): the serializer decides, through the property itself
        // when there is one (so a converter on it, such as the durations', is the one used); the message says in words
        // what the field takes.
        try
        {
            if (property is not null) new JsonObject { [property] = node.DeepClone() }.Deserialize(Serialization.SpecJsonContext.Default.DaemonSpec);
            else node.Deserialize(Bind.GetTypeInfo(t));
            result = node.DeepClone();
            return true;
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or FormatException or ArgumentException)
        {
            return Refuse(field, node, $"must be {Describe(t)}");
        }
    }

    private bool Refuse(string field, JsonNode? node, string problem)
    {
        Problems.Add(new(field, ShowNode(node), problem));
        return false;
    }

    /// <summary>What a field of type <paramref name="t"/> takes, in words.</summary>
    public static string Describe(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (t == typeof(string)) return "a string";
        if (t == typeof(bool)) return "true or false";
        if (IntegerRange(t) is not null) return "a whole number";
        if (t == typeof(double) || t == typeof(float) || t == typeof(decimal)) return "a number";
        if (t == typeof(TimeSpan)) return "a duration such as 250ms, 5s or 1m";
        if (t == typeof(DateTimeOffset) || t == typeof(DateTime)) return "a time such as 2026-01-15T10:30:00Z";
        if (t.IsEnum) return $"one of {string.Join(", ", EnumNames(t))}";
        if (ItemType(t) is { } item) return item == typeof(string) ? "a list of strings" : $"a list, each item {Describe(item)}";
        if (DictionaryValueType(t) is { } value) return $"an object whose values are each {Describe(value)}";
        return "an object";
    }

    private static (BigInteger Min, BigInteger Max)? IntegerRange(Type t) =>
        t == typeof(int) ? (int.MinValue, int.MaxValue)
        : t == typeof(long) ? (long.MinValue, long.MaxValue)
        : t == typeof(short) ? (short.MinValue, short.MaxValue)
        : t == typeof(uint) ? (uint.MinValue, uint.MaxValue)
        : t == typeof(ushort) ? (ushort.MinValue, ushort.MaxValue)
        : t == typeof(byte) ? (byte.MinValue, byte.MaxValue)
        : null;

    /// <summary>The words an enum is written as: its [JsonStringEnumMemberName]s, else its lower-cased names.</summary>
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2070",
        Justification = "Only DaemonSpec's own enum types get here, and the CLI roots this assembly for trimming (its HOCON names types).")]
    private static IReadOnlyList<string> EnumNames(Type t) => t
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name.ToLowerInvariant())
        .ToList();

    private static Type? ItemType(Type t)
    {
        if (t == typeof(string)) return null;
        if (t.IsArray) return t.GetElementType();
        if (!t.IsGenericType) return null;
        var definition = t.GetGenericTypeDefinition();
        return definition == typeof(IReadOnlyList<>) || definition == typeof(IList<>) || definition == typeof(List<>)
               || definition == typeof(IEnumerable<>) || definition == typeof(IReadOnlyCollection<>) || definition == typeof(ICollection<>)
            ? t.GetGenericArguments()[0]
            : null;
    }

    private static Type? DictionaryValueType(Type t)
    {
        if (!t.IsGenericType) return null;
        var definition = t.GetGenericTypeDefinition();
        return (definition == typeof(IReadOnlyDictionary<,>) || definition == typeof(IDictionary<,>) || definition == typeof(Dictionary<,>))
               && t.GetGenericArguments()[0] == typeof(string)
            ? t.GetGenericArguments()[1]
            : null;
    }

    /// <summary>HOCON's booleans written as strings (Typesafe Config reads these as booleans).</summary>
    private static bool? HoconBoolean(string text) => text.Trim().ToLowerInvariant() switch
    {
        "true" or "yes" or "on" => true,
        "false" or "no" or "off" => false,
        _ => null,
    };

    /// <summary>The field of an entry a problem is about ("default_port" in "[0].default_port" or "[0].env[1]").</summary>
    private static string? FieldName(string problemField, string at)
    {
        if (!problemField.StartsWith(at + ".", StringComparison.Ordinal)) return null;
        var rest = problemField.AsSpan(at.Length + 1);
        var end = rest.IndexOfAny('.', '[');
        return (end < 0 ? rest : rest[..end]).ToString();
    }

    /// <summary>A value as the user wrote it, for a message: a string's text, anything else as JSON.</summary>
    public static string ShowNode(JsonNode? node) => node switch
    {
        null => "null",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonArray { Count: > 20 } a => $"a list of {a.Count} items",
        JsonObject { Count: > 20 } o => $"an object of {o.Count} keys",
        _ => Truncate(node.ToJsonString(Shown)),
    };

    private static string Truncate(string s) => s.Length <= 4 * SpecProblem.ShownLength ? s : s[..(4 * SpecProblem.ShownLength)];
}
