using System.Globalization;
using System.Net;

namespace ActorSupervisor.Control;

/// <summary>
/// Where the optional TCP listener binds: an IP address (or "localhost") and a port (0: any free one). Parsing refuses
/// anything else with a sentence naming the value; a host name other than localhost is refused because what it
/// resolves to, and so who can reach the API, could change under us.
/// </summary>
/// <param name="Address">The IP address to bind (localhost is 127.0.0.1).</param>
/// <param name="Port">The TCP port, 0 to 65535; 0 takes a free one (see <see cref="ControlServer.HttpUrl"/>).</param>
/// <param name="Text">The address as it was written, for messages.</param>
public sealed record HttpAddress(IPAddress Address, int Port, string Text)
{
    /// <summary>
    /// True for a loopback address (127.0.0.0/8, ::1). Only a loopback listener may make its own token and serves
    /// /metrics and /healthz without one.
    /// </summary>
    public bool IsLoopback => IPAddress.IsLoopback(Address);

    /// <summary>
    /// Parses <c>ADDRESS:PORT</c>: an IPv4 address, an IPv6 address in brackets (<c>[::1]:8080</c>) or
    /// <c>localhost</c>, and a port from 0 to 65535. Never throws.
    /// </summary>
    /// <param name="text">The text to parse, as a user typed it.</param>
    /// <param name="address">The address, or null when the text is refused.</param>
    /// <param name="error">Why the text is refused, a sentence quoting it; null when it is accepted.</param>
    /// <returns>True when the text is an address.</returns>
    public static bool TryParse(string text, out HttpAddress? address, out string? error)
    {
        address = null;
        error = null;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            error = $"'{text}' must be ADDRESS:PORT, like 127.0.0.1:8080";
            return false;
        }
        var host = text[..colon];
        var portText = text[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            error = $"'{text}': the port '{portText}' must be a whole number from 0 to 65535";
            return false;
        }
        IPAddress? ip;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) ip = IPAddress.Loopback;
        else if (host.StartsWith('[') && host.EndsWith(']') && IPAddress.TryParse(host[1..^1], out var v6)) ip = v6;
        else if (!host.Contains(':') && IPAddress.TryParse(host, out var v4) && host.Count(c => c == '.') == 3) ip = v4;
        else ip = null;
        if (ip is null)
        {
            error = $"'{text}': '{host}' must be an IP address ([::1] for IPv6) or localhost";
            return false;
        }
        address = new HttpAddress(ip, port, text);
        return true;
    }
}
