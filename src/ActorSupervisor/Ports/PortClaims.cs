using ActorSupervisor.PidFiles;

namespace ActorSupervisor.Ports;

/// <summary>
/// Claims on ports between the supervisors of one project: &lt;state root&gt;/ports/&lt;port&gt;.lock, held (an OS
/// lock, as for a daemon) by the supervisor whose daemon has the port. Two sessions starting at once on the same
/// default ports both see the port free, since neither daemon has bound it yet; only one wins its claim, and the
/// other picks another port instead of launching a daemon that would fail to bind and spend a restart. The kernel
/// drops a claim when its holder dies, so a killed supervisor never blocks anyone; the bind check covers the rest.
/// </summary>
internal sealed class PortClaims(string stateRoot)
{
    private readonly Dictionary<int, DaemonLock> _held = [];

    public string Dir { get; } = Path.Combine(stateRoot, "ports");

    /// <summary>True if this supervisor now holds the claim on <paramref name="port"/> (or held it already).</summary>
    public bool TryClaim(int port)
    {
        if (_held.ContainsKey(port)) return true;
        Directory.CreateDirectory(Dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var claim = DaemonLock.TryAcquire(Path.Combine(Dir, $"{port}.lock"));
        if (claim is null) return false;
        _held[port] = claim;
        return true;
    }

    public void Release(int port)
    {
        if (_held.Remove(port, out var claim)) claim.Dispose();
    }

    public void ReleaseAll()
    {
        foreach (var claim in _held.Values) claim.Dispose();
        _held.Clear();
    }
}
