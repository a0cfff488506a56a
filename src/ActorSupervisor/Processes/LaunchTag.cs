using System.Globalization;
using System.Security.Cryptography;

namespace ActorSupervisor.Processes;

/// <summary>
/// The mark every daemon carries in its environment, and with it everything the daemon starts (children inherit
/// their parent's environment). It names the launch (a random id, also recorded in the PID file), the supervisor that
/// made it, the session, the daemon and the state root, so that a daemon can be found from /proc alone: when its
/// supervisor was killed before it wrote the PID file, and when a descendant left the daemon's process group and
/// session (a program that daemonizes itself).
/// </summary>
internal sealed record LaunchTag(string LaunchId, ProcessIdentity Supervisor, string Session, string Name, string StateRoot)
{
    public const string Variable = "ACTORSUPERVISOR_LAUNCH";
    private const string Version = "v1";

    /// <summary>A new launch of <paramref name="name"/> by this process.</summary>
    public static LaunchTag New(string stateRoot, string session, string name) =>
        new(Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant(), ProcessIdentity.Self, session, name, stateRoot);

    /// <summary>The variable's value: space-separated, the state root last since a path may hold spaces.</summary>
    public string Format() => string.Create(CultureInfo.InvariantCulture,
        $"{Version} {LaunchId} {Supervisor.Pid} {Supervisor.StartTime} {Session} {Name} {StateRoot}");

    /// <summary>Reads a tag; null for anything malformed (a process may carry any text in that variable).</summary>
    public static LaunchTag? Parse(string? value)
    {
        if (value is null) return null;
        var parts = value.Split(' ', 7);
        if (parts.Length != 7 || parts[0] != Version || parts[1].Length != 32 || !parts[1].All(char.IsAsciiHexDigitLower)) return null;
        if (!int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0) return null;
        if (!ulong.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var start)) return null;
        // Session and name become file names (the daemon's lock): they must follow the name rule.
        if (!Daemons.Validation.IsSafeName(parts[4]) || !Daemons.Validation.IsSafeName(parts[5]) || !parts[6].StartsWith('/')) return null;
        return new LaunchTag(parts[1], new ProcessIdentity(pid, start), parts[4], parts[5], parts[6]);
    }

    /// <summary>The tag a live process carries, if any.</summary>
    public static LaunchTag? Of(int pid) => Parse(ProcFs.EnvironmentVariable(pid, Variable));
}
