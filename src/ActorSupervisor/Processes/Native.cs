using System.Runtime.InteropServices;

namespace ActorSupervisor.Processes;

/// <summary>
/// The few libc calls .NET does not expose: process groups, posix_spawn with a new session, pidfds and epoll.
/// Linux (glibc 2.36 or later) only; everything above this file speaks in .NET types.
/// </summary>
internal static unsafe partial class Native
{
    private const string Libc = "libc";

    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int ESRCH = 3;
    public const int ECHILD = 10;
    public const int EINTR = 4;
    public const int EPERM = 1;

    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_CREAT = 0x40;
    public const int O_APPEND = 0x400;
    public const int O_CLOEXEC = 0x80000;

    public const short POSIX_SPAWN_SETSIGDEF = 0x04;
    public const short POSIX_SPAWN_SETSIGMASK = 0x08;
    public const short POSIX_SPAWN_SETSID = 0x80;

    public const int WNOHANG = 1;

    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const uint EPOLLIN = 0x001;

    // glibc's opaque types are smaller than this on every architecture; the extra room is harmless.
    public const int OpaqueSize = 512;

    [LibraryImport(Libc, SetLastError = true)] public static partial int kill(int pid, int sig);
    [LibraryImport(Libc, SetLastError = true)] public static partial int getpgid(int pid);
    [LibraryImport(Libc, SetLastError = true)] public static partial int waitpid(int pid, out int status, int options);
    [LibraryImport(Libc, SetLastError = true)] public static partial int pidfd_open(int pid, uint flags);
    [LibraryImport(Libc, SetLastError = true)] public static partial int close(int fd);
    [LibraryImport(Libc, SetLastError = true)] public static partial int getpid();
    [LibraryImport(Libc, SetLastError = true)] public static partial uint geteuid();

    public const int O_RDWR = 2;
    public const int LOCK_EX = 2;
    public const int LOCK_NB = 4;

    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags, uint mode);
    [LibraryImport(Libc, SetLastError = true)] public static partial int flock(int fd, int operation);
    [LibraryImport(Libc, SetLastError = true)] public static partial nint pwrite(int fd, byte* buffer, nint count, long offset);
    [LibraryImport(Libc, SetLastError = true)] public static partial nint read(int fd, byte* buffer, nint count);
    [LibraryImport(Libc, SetLastError = true)] public static partial nint write(int fd, byte* buffer, nint count);
    [LibraryImport(Libc, SetLastError = true)] public static partial int ftruncate(int fd, long length);
    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int unlink(string path);

    [LibraryImport(Libc, SetLastError = true)] public static partial int epoll_create1(int flags);
    [LibraryImport(Libc, SetLastError = true)] public static partial int epoll_ctl(int epfd, int op, int fd, byte* ev);
    [LibraryImport(Libc, SetLastError = true)] public static partial int epoll_wait(int epfd, byte* events, int maxEvents, int timeoutMs);

    // posix_spawn* return an error number instead of setting errno.
    [LibraryImport(Libc)] public static partial int posix_spawn(out int pid, byte* path, byte* fileActions, byte* attr, byte** argv, byte** envp);
    [LibraryImport(Libc)] public static partial int posix_spawn_file_actions_init(byte* fileActions);
    [LibraryImport(Libc)] public static partial int posix_spawn_file_actions_destroy(byte* fileActions);
    [LibraryImport(Libc)] public static partial int posix_spawn_file_actions_addopen(byte* fileActions, int fd, byte* path, int oflag, uint mode);
    [LibraryImport(Libc)] public static partial int posix_spawn_file_actions_adddup2(byte* fileActions, int fd, int newFd);
    [LibraryImport(Libc)] public static partial int posix_spawn_file_actions_addchdir_np(byte* fileActions, byte* path);
    [LibraryImport(Libc)] public static partial int posix_spawnattr_init(byte* attr);
    [LibraryImport(Libc)] public static partial int posix_spawnattr_destroy(byte* attr);
    [LibraryImport(Libc)] public static partial int posix_spawnattr_setflags(byte* attr, short flags);
    [LibraryImport(Libc)] public static partial int posix_spawnattr_setsigmask(byte* attr, byte* sigset);
    [LibraryImport(Libc)] public static partial int posix_spawnattr_setsigdefault(byte* attr, byte* sigset);
    [LibraryImport(Libc)] public static partial int sigemptyset(byte* set);
    [LibraryImport(Libc)] public static partial int sigfillset(byte* set);
    [LibraryImport(Libc)] public static partial nint strerror(int errnum);

    /// <summary>x86 packs epoll_event to 12 bytes; every other Linux ABI aligns the 64-bit data to 16.</summary>
    public static readonly int EpollEventSize =
        RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86 ? 12 : 16;
    public static readonly int EpollDataOffset = EpollEventSize == 12 ? 4 : 8;

    public static string ErrorText(int errno) => Marshal.PtrToStringUTF8(strerror(errno)) ?? $"errno {errno}";

    // Wait-status decoding, as the W* macros do it.
    public static bool WIfExited(int status) => (status & 0x7f) == 0;
    public static int WExitStatus(int status) => (status >> 8) & 0xff;
    public static bool WIfSignaled(int status) => ((status & 0x7f) + 1) >> 1 > 0 && (status & 0x7f) != 0x7f;
    public static int WTermSig(int status) => status & 0x7f;
}
