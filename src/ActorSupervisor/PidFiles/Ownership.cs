using ActorSupervisor.Daemons;
using ActorSupervisor.Processes;

namespace ActorSupervisor.PidFiles;

/// <summary>What <see cref="Ownership"/> concluded about the process a PID file names.</summary>
internal enum ProcessMatch
{
    /// <summary>The process is the daemon the file describes: it may be adopted, watched and (by its owner) signalled.</summary>
    Ours,

    /// <summary>No such process now, or its PID belongs to a process started at another time: the file is stale.</summary>
    Gone,

    /// <summary>A live process that is not the daemon the file describes (another command, group, or launch).</summary>
    NotOurs,

    /// <summary>The file itself cannot describe a daemon of the pair asked for (pid 1, another owner or name, a forged group).</summary>
    Invalid,
}

/// <summary>The verdict on one PID file: whether its process is the daemon it describes, and why.</summary>
/// <param name="Match">Whether the process is ours, gone, or someone else's.</param>
/// <param name="Reason">Why, in words, for logs and status.</param>
/// <param name="Identity">The process's identity (pid and start time) when it is alive.</param>
/// <param name="ByLaunchTag">The process also carries the launch id the file records: as strong as identity gets.</param>
internal sealed record Verification(ProcessMatch Match, string Reason, ProcessIdentity? Identity = null, bool ByLaunchTag = false)
{
    public bool IsOurs => Match == ProcessMatch.Ours;
}

