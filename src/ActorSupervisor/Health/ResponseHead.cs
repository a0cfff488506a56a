using System.Text;

namespace ActorSupervisor.Health;

/// <summary>
/// The status line and the three headers a health probe needs from an HTTP/1.x response: the status code, how the body
/// is delimited (to reuse the connection) and whether the server will close it. Anything else is ignored.
/// </summary>
internal readonly record struct ResponseHead(int Status, long? ContentLength, bool Chunked, bool Close, int Length)
{
    public enum Outcome { Complete, Incomplete, Invalid }

    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    /// <summary>
    /// Parses the head at the start of <paramref name="data"/>. Incomplete until the blank line has arrived; Invalid
    /// (with <paramref name="error"/>) for anything that is not an HTTP/1.x response.
    /// </summary>
    public static Outcome TryParse(ReadOnlySpan<byte> data, out ResponseHead head, out string? error)
    {
        head = default;
        error = null;
        // A status line is known before the blank line: refuse early what is not HTTP at all.
        var prefix = Math.Min(data.Length, 7);
        if (!data[..prefix].SequenceEqual("HTTP/1."u8[..prefix]))
        {
            error = "the answer is not HTTP/1.x";
            return Outcome.Invalid;
        }
        var end = data.IndexOf(EndOfHead);
        if (end < 0) return Outcome.Incomplete;
        var lines = data[..end];

        var lineEnd = lines.IndexOf("\r\n"u8);
        var statusLine = lineEnd < 0 ? lines : lines[..lineEnd];
        // "HTTP/1.1 200 OK": version, space, three digits, then a space or the end.
        if (statusLine.Length < 12 || statusLine[8] != (byte)' ' || !IsDigit(statusLine[9]) || !IsDigit(statusLine[10]) || !IsDigit(statusLine[11])
            || (statusLine.Length > 12 && statusLine[12] != (byte)' '))
        {
            error = "malformed status line";
            return Outcome.Invalid;
        }
        var status = (statusLine[9] - '0') * 100 + (statusLine[10] - '0') * 10 + (statusLine[11] - '0');
        var http10 = statusLine[7] == (byte)'0';

        long? contentLength = null;
        var chunked = false;
        var close = http10;
        var rest = lineEnd < 0 ? ReadOnlySpan<byte>.Empty : lines[(lineEnd + 2)..];
        while (!rest.IsEmpty)
        {
            var next = rest.IndexOf("\r\n"u8);
            var line = next < 0 ? rest : rest[..next];
            rest = next < 0 ? ReadOnlySpan<byte>.Empty : rest[(next + 2)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0) continue;
            var name = line[..colon];
            var value = Trim(line[(colon + 1)..]);
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!long.TryParse(Encoding.ASCII.GetString(value), System.Globalization.NumberStyles.None,
                        System.Globalization.CultureInfo.InvariantCulture, out var n))
                {
                    error = "malformed Content-Length";
                    return Outcome.Invalid;
                }
                contentLength = n;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8)) chunked = !Ascii.EqualsIgnoreCase(value, "identity"u8);
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                if (ContainsToken(value, "close"u8)) close = true;
                else if (http10 && ContainsToken(value, "keep-alive"u8)) close = false;
            }
        }
        head = new ResponseHead(status, contentLength, chunked, close, end + EndOfHead.Length);
        return Outcome.Complete;
    }

    /// <summary>Responses that never have a body (RFC 9110 6.4.1), whatever their headers say.</summary>
    public bool HasNoBody => Status is >= 100 and < 200 or 204 or 304;

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> s)
    {
        while (!s.IsEmpty && s[0] is (byte)' ' or (byte)'\t') s = s[1..];
        while (!s.IsEmpty && s[^1] is (byte)' ' or (byte)'\t') s = s[..^1];
        return s;
    }

    private static bool ContainsToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        foreach (var range in value.Split((byte)','))
            if (Ascii.EqualsIgnoreCase(Trim(value[range]), token)) return true;
        return false;
    }
}
