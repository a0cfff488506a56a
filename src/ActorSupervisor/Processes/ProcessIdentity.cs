namespace ActorSupervisor.Processes;

/// <summary>
/// Who a process is. A PID alone is not an identity (the kernel reuses them), so it is paired with the process's
/// start time in clock ticks since boot (field 22 of /proc/&lt;pid&gt;/stat), which a reused PID cannot share.
/// Whether a process is *ours* takes more than this (see PidFiles/Ownership): this is only "the same process".
/// </summary>
internal readonly record struct ProcessIdentity(int Pid, ulong StartTime)
{
    /// <summary>The identity of the live process with this PID now, or null if there is none (or it is a zombie).</summary>
    public static ProcessIdentity? Of(int pid) =>
        ProcFs.Stat(pid) is { IsZombie: false } stat ? new ProcessIdentity(pid, stat.StartTime) : null;

    /// <summary>True when a live process with this PID exists and it is this very process.</summary>
    public bool IsAlive => Of(Pid) is { } now && now.StartTime == StartTime;

    /// <summary>The process's argv from /proc, or null when it is gone, unreadable or too long to compare.</summary>
    public static IReadOnlyList<string>? CommandLine(int pid) => ProcFs.CommandLine(pid);

    /// <summary>Boot-relative start ticks to wall-clock time (for display and for NTM's started_at; identity compares ticks).</summary>
    public DateTimeOffset? StartedAtWallClock() => ProcFs.WallClock(StartTime);

    /// <summary>The supervisor process's own identity, recorded in PID files as their owner.</summary>
    public static ProcessIdentity Self { get; } = Of(Environment.ProcessId) ?? new ProcessIdentity(Environment.ProcessId, 0);
}
