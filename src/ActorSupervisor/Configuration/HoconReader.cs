using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ActorSupervisor.Configuration;

/// <summary>A spec file that is not valid HOCON, with where the reader stopped (1-based line and column).</summary>
internal sealed class HoconSyntaxException(int line, int column, string problem) : Exception(problem)
{
    public int Line { get; } = line;
    public int Column { get; } = column;
}

/// <summary>
/// Reads a HOCON spec file into a JSON tree, strictly. Written by hand because no package does this job: Akka's own
/// parser (Akka.Configuration) forgets whether a value was quoted (<c>"8080"</c> and <c>8080</c> become the same
/// literal, so a quoted argument turned into a number), accepts a file cut off in the middle or followed by garbage,
/// and fails an <c>include</c> with a null reference; the standalone HOCON package is not available to the project.
/// <para>
/// The subset read is what a spec file needs: objects with or without braces, dotted keys (merged into one object),
/// <c>=</c> or <c>:</c> or <c>{</c> after a key, lists, quoted and triple-quoted strings, unquoted text with
/// HOCON's value concatenation on one line, numbers, true/false, null, <c>#</c> and <c>//</c> comments, commas or
/// new lines between items. A quoted value stays a string; an unquoted one is a number, a boolean or null only when it
/// is exactly one. Refused with a line and column: <c>include</c> (a spec file is read alone, so it cannot be made to
/// read /etc/shadow or a huge file), substitutions <c>${...}</c>, <c>+=</c>, a key set twice to different values,
/// anything unclosed, anything after the end, and nesting deeper than <see cref="MaxDepth"/>.
/// </para>
/// </summary>
internal sealed partial class HoconReader
{
    public const int MaxDepth = 64;

    // As Akka's reader, so that a spec file it read keeps its meaning (a '+' is allowed in unquoted text).
    private const string NotInUnquotedText = "$\"{}[]:=,#`^?!@*&\\";
    private const string NotInUnquotedKey = NotInUnquotedText + ".";

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex JsonNumber();

    private readonly string _text;
    private int _pos;
    private int _depth;

    private HoconReader(string text) => _text = text;

    /// <summary>The file as a JSON object. Throws <see cref="HoconSyntaxException"/>.</summary>
    public static JsonObject Parse(string text) => new HoconReader(text).Root();

    private JsonObject Root()
    {
        var root = new JsonObject();
        SkipBlank();
        if (Peek() == '{')
        {
            var opened = _pos++;
            Fields(root, '}', opened);
            SkipBlank();
            if (!AtEnd) throw Error($"unexpected {Here()} after the closing '}}' of the file");
        }
        else
        {
            Fields(root, null, 0);
        }
        return root;
    }

    private void Fields(JsonObject target, char? closing, int opened)
    {
        while (true)
        {
            SkipBlank();
            if (AtEnd)
            {
                if (closing is null) return;
                throw Error("the '{' opened here is never closed (the file ends first)", opened);
            }
            var c = Peek();
            if (c == closing)
            {
                _pos++;
                return;
            }
            if (c is '}' or ']' or ',') throw Error($"unexpected {Describe(c)}");
            if (IsInclude()) throw Error("include is not supported in a spec file: write everything in this one file");
            Field(target);

            SkipSpaces();
            if (AtEnd || Peek() == '\n' || Peek() == closing) continue;
            if (Peek() == ',')
            {
                _pos++;
                continue;
            }
            throw Error($"expected a comma or a new line after the value, found {Here()}");
        }
    }

    private void Field(JsonObject target)
    {
        var start = _pos;
        var path = KeyPath();
        SkipSpaces();
        JsonNode? value;
        if (Peek() == '{')
        {
            value = Value(path.Count);
        }
        else if (Peek() is '=' or ':')
        {
            _pos++;
            SkipBlank();
            if (AtEnd) throw Error($"'{string.Join('.', path)}' has no value (the file ends first)", start);
            value = Value(path.Count);
        }
        else if (Matches("+="))
        {
            throw Error("'+=' is not supported in a spec file: write the whole list");
        }
        else
        {
            throw Error(AtEnd
                ? $"'{string.Join('.', path)}' has no value (the file ends first)"
                : $"expected '=' or ':' after '{string.Join('.', path)}', found {Here()}");
        }
        Set(target, path, value, start);
    }

