using System.Globalization;
using System.Net;

namespace ActorSupervisor.Health;

/// <summary>
/// What a spec's health_tcp names: "port" (the daemon's allocated port on 127.0.0.1), "PORT", or "HOST:PORT" with a
/// loopback host ("[::1]:PORT" for IPv6). One parser for validation and the probe.
/// </summary>
internal static class HealthTcp
{
    /// <summary>The endpoint to connect to; null when health_tcp is unset, malformed, or names the allocated port and there is none.</summary>
    public static IPEndPoint? Resolve(string? text, int allocatedPort)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (text.Equals("port", StringComparison.OrdinalIgnoreCase))
            return allocatedPort > 0 ? new IPEndPoint(IPAddress.Loopback, allocatedPort) : null;
        return Parse(text, out var endpoint, out _) ? endpoint : null;
    }

    /// <summary>Parses an explicit form; <paramref name="problem"/> says what is wrong when it is not one.</summary>
    public static bool Parse(string text, out IPEndPoint? endpoint, out string? problem)
    {
        endpoint = null;
        problem = null;
        if (text.Equals("port", StringComparison.OrdinalIgnoreCase)) return true;
        var host = "127.0.0.1";
        var portText = text;
        var colon = text.LastIndexOf(':');
        if (colon >= 0)
        {
            host = text[..colon].Trim('[', ']');
            portText = text[(colon + 1)..];
        }
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            problem = "must be \"port\" (the daemon's own port), a port number, or HOST:PORT";
            return false;
        }
        IPAddress address;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) address = IPAddress.Loopback;
        else if (!IPAddress.TryParse(host, out address!) || !IPAddress.IsLoopback(address))
        {
            problem = "must name a loopback host (127.0.0.1, ::1 or localhost)";
            return false;
        }
        endpoint = new IPEndPoint(address, port);
        return true;
    }
}
