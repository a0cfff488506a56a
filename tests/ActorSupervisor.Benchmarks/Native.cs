using System.Runtime.InteropServices;

namespace ActorSupervisor.Benchmarks;

/// <summary>The few libc calls the benchmark needs: signals by PID, and pidfds to see exits of processes that are not ours.</summary>
internal static unsafe partial class Native
{
    private const string Libc = "libc";

    public const int SIGHUP = 1;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const short POLLIN = 0x001;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(Libc, SetLastError = true)] public static partial int kill(int pid, int sig);
    [LibraryImport(Libc, SetLastError = true)] public static partial int pidfd_open(int pid, uint flags);
    [LibraryImport(Libc, SetLastError = true)] public static partial int close(int fd);
    [LibraryImport(Libc, SetLastError = true)] public static partial int poll(PollFd* fds, nuint nfds, int timeoutMs);

    /// <summary>CLOCK_REALTIME in nanoseconds since the Unix epoch, the clock the daemons record their start in.</summary>
    public static long NowNs() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    public static int LastError => Marshal.GetLastPInvokeError();
}
