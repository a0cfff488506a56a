namespace ActorSupervisor.Processes;

/// <summary>
/// Signals to processes named by identity, never by a bare PID: each goes through a pidfd opened on the PID and then
/// checked against the start time, so it reaches that very process or nothing. PID 1, the supervisor itself, and
/// any PID at or below 1 are never signalled; a group only when the process leads it.
/// </summary>
internal static class Signals
{
    /// <summary>
    /// Sends <paramref name="signal"/> to the process with this identity (and to the group it leads, with
    /// <paramref name="andGroup"/>). Returns false when nothing was signalled (it is gone, or not that process any more).
    /// </summary>
    public static bool SendExactly(ProcessIdentity target, int signal, bool andGroup = false)
    {
        if (target.Pid <= 1 || target.Pid == Environment.ProcessId) return false;
        using var fd = PidFd.OpenExact(target);
        if (fd is null) return false;
        // Whether it leads its group is read before it is signalled: a SIGKILLed leader that its parent has reaped is
        // gone from /proc at once, and its group, which the pidfd still reaches, would be spared.
        var leads = andGroup && ProcFs.Stat(target.Pid) is { ProcessGroup: var group } && group == target.Pid;
        var sent = fd.Send(signal) == 0;
        if (leads) sent |= fd.Send(signal, Native.PIDFD_SIGNAL_PROCESS_GROUP) == 0;
        return sent;
    }

    /// <summary>
    /// Stops every live process carrying the launch tag <paramref name="launchId"/>: SIGTERM (and to the groups they
    /// lead), up to <paramref name="grace"/> for them to go, then SIGKILL until none is left. Returns how many there were.
    /// For daemons found without a PID file (their supervisor killed before it wrote one).
    /// </summary>
    public static async Task<int> StopLaunchAsync(string launchId, TimeSpan grace)
    {
        var members = ProcessTable.OfLaunch(launchId);
        if (members.Count == 0) return 0;
        foreach (var m in members) SendExactly(m.Identity, Native.SIGTERM, andGroup: true);
        var deadline = DateTimeOffset.UtcNow + grace;
        while (DateTimeOffset.UtcNow < deadline && ProcessTable.OfLaunch(launchId).Count > 0)
            await Task.Delay(20).ConfigureAwait(false);
        for (var round = 0; round < 100; round++)
        {
            var left = ProcessTable.OfLaunch(launchId);
            if (left.Count == 0) break;
            foreach (var m in left) SendExactly(m.Identity, Native.SIGKILL, andGroup: true);
            await Task.Delay(10).ConfigureAwait(false);
        }
        return members.Count;
    }

    /// <summary>SIGKILL to every live process of a launch, now, without waiting.</summary>
    public static int KillLaunch(string launchId)
    {
        var members = ProcessTable.OfLaunch(launchId);
        foreach (var m in members) SendExactly(m.Identity, Native.SIGKILL, andGroup: true);
        return members.Count;
    }
}
