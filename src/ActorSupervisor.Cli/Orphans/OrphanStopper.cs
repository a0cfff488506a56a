using ActorSupervisor.Cli.Platform;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Processes;

namespace ActorSupervisor.Cli.Orphans;

internal enum StopResult
{
    /// <summary>The daemon was ours, its group got SIGTERM (then SIGKILL if needed), and its PID file is gone.</summary>
    Stopped,

    /// <summary>The PID file described no live daemon of ours; it was removed and nothing was signalled.</summary>
    Stale,

    /// <summary>Left alone: its supervisor is alive, or it cannot be stopped without risk to other processes.</summary>
    Refused,

    Failed,
}

internal sealed record StopOutcome(PidFileEntry Entry, StopResult Kind, string Message);

/// <summary>
/// Stops daemons recorded in PID files without the supervisor that started them. Nothing is signalled unless the
/// process is provably the one the file describes (PID plus start time), and a daemon whose supervisor still runs is
/// not touched without --force, because that supervisor would only restart it.
/// </summary>
internal static class OrphanStopper
{
    // StopAsync ends with SIGKILL to the group, which cannot be refused; this only bounds a kernel that is very slow to reap.
    private static readonly TimeSpan ReapAllowance = TimeSpan.FromSeconds(10);

    public static async Task<StopOutcome> StopAsync(PidFileEntry entry, TimeSpan grace, bool force)
    {
        var info = entry.Info;
        var who = $"{entry.Name} (session {info.OwnerId}, pid {info.Pid})";

        if (CurrentIdentity(info) is not { } identity)
        {
            var why = ProcessIdentity.Of(info.Pid) is null ? "no such process" : "that pid now belongs to another process";
            RemoveIfUnchanged(entry);
            return new(entry, StopResult.Stale, $"{who}: stale PID file removed ({why}); nothing signalled");
        }

        var supervisorAlive = info.SupervisorAlive;
        if (supervisorAlive && !force)
            return new(entry, StopResult.Refused,
                $"{who}: not stopped: it is owned by a running supervisor (pid {info.SupervisorPid}, session {info.OwnerId}), " +
                "which would restart it; stop that supervisor with SIGINT or SIGTERM, or use --force");

        // Stopping signals the whole process group; only a group this daemon leads is certainly all ours.
        var group = info.ProcessGroup ?? info.Pid;
        var actualGroup = ProcStat.ProcessGroup(info.Pid);
        if (actualGroup is null)
        {
            RemoveIfUnchanged(entry);
            return new(entry, StopResult.Stale, $"{who}: stale PID file removed (it exited just now); nothing signalled");
        }
        if (actualGroup != group || group != info.Pid)
            return new(entry, StopResult.Refused,
                $"{who}: not stopped: it does not lead its own process group (group {actualGroup}), so signalling the group " +
                "could reach processes that are not ours");

        var process = DaemonProcess.Adopt(identity, group, info.StartedAt);
        if (process is null)
        {
            RemoveIfUnchanged(entry);
            return new(entry, StopResult.Stale, $"{who}: stale PID file removed (it exited just now); nothing signalled");
        }

        var stop = process.StopAsync(grace);
        if (await Task.WhenAny(stop, Task.Delay(grace + ReapAllowance)) != stop)
            return new(entry, StopResult.Failed, $"{who}: still running after SIGTERM and SIGKILL; PID file kept");
        RemoveIfUnchanged(entry);
        var note = supervisorAlive ? $" (its supervisor, pid {info.SupervisorPid}, is running and may restart it)" : "";
        return new(entry, StopResult.Stopped, $"{who}: stopped{note}");
    }

    /// <summary>
    /// The identity to trust, or null if the file describes no live process of ours. Our files carry the start time;
    /// NTM's do not, so for them the live command line must match the recorded command before the PID is believed.
    /// </summary>
    private static ProcessIdentity? CurrentIdentity(PidFileInfo info)
    {
        if (info.Identity is { } recorded) return recorded.IsAlive ? recorded : null;
        return info.IsAlive ? ProcessIdentity.Of(info.Pid) : null;
    }

    /// <summary>
    /// Removes the file unless someone (a restarting supervisor) has since rewritten it for another process, and the
    /// daemon's lock file if no live supervisor holds it (one killed with SIGKILL leaves it behind).
    /// </summary>
    private static void RemoveIfUnchanged(PidFileEntry entry)
    {
        var now = PidFileStore.Read(entry.Path);
        if (now is not null && now.Pid != entry.Info.Pid) return;
        try
        {
            File.Delete(entry.Path);
            var lockPath = Path.ChangeExtension(entry.Path, ".lock");
            // Taking the lock succeeds only when its holder is gone; releasing it unlinks the file.
            if (File.Exists(lockPath)) DaemonLock.TryAcquire(lockPath)?.Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
