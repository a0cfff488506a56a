using ActorSupervisor.Processes;

namespace ActorSupervisor.PidFiles;

internal enum StopResult
{
    /// <summary>The daemon was ours, it got SIGTERM (then SIGKILL if needed), and its PID file is gone.</summary>
    Stopped,

    /// <summary>The PID file described no live daemon of ours (or was unusable); it was removed and nothing was signalled.</summary>
    Stale,

    /// <summary>Left alone: a live supervisor owns it, NTM may, or it cannot be stopped without risk to other processes.</summary>
    Refused,

    Failed,
}

internal sealed record StopOutcome(string Name, string Session, int Pid, StopResult Kind, string Message);

/// <summary>
/// Stops daemons without the supervisor that started them (`actorsupervisor stop`), from what the state dir and /proc
/// say. Nothing is signalled unless <see cref="Ownership"/> verifies the process as the daemon its file describes, or
/// (for a daemon without a PID file) it carries a launch tag of this state root. A daemon that a live supervisor owns
/// (its recorded supervisor is alive, or its lock is held) is not touched without force, because that supervisor
/// would only restart it; nor is one in a file NTM wrote, whose owner is unknown. A PID file is removed only under
/// the daemon's lock, so a file a live owner is rewriting for the daemon's replacement is never removed.
/// </summary>
internal static class OrphanStopper
{
    // StopAsync ends with SIGKILL, which cannot be refused; this only bounds a kernel that is very slow to reap.
    private static readonly TimeSpan ReapAllowance = TimeSpan.FromSeconds(10);

    public static async Task<StopOutcome> StopAsync(PidFileStore store, PidFileReport entry, TimeSpan grace, bool force)
    {
        var info = entry.Info;
        var pid = info?.Pid ?? 0;
        var session = entry.Session.Length > 0 ? entry.Session : "unknown";
        var who = $"{entry.Name} (session {session}, pid {(info is null ? "unknown" : pid)})";
        StopOutcome Outcome(StopResult kind, string text) => new(entry.Name, entry.Session, pid, kind, $"{who}: {text}");

        if (info is null || entry.Problem is not null)
            return store.RemoveUnowned(entry) is { } keptUnusable
                ? Outcome(StopResult.Refused, $"unusable PID file ({entry.Problem}) left: {keptUnusable}; nothing signalled")
                : Outcome(StopResult.Stale, $"unusable PID file removed ({entry.Problem}); nothing signalled");

        var verdict = Ownership.Verify(info, entry.Name, entry.Session);
        if (!verdict.IsOurs)
            return store.RemoveUnowned(entry) is { } keptStale
                ? Outcome(StopResult.Refused, $"stale PID file ({verdict.Reason}) left: {keptStale}; nothing signalled")
                : Outcome(StopResult.Stale, $"stale PID file removed ({verdict.Reason}); nothing signalled");

        if (info.IsNtmFormat && !force)
            return Outcome(StopResult.Refused,
                "not stopped: its PID file was written by NTM's supervisor, which may still own it (its owner is unknown); use --force to stop it anyway");
        var supervisorAlive = info.SupervisorAlive;
        if (supervisorAlive && !force)
            return Outcome(StopResult.Refused,
                $"not stopped: it is owned by a running supervisor (pid {info.SupervisorPid}, session {info.OwnerId}), " +
                "which would restart it; stop that supervisor with SIGINT or SIGTERM, or use --force");

        var lockPath = store.LockPathFor(entry);
        if (!TryLock(lockPath, out var held, out var lockError)) return Outcome(StopResult.Refused, $"not stopped: {lockError}");
        using var _ = held;
        if (held is null && !force)
            return Outcome(StopResult.Refused,
                $"not stopped: a running supervisor (pid {DaemonLock.HolderPid(lockPath)?.ToString() ?? "unknown"}) holds its lock and would restart it; " +
                "stop that supervisor with SIGINT or SIGTERM, or use --force");

        var identity = verdict.Identity!.Value;
        var process = DaemonProcess.Adopt(identity, info.Pid, info.StartedAt, info.LaunchId, info.Argv, info.Executable);
        if (process is null)
        {
            if (held is not null) store.RemoveUnowned(entry, held);
            return Outcome(StopResult.Stale, "stale PID file removed (it exited just now); nothing signalled");
        }

        var stop = process.StopAsync(grace);
        if (await Task.WhenAny(stop, Task.Delay(grace + ReapAllowance)).ConfigureAwait(false) != stop)
            return Outcome(StopResult.Failed, "still running after SIGTERM and SIGKILL; PID file kept");
        // Without the lock (forced past a live supervisor) the file is its owner's to rewrite or remove, not ours.
        if (held is not null) store.RemoveUnowned(entry, held);
        // The supervisor to name is the one found alive: the file's, or else whoever holds the lock.
        var running = supervisorAlive ? info.SupervisorPid : held is null ? DaemonLock.HolderPid(lockPath) : null;
        var note = supervisorAlive || held is null
            ? $" (its supervisor{(running is { } s ? $", pid {s}," : "")} is running and may restart it)"
            : "";
        return Outcome(StopResult.Stopped, $"stopped{note}");
    }

    /// <summary>Stops a daemon found by its launch tag alone (its supervisor died before it wrote the PID file).</summary>
    public static async Task<StopOutcome> StopAsync(PidFileStore store, UntrackedLaunch launch, TimeSpan grace, bool force)
    {
        var tag = launch.Tag;
        var pid = launch.Leader.Process.Pid;
        var who = $"{tag.Name} (session {tag.Session}, pid {pid}, no PID file)";
        StopOutcome Outcome(StopResult kind, string text) => new(tag.Name, tag.Session, pid, kind, $"{who}: {text}");

        if (launch.SupervisorAlive && !force)
            return Outcome(StopResult.Refused,
                $"not stopped: it was started by a running supervisor (pid {tag.Supervisor.Pid}) that has not recorded it yet; use --force to stop it anyway");
        var lockPath = store.LockPathFor(tag.Name, tag.Session);
        if (!TryLock(lockPath, out var held, out var lockError)) return Outcome(StopResult.Refused, $"not stopped: {lockError}");
        using var _ = held;
        if (held is null && !force)
            return Outcome(StopResult.Refused,
                $"not stopped: a running supervisor (pid {DaemonLock.HolderPid(lockPath)?.ToString() ?? "unknown"}) holds its lock; use --force to stop it anyway");

        var stop = Signals.StopLaunchAsync(tag.LaunchId, grace);
        if (await Task.WhenAny(stop, Task.Delay(grace + ReapAllowance)).ConfigureAwait(false) != stop)
            return Outcome(StopResult.Failed, "still running after SIGTERM and SIGKILL");
        var count = launch.Members.Count;
        return Outcome(StopResult.Stopped,
            $"stopped ({count} process{(count == 1 ? "" : "es")} of a launch whose supervisor died before writing its PID file)");
    }

    /// <summary>Takes the daemon's lock if free (held null when a live holder has it); false when the lock file is unusable.</summary>
    private static bool TryLock(string path, out DaemonLock? held, out string error)
    {
        error = "";
        try
        {
            held = DaemonLock.TryAcquire(path);
            return true;
        }
        catch (IOException e)
        {
            held = null;
            error = $"cannot take its lock: {e.Message}";
            return false;
        }
    }
}
