using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Ports;

/// <summary>
/// Finds ports for daemons. A port is free when nothing listens on it (checked by binding it on 127.0.0.1 and on
/// the wildcard address, since a daemon may bind either) and no live PID file under the project records it.
/// </summary>
internal static class PortAllocator
{
    /// <summary>
    /// The spec's default port if free, else (unless the spec requires its port) any free port.
    /// <paramref name="preferred"/> is the port the daemon had before a restart; it wins when still free, so clients
    /// keep working. <paramref name="taken"/> are ports this caller has already handed out or knows to be in use.
    /// Returns 0 for a spec that wants no port.
    /// </summary>
    public static int Allocate(DaemonSpec spec, int preferred, IReadOnlySet<int> taken) => Allocate(spec, preferred, taken, _ => true);

    /// <summary>
    /// As above; a free candidate is handed out only if <paramref name="claim"/> accepts it. A claim that two
    /// supervisors cannot both win (an OS lock per port) makes allocation race-free between them: the loser of a
    /// race moves on to the next candidate instead of launching a daemon that cannot bind.
    /// </summary>
    public static int Allocate(DaemonSpec spec, int preferred, IReadOnlySet<int> taken, Func<int, bool> claim)
    {
        if (!spec.WantsPort) return 0;
        bool Take(int port) => !taken.Contains(port) && IsFree(port) && claim(port);
        if (preferred > 0 && Take(preferred)) return preferred;
        if (spec.DefaultPort > 0 && spec.DefaultPort != preferred)
        {
            if (Take(spec.DefaultPort)) return spec.DefaultPort;
            // Whoever listens is named, also when the port is known as another session's (its PID file records it).
            if (spec.RequirePort)
                throw new PortUnavailableException(spec.Name, spec.DefaultPort, PortOwner.Find(spec.DefaultPort),
                    reservedElsewhere: taken.Contains(spec.DefaultPort));
        }
        else if (spec.RequirePort && spec.DefaultPort > 0)
        {
            throw new PortUnavailableException(spec.Name, spec.DefaultPort, PortOwner.Find(spec.DefaultPort),
                reservedElsewhere: taken.Contains(spec.DefaultPort));
        }
        for (var attempt = 0; attempt < 64; attempt++)
        {
            var port = AnyFreePort();
            if (Take(port)) return port;
        }
        throw new PortUnavailableException(spec.Name, 0, null);
    }

    public static bool IsFree(int port) => CanBind(IPAddress.Loopback, port) && CanBind(IPAddress.Any, port);

    private static bool CanBind(IPAddress address, int port)
    {
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int AnyFreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}

internal sealed class PortUnavailableException(string daemon, int port, int? holderPid, bool reservedElsewhere = false) : Exception(port == 0
    ? $"no free port could be found for daemon '{daemon}'"
    : $"daemon '{daemon}' requires port {port}, which is in use" + (holderPid is { } p ? $" by pid {p}" : "")
      + (reservedElsewhere ? " (another live daemon is recorded with it)" : ""))
{
    public int Port { get; } = port;
    public int? HolderPid { get; } = holderPid;
}

/// <summary>Which process listens on a port, from /proc/net/tcp{,6} and the socket links in /proc/*/fd.</summary>
internal static class PortOwner
{
    public static int? Find(int port)
    {
        var inodes = new HashSet<string>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // local_address is "HEXIP:HEXPORT"; state 0A is LISTEN; the inode is field 10.
                if (f.Length < 10 || f[3] != "0A") continue;
                var local = f[1];
                var colon = local.LastIndexOf(':');
                if (int.Parse(local.AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
                    inodes.Add($"socket:[{f[9]}]");
            }
        }
        if (inodes.Count == 0) return null;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                foreach (var fd in Directory.EnumerateFileSystemEntries(Path.Combine(dir, "fd")))
                    if (new FileInfo(fd).LinkTarget is { } target && inodes.Contains(target)) return pid;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return null;
    }
}
