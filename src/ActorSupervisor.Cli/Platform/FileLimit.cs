using System.Runtime.InteropServices;

namespace ActorSupervisor.Cli.Platform;

/// <summary>
/// Every daemon costs the supervisor a few descriptors (pidfd, log file, probe sockets), and the usual soft limit of
/// 1024 runs out long before a thousand daemons do. The hard limit is ours to take without privileges.
/// </summary>
internal static class FileLimit
{
    private const int RLIMIT_NOFILE = 7;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getrlimit(int resource, out RLimit limit);

    [DllImport("libc", SetLastError = true)]
    private static extern int setrlimit(int resource, ref RLimit limit);

    /// <summary>Raises the soft limit to the hard one; returns the soft limit in force afterwards (null if unknown).</summary>
    public static ulong? RaiseToHardLimit()
    {
        if (getrlimit(RLIMIT_NOFILE, out var limit) != 0) return null;
        if (limit.Current >= limit.Maximum) return limit.Current;
        var raised = new RLimit { Current = limit.Maximum, Maximum = limit.Maximum };
        return setrlimit(RLIMIT_NOFILE, ref raised) == 0 ? raised.Current : limit.Current;
    }
}
