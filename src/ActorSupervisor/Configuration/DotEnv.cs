using System.Text;
using System.Text.RegularExpressions;

namespace ActorSupervisor.Configuration;

/// <summary>
/// A daemon's env_file, in the dotenv format most tools share: KEY=VALUE lines, blank lines and # comments, an
/// optional `export ` prefix, values bare (trimmed, a trailing " # comment" dropped), in double quotes (\n \t \" \\
/// escapes) or in single quotes (literal). Read capped: the file is the user's, but it could be anything.
/// </summary>
internal static partial class DotEnv
{
    /// <summary>More than any environment needs; a bigger file is refused, not read.</summary>
    public const int MaxBytes = 256 * 1024;

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex Key();

    /// <summary>Reads and parses <paramref name="path"/>; throws <see cref="FormatException"/> naming the file, the line and the problem.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Load(string path)
    {
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            if (!stream.CanSeek || stream.Length > MaxBytes)
                throw new FormatException($"env_file {path}: is larger than {MaxBytes / 1024} KiB or not a regular file");
            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"env_file {path}: cannot be read: {e.Message}");
        }
        string text;
        try { text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (DecoderFallbackException) { throw new FormatException($"env_file {path}: is not UTF-8 text"); }
        return Parse(text, path);
    }

    public static IReadOnlyList<KeyValuePair<string, string>> Parse(string text, string source)
    {
        var result = new List<KeyValuePair<string, string>>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            if (line.StartsWith("export ", StringComparison.Ordinal)) line = line[7..].TrimStart();
            var eq = line.IndexOf('=');
            string Where() => $"env_file {source} line {i + 1}";
            if (eq <= 0) throw new FormatException($"{Where()}: expected KEY=VALUE");
            var key = line[..eq].Trim();
            if (!Key().IsMatch(key)) throw new FormatException($"{Where()}: '{key}' is not a variable name (letters, digits and _, not starting with a digit)");
            var raw = line[(eq + 1)..].Trim();
            string value;
            if (raw.StartsWith('"'))
            {
                var close = ClosingQuote(raw);
                if (close < 0) throw new FormatException($"{Where()}: the double quote is not closed");
                value = Unescape(raw[1..close]);
            }
            else if (raw.StartsWith('\''))
            {
                var close = raw.IndexOf('\'', 1);
                if (close < 0) throw new FormatException($"{Where()}: the single quote is not closed");
                value = raw[1..close];
            }
            else
            {
                var comment = raw.IndexOf(" #", StringComparison.Ordinal);
                value = (comment >= 0 ? raw[..comment] : raw).TrimEnd();
            }
            if (value.Contains('\0')) throw new FormatException($"{Where()}: the value contains a NUL character");
            result.Add(new(key, value));
        }
        return result;
    }

    private static int ClosingQuote(string raw)
    {
        for (var i = 1; i < raw.Length; i++)
        {
            if (raw[i] == '\\') i++;
            else if (raw[i] == '"') return i;
        }
        return -1;
    }

    private static string Unescape(string s)
    {
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\' || i + 1 == s.Length)
            {
                sb.Append(s[i]);
                continue;
            }
            sb.Append(s[++i] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', var c => c });
        }
        return sb.ToString();
    }
}