    /// <summary>A key, or a dotted path of keys (a.b.c = 1 sets c in b in a).</summary>
    private List<string> KeyPath()
    {
        var path = new List<string>();
        while (true)
        {
            var segment = new StringBuilder();
            var any = false;
            while (!AtEnd)
            {
                var c = Peek();
                if (c == '"')
                {
                    if (Matches("\"\"\"")) throw Error("a key cannot be a triple-quoted string");
                    segment.Append(Quoted());
                    any = true;
                }
                else if (!char.IsWhiteSpace(c) && !NotInUnquotedKey.Contains(c) && !Matches("//"))
                {
                    segment.Append(c);
                    _pos++;
                    any = true;
                }
                else break;
            }
            if (!any) throw Error(AtEnd ? "expected a key (the file ends first)" : $"expected a key, found {Here()}");
            path.Add(segment.ToString());
            if (_depth + path.Count > MaxDepth) throw Error($"keys are nested more than {MaxDepth} levels deep");
            if (Peek() != '.') return path;
            _pos++;
        }
    }

    private JsonNode? Value(int keyDepth)
    {
        var start = _pos;
        JsonNode? value;
        if (Peek() == '{')
        {
            Enter(keyDepth);
            _pos++;
            var obj = new JsonObject();
            Fields(obj, '}', start);
            _depth -= keyDepth;
            value = obj;
        }
        else if (Peek() == '[')
        {
            Enter(keyDepth);
            value = List(start);
            _depth -= keyDepth;
        }
        else
        {
            return Simple();
        }
        SkipSpaces();
        if (!AtEnd && Peek() is not ('\n' or ',' or '}' or ']') && !IsCommentStart())
            throw Error("a list or an object cannot be joined with other values: put a comma or a new line after it");
        return value;
    }

    private void Enter(int levels)
    {
        _depth += levels;
        if (_depth > MaxDepth) throw Error($"values are nested more than {MaxDepth} levels deep");
    }

    private JsonArray List(int opened)
    {
        _pos++;
        var list = new JsonArray();
        while (true)
        {
            SkipBlank();
            if (AtEnd) throw Error("the '[' opened here is never closed (the file ends first)", opened);
            var c = Peek();
            if (c == ']')
            {
                _pos++;
                return list;
            }
            if (c is ',' or '}') throw Error($"unexpected {Describe(c)} in a list");
            list.Add(Value(1));
            SkipSpaces();
            if (AtEnd || Peek() is '\n' or ']') continue;
            if (Peek() == ',')
            {
                _pos++;
                continue;
            }
            throw Error($"expected a comma or a new line between list items, found {Here()}");
        }
    }

    /// <summary>
    /// A value that is neither a list nor an object: quoted and unquoted pieces on one line, joined with the spaces
    /// between them (HOCON's value concatenation). One unquoted piece that is exactly a number, true, false or null is
    /// that; anything quoted, or joined, is a string.
    /// </summary>
    private JsonNode? Simple()
    {
        var text = new StringBuilder();
        var pieces = 0;
        var quoted = false;
        var spaces = "";
        while (!AtEnd)
        {
            var c = Peek();
            if (c is '\n' or ',' or '}' or ']' || IsCommentStart()) break;
            if (c != '\n' && char.IsWhiteSpace(c))
            {
                var from = _pos;
                SkipSpaces();
                spaces = _text[from.._pos];
                continue;
            }
            if (pieces > 0) text.Append(spaces);
            spaces = "";
            if (c == '"')
            {
                text.Append(Matches("\"\"\"") ? TripleQuoted() : Quoted());
                quoted = true;
            }
            else if (Matches("${"))
            {
                throw Error("substitutions (${...}) are not supported in a spec file; put the text in quotes to use it as it is");
            }
            else if (c is '{' or '[')
            {
                throw Error("a list or an object cannot be joined with other values: put a comma or a new line before it");
            }
            else if (NotInUnquotedText.Contains(c))
            {
                throw Error($"unexpected {Describe(c)}: put text that has this character in quotes");
            }
            else
            {
                while (!AtEnd && !char.IsWhiteSpace(Peek()) && !NotInUnquotedText.Contains(Peek()) && !Matches("//"))
                    text.Append(_text[_pos++]);
            }
            pieces++;
        }
        if (pieces == 0) throw Error(AtEnd ? "expected a value (the file ends first)" : $"expected a value, found {Here()}");

        var value = text.ToString();
        if (pieces > 1 || quoted) return JsonValue.Create(value);
        return value switch
        {
            "true" => JsonValue.Create(true),
            "false" => JsonValue.Create(false),
            "null" => null,
            // Parsed as JSON so that the number keeps its text (8080.0 stays 8080.0, 1e3 stays 1e3).
            _ when JsonNumber().IsMatch(value) => JsonNode.Parse(value),
            _ => JsonValue.Create(value),
        };
    }