/// <summary>
/// The identity rules, in one place, used by `up` (adoption), `status`, `stop`, the port survey and the library.
/// A process is the daemon of a PID file only if all of these hold:
/// <list type="number">
/// <item>its PID is greater than 1, and the file's <c>name</c> and <c>owner_id</c> are the pair asked for;</item>
/// <item>the file records no process group other than the PID, and the process leads its own group (every daemon does);</item>
/// <item>its start time equals the recorded <c>process_start_time</c>, or, for a file in NTM's format (no start
/// time), its real start is within <see cref="NtmStartTolerance"/> of <c>started_at</c>;</item>
/// <item>its full command line is what the file records (<c>argv</c>, or for older and NTM files <c>command</c>
/// followed by <c>args</c>), and, for adoption, what the spec being started launches;</item>
/// <item>its environment, where readable, carries the launch id the file records.</item>
/// </list>
/// Nothing else (a base name, a PID alone) makes a process ours, and only a group led by a process verified this
/// way is ever signalled.
/// </summary>
internal static class Ownership
{
    /// <summary>NTM records started_at just after its fork; the process's real start is known to a clock tick.</summary>
    public static readonly TimeSpan NtmStartTolerance = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Whether the process <paramref name="info"/> names is the daemon it describes (the orphan path: `status`,
    /// `stop`). With <paramref name="name"/> and <paramref name="session"/>, the file must also be that pair's.
    /// </summary>
    public static Verification Verify(PidFileInfo info, string? name = null, string? session = null)
    {
        var verdict = Check(info, name, session, spec: null);
        // A program that rewrote its command line (setproctitle) is still the process we launched if it carries the
        // launch id only we wrote, with the recorded PID and start time: enough to stop it, never to adopt it.
        return verdict.Match == ProcessMatch.NotOurs && verdict.Identity is not null && ByLaunch(info) ? verdict with { Match = ProcessMatch.Ours, ByLaunchTag = true } : verdict;
    }

    /// <summary>
    /// Whether the process is the daemon of <paramref name="spec"/> in <paramref name="session"/> (adoption by
    /// `up`): as <see cref="Verify"/>, and the file must record the launch this spec makes (command, args, port flag).
    /// </summary>
    public static Verification VerifyForSpec(PidFileInfo info, DaemonSpec spec, string session) =>
        Check(info, spec.Name, session, spec);

    private static Verification Check(PidFileInfo info, string? name, string? session, DaemonSpec? spec)
    {
        var pid = info.Pid;
        if (pid <= 1) return new(ProcessMatch.Invalid, $"it names pid {pid}, which is never a daemon");
        if (session is not null && info.OwnerId != session)
            return new(ProcessMatch.Invalid, $"it belongs to session '{info.OwnerId}', not '{session}'");
        if (name is not null && info.Name is { } recordedName && recordedName != name)
            return new(ProcessMatch.Invalid, $"it describes daemon '{recordedName}', not '{name}'");
        if (info.ProcessGroup is { } group && group != pid)
            return new(ProcessMatch.Invalid, $"it records process group {group}, but a daemon leads its own group ({pid})");

        if (ProcFs.Stat(pid) is not { IsZombie: false } stat) return new(ProcessMatch.Gone, "no such process");
        var identity = new ProcessIdentity(pid, stat.StartTime);
        if (info.ProcessStartTime is { } recorded)
        {
            if (recorded != stat.StartTime) return new(ProcessMatch.Gone, "that pid now belongs to another process");
        }
        else if (ProcFs.WallClock(stat.StartTime) is not { } started || (started - info.StartedAt).Duration() > NtmStartTolerance)
        {
            return new(ProcessMatch.Gone,
                $"that pid now belongs to another process (started {Describe(ProcFs.WallClock(stat.StartTime))}, the file says {Describe(info.StartedAt)})");
        }
        if (stat.ProcessGroup != pid)
            return new(ProcessMatch.NotOurs, $"pid {pid} does not lead its own process group (group {stat.ProcessGroup})");

        // From here on the PID, start time and group are right: a mismatch carries the identity, for Verify's fallback.
        if (CommandLineOf(stat) is not { } cmdline) return new(ProcessMatch.NotOurs, $"the command line of pid {pid} cannot be read", identity);
        if (CommandMismatch(info, spec, cmdline) is { } mismatch) return new(ProcessMatch.NotOurs, mismatch, identity);

        var byTag = false;
        if (info.LaunchId is { } launch)
        {
            var tag = ProcFs.EnvironmentVariable(pid, LaunchTag.Variable, out var readable);
            if (readable && LaunchTag.Parse(tag)?.LaunchId != launch)
                return new(ProcessMatch.NotOurs, $"pid {pid} does not carry the launch id the file records");
            byTag = readable;
        }
        return new(ProcessMatch.Ours, "verified", identity, byTag);
    }

    /// <summary>
    /// The command line of a live process. A process in the middle of its exec (a daemon launched a moment ago) shows
    /// an empty one until the kernel has laid out its new arguments, a matter of microseconds; it is read again for up
    /// to 100 ms rather than taken for a stranger, as long as it is still the same process.
    /// </summary>
    private static IReadOnlyList<string>? CommandLineOf(ProcStat stat)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (ProcFs.CommandLine(stat.Pid) is { } cmdline) return cmdline;
            if (attempt == 100 || ProcFs.Stat(stat.Pid) is not { IsZombie: false } now || now.StartTime != stat.StartTime) return null;
            Thread.Sleep(1);
        }
    }

    /// <summary>The file records a launch id and the process (already checked by PID, start time and group) carries it.</summary>
    private static bool ByLaunch(PidFileInfo info) =>
        info.LaunchId is { } launch && info.ProcessStartTime is not null
        && LaunchTag.Parse(ProcFs.EnvironmentVariable(info.Pid, LaunchTag.Variable))?.LaunchId == launch;

    /// <summary>Why the live command line is not the daemon's, or null when it is.</summary>
    private static string? CommandMismatch(PidFileInfo info, DaemonSpec? spec, IReadOnlyList<string> cmdline)
    {
        if (string.IsNullOrEmpty(info.Command)) return "the file records no command";
        if (spec is not null)
        {
            var launch = spec.Argv(info.Port);
            if (info.Command != spec.Command || (info.Args is { } args && !args.SequenceEqual(spec.Args)))
                return $"the file records the command '{Show([info.Command, .. info.Args ?? []])}', not this spec's '{Show([spec.Command, .. spec.Args])}'";
            if (info.Argv is { } recordedArgv && !recordedArgv.SequenceEqual(launch))
                return $"the file records the launch '{Show(recordedArgv)}', not this spec's '{Show(launch)}'";
            var expected = info.Argv ?? launch;
            return Matches(cmdline, expected, info.Executable) ? null : Runs(info.Pid, cmdline, expected);
        }
        if (info.Argv is { Count: > 0 } argv)
            return Matches(cmdline, argv, info.Executable) ? null : Runs(info.Pid, cmdline, argv);
        // Older files of ours and NTM's record the command (and maybe args) but not the port flag: a prefix, exactly.
        IReadOnlyList<string> prefix = [info.Command, .. info.Args ?? []];
        return cmdline.Count >= prefix.Count && cmdline.Take(prefix.Count).SequenceEqual(prefix) ? null : Runs(info.Pid, cmdline, prefix);
    }

    /// <summary>
    /// Whether a live command line is the launch of <paramref name="argv"/>: equal, or, for a script, its interpreter
    /// followed by the executed file and the same arguments (the kernel's #! rewrite, `env` included).
    /// </summary>
    public static bool Matches(IReadOnlyList<string> cmdline, IReadOnlyList<string> argv, string? executable)
    {
        if (cmdline.SequenceEqual(argv)) return true;
        if (string.IsNullOrEmpty(executable) || argv.Count == 0) return false;
        var args = argv.Count - 1;
        if (cmdline.Count < args + 2) return false;
        return cmdline[cmdline.Count - args - 1] == executable && cmdline.Skip(cmdline.Count - args).SequenceEqual(argv.Skip(1));
    }

    private static string Runs(int pid, IReadOnlyList<string> cmdline, IReadOnlyList<string> expected) =>
        $"pid {pid} runs '{Show(cmdline)}', not '{Show(expected)}'";

    private static string Show(IReadOnlyList<string> argv)
    {
        var text = string.Join(' ', argv);
        return text.Length <= 160 ? text : text[..160] + "…";
    }

    private static string Describe(DateTimeOffset? at) =>
        at is { } t ? t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture) : "at an unknown time";
}
