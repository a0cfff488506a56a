using System.Runtime.InteropServices;

namespace ActorSupervisor.Processes;

/// <summary>
/// A pidfd: a handle on one process that cannot be confused with a later process that reuses its PID. Signals sent
/// through it reach that process (or, with PIDFD_SIGNAL_PROCESS_GROUP, the group it leads) or nothing.
/// </summary>
internal sealed class PidFd : SafeHandle
{
    private PidFd(int fd) : base(-1, ownsHandle: true) => SetHandle(fd);

    public override bool IsInvalid => handle == -1;

    public int Fd => (int)handle;

    /// <summary>Opens a pidfd for <paramref name="pid"/>, or null if there is no such process.</summary>
    public static PidFd? Open(int pid)
    {
        if (pid <= 1) return null;
        var fd = Native.pidfd_open(pid, 0);
        return fd < 0 ? null : new PidFd(fd);
    }

    /// <summary>
    /// Opens a pidfd on the process with this identity, or null if it is gone or its PID now belongs to another
    /// process. Opened first and checked after, so the process checked is the one the handle names.
    /// </summary>
    public static PidFd? OpenExact(ProcessIdentity identity)
    {
        var fd = Open(identity.Pid);
        if (fd is null) return null;
        if (ProcFs.Stat(identity.Pid) is { IsZombie: false } stat && stat.StartTime == identity.StartTime) return fd;
        fd.Dispose();
        return null;
    }

    /// <summary>Sends a signal to the process (0: to the group it leads). Returns 0 or an errno.</summary>
    public int Send(int signal, uint flags = 0)
    {
        var added = false;
        try
        {
            DangerousAddRef(ref added);
            return Native.pidfd_send_signal(Fd, signal, 0, flags) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
        catch (ObjectDisposedException)
        {
            return Native.ESRCH;
        }
        finally
        {
            if (added) DangerousRelease();
        }
    }

    protected override bool ReleaseHandle() => Native.close((int)handle) == 0;
}