    private string Quoted()
    {
        var opened = _pos++;
        var text = new StringBuilder();
        while (true)
        {
            if (AtEnd) throw Error("the string opened here is never closed (the file ends first)", opened);
            var c = _text[_pos++];
            switch (c)
            {
                case '"':
                    return text.ToString();
                case '\n' or '\r':
                    throw Error("the string opened here is not closed on its line (use \\n for a new line, or \"\"\" for several lines)", opened);
                case '\\':
                    if (AtEnd) throw Error("the string opened here is never closed (the file ends first)", opened);
                    var e = _text[_pos++];
                    switch (e)
                    {
                        case '"': text.Append('"'); break;
                        case '\\': text.Append('\\'); break;
                        case '/': text.Append('/'); break;
                        case 'b': text.Append('\b'); break;
                        case 'f': text.Append('\f'); break;
                        case 'n': text.Append('\n'); break;
                        case 'r': text.Append('\r'); break;
                        case 't': text.Append('\t'); break;
                        case 'u':
                            if (_pos + 4 > _text.Length || !ushort.TryParse(_text.AsSpan(_pos, 4), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var code))
                                throw Error("\\u must be followed by four hex digits", _pos - 2);
                            text.Append((char)code);
                            _pos += 4;
                            break;
                        default:
                            throw Error($"unknown escape \\{Describe(e, quote: false)} in a string", _pos - 2);
                    }
                    break;
                default:
                    text.Append(c);
                    break;
            }
        }
    }

    private string TripleQuoted()
    {
        var opened = _pos;
        _pos += 3;
        var end = _text.IndexOf("\"\"\"", _pos, StringComparison.Ordinal);
        if (end < 0) throw Error("the \"\"\" string opened here is never closed (the file ends first)", opened);
        // """a"""" is a followed by a quote: extra quotes before the closing three belong to the string.
        while (end + 3 < _text.Length && _text[end + 3] == '"') end++;
        var value = _text[_pos..end];
        _pos = end + 3;
        return value;
    }

    private void Set(JsonObject target, List<string> path, JsonNode? value, int at)
    {
        var obj = target;
        for (var i = 0; i < path.Count - 1; i++)
        {
            if (!obj.TryGetPropertyValue(path[i], out var next))
            {
                next = new JsonObject();
                obj[path[i]] = next;
            }
            obj = next as JsonObject
                  ?? throw Error($"'{string.Join('.', path.Take(i + 1))}' is set twice: once to a value and once to an object", at);
        }
        var key = path[^1];
        if (!obj.TryGetPropertyValue(key, out var existing))
        {
            obj[key] = value;
            return;
        }
        // HOCON merges an object given twice (a { x = 1 } and a.y = 2); a value given twice is a mistake in a spec file.
        if (existing is JsonObject into && value is JsonObject from)
        {
            var items = from.ToList();
            from.Clear();
            foreach (var (k, v) in items) Set(into, [k], v, at);
            return;
        }
        throw Error($"'{string.Join('.', path)}' is set twice", at);
    }

    private bool IsInclude()
    {
        if (!Matches("include")) return false;
        var after = _pos + "include".Length;
        while (after < _text.Length && _text[after] is ' ' or '\t') after++;
        // `include "file"`, `include file("...")`, `include required(...)`; a key named include is followed by = : { .
        return after < _text.Length && (_text[after] == '"' || char.IsLetter(_text[after]) && after > _pos + "include".Length);
    }

    private bool AtEnd => _pos >= _text.Length;

    private char Peek() => AtEnd ? '\0' : _text[_pos];

    private bool Matches(string s) => string.CompareOrdinal(_text, _pos, s, 0, s.Length) == 0;

    private bool IsCommentStart() => Peek() == '#' || Matches("//");

    /// <summary>Spaces and tabs (and a comment to the end of the line), but not the new line itself.</summary>
    private void SkipSpaces()
    {
        while (!AtEnd)
        {
            if (IsCommentStart())
            {
                while (!AtEnd && Peek() != '\n') _pos++;
                return;
            }
            if (Peek() == '\n' || !char.IsWhiteSpace(Peek())) return;
            _pos++;
        }
    }

    /// <summary>Whitespace, new lines and comments.</summary>
    private void SkipBlank()
    {
        while (!AtEnd)
        {
            if (IsCommentStart()) while (!AtEnd && Peek() != '\n') _pos++;
            else if (char.IsWhiteSpace(Peek())) _pos++;
            else return;
        }
    }

    private HoconSyntaxException Error(string problem, int? at = null)
    {
        var pos = Math.Min(at ?? _pos, _text.Length);
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < pos; i++)
        {
            if (_text[i] != '\n') continue;
            line++;
            lineStart = i + 1;
        }
        return new HoconSyntaxException(line, pos - lineStart + 1, problem);
    }

    private string Here() => AtEnd ? "the end of the file" : Describe(_text[_pos]);

    private static string Describe(char c, bool quote = true)
    {
        var shown = char.IsControl(c) || char.IsWhiteSpace(c) || char.IsSurrogate(c)
            ? $"\\u{(int)c:x4}"
            : c.ToString();
        return quote ? $"'{shown}'" : shown;
    }
}
