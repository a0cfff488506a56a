using System.Text;

namespace ActorSupervisor.Benchmarks;

/// <summary>
/// Parses the key=value lines `actorsupervisor up` prints on a non-terminal stdout, e.g.
/// <c>ts=2026-11-26T08:30:37.123Z daemon=web state=running pid=1234 port=40001 restarts=0 reason="..."</c>.
/// Values are bare words or double-quoted with backslash escapes.
/// </summary>
internal static class LogLineParser
{
    public static Dictionary<string, string> Parse(string line)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && line[i] == ' ') i++;
            var keyStart = i;
            while (i < line.Length && line[i] != '=' && line[i] != ' ') i++;
            if (i >= line.Length || line[i] != '=')
            {
                // A word without a value; keep it as a flag so nothing is silently lost.
                if (i > keyStart) fields[line[keyStart..i]] = "";
                continue;
            }
            var key = line[keyStart..i];
            i++; // '='
            if (i < line.Length && line[i] == '"')
            {
                i++;
                var value = new StringBuilder();
                while (i < line.Length && line[i] != '"')
                {
                    if (line[i] == '\\' && i + 1 < line.Length)
                    {
                        i++;
                        value.Append(line[i] switch { 'n' => '\n', 'r' => '\r', 't' => '\t', var c => c });
                    }
                    else value.Append(line[i]);
                    i++;
                }
                i++; // closing quote
                fields[key] = value.ToString();
            }
            else
            {
                var valueStart = i;
                while (i < line.Length && line[i] != ' ') i++;
                fields[key] = line[valueStart..i];
            }
        }
        return fields;
    }
}
