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

    public const int ENOENT = 2;
    public const int EAGAIN = 11;
    public const int EACCES = 13;
    public const int EEXIST = 17;
    public const int EINVAL = 22;
    public const int ENOSPC = 28;
    public const int ELOOP = 40;
    public const int ENOSYS = 38;

    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_CREAT = 0x40;
    public const int O_EXCL = 0x80;
    public const int O_TRUNC = 0x200;
    public const int O_APPEND = 0x400;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    // These two differ between x86 and the ARM ABIs (asm-generic vs arch headers).
    private static readonly bool ArmLayout = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm;
    public static readonly int O_DIRECTORY = ArmLayout ? 0x4000 : 0x10000;
    public static readonly int O_NOFOLLOW = ArmLayout ? 0x8000 : 0x20000;

    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const int AT_EMPTY_PATH = 0x1000;

    public const uint S_IFMT = 0xF000;
    public const uint S_IFREG = 0x8000;
    public const uint S_IFDIR = 0x4000;
    public const uint S_IFLNK = 0xA000;

    /// <summary>pidfd_send_signal flag (Linux 6.9): the process group whose leader the pidfd names, exactly.</summary>
    public const uint PIDFD_SIGNAL_PROCESS_GROUP = 1 << 2;

    public const int PR_SET_CHILD_SUBREAPER = 36;
    public const int PR_GET_CHILD_SUBREAPER = 37;

    public const int AF_UNIX = 1;
    public const int SOCK_STREAM = 1;
    public const int SOCK_CLOEXEC = 0x80000;

    public const int CLOCK_BOOTTIME = 7;
    public const int _SC_CLK_TCK = 2;

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
    [LibraryImport(Libc, SetLastError = true)] public static partial int getsid(int pid);
    [LibraryImport(Libc, SetLastError = true)] public static partial int pidfd_send_signal(int pidFd, int sig, nint info, uint flags);
    [LibraryImport(Libc, SetLastError = true)] public static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
    [LibraryImport(Libc, SetLastError = true)] public static partial int socketpair(int domain, int type, int protocol, int* sv);
    [LibraryImport(Libc, SetLastError = true)] public static partial int clock_gettime(int clock, long* timespec);
    [LibraryImport(Libc, SetLastError = true)] public static partial long sysconf(int name);

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
    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int openat(int dirFd, string path, int flags, uint mode);
    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int unlinkat(int dirFd, string path, int flags);
    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int renameat(int oldDirFd, string oldPath, int newDirFd, string newPath);
    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mkdirat(int dirFd, string path, uint mode);
    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statx(int dirFd, string path, int flags, uint mask, byte* buffer);
    [LibraryImport(Libc, SetLastError = true)] public static partial int fchmod(int fd, uint mode);
    [LibraryImport(Libc, SetLastError = true)] public static partial int fcntl(int fd, int command, int argument);
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int F_DUPFD_CLOEXEC = 1030;
    [LibraryImport(Libc, SetLastError = true)] public static partial nint pread(int fd, byte* buffer, nint count, long offset);

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
