using System.Runtime.InteropServices;

namespace ActorSupervisor.Cli.Output;

/// <summary>
/// Whether stdout and stderr are ours to write to. Started with one closed (`up >&-`), the descriptor number is free
/// for the next file the runtime opens, and it soon holds one of the runtime's own pipes or files: writing a state
/// line "to stdout" would then fail (the read end of a pipe) or, worse, feed the runtime's pipe. An inherited stream
/// never has close-on-exec set (exec would have closed it), while everything .NET opens has it; so a descriptor that
/// is closed or carries close-on-exec is not the stream we were given, and nothing is written to it.
/// </summary>
internal static class StandardStreams
{
    private const int F_GETFD = 1;
    private const int FD_CLOEXEC = 1;

    [DllImport("libc", SetLastError = true)]
    private static extern int fcntl(int fd, int cmd);

    public static bool StdoutUsable { get; } = Inherited(1);

    public static bool StderrUsable { get; } = Inherited(2);

    private static bool Inherited(int fd)
    {
        var flags = fcntl(fd, F_GETFD);
        return flags >= 0 && (flags & FD_CLOEXEC) == 0;
    }
}
