using System.Runtime.InteropServices;
using System.Text;
using ActorSupervisor.Processes;

namespace ActorSupervisor.PidFiles;

/// <summary>
/// An exclusive OS lock on one (daemon, session), held for as long as a supervisor owns that daemon. Two supervisors
/// of the same session racing to start the same daemon: one gets the lock and runs it, the other is refused. The
/// kernel drops the lock when its holder dies (even by SIGKILL), so a crashed supervisor never blocks the next one.
/// The lock file is removed on release, so nothing is left behind.
/// </summary>
public sealed class DaemonLock : IDisposable
{
    private int _fd;
    public string Path { get; }

    private DaemonLock(string path, int fd)
    {
        Path = path;
        _fd = fd;
    }

    /// <summary>Takes the lock, or returns null if another live supervisor holds it.</summary>
    public static DaemonLock? TryAcquire(string path)
    {
        // A holder may unlink the file between our open and our flock; then we would hold a lock on a file nobody
        // else can see. Writing a token and reading it back through the path proves the file we locked is the one there.
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var fd = Native.open(path, Native.O_RDWR | Native.O_CREAT | Native.O_CLOEXEC, 0b110_000_000);
            if (fd < 0) throw new IOException($"cannot open lock file {path}: {Native.ErrorText(Marshal.GetLastPInvokeError())}");
            if (Native.flock(fd, Native.LOCK_EX | Native.LOCK_NB) != 0)
            {
                Native.close(fd);
                return null;
            }
            var token = $"{Environment.ProcessId} {Guid.NewGuid():N}\n";
            Write(fd, token);
            if (ReadByPath(path) == token) return new DaemonLock(path, fd);
            Native.close(fd); // the file we locked was unlinked under us: try the one that is there now
        }
        throw new IOException($"cannot settle lock file {path}");
    }

    /// <summary>The PID written into a lock file by its holder, for messages about who holds it.</summary>
    public static int? HolderPid(string path)
    {
        var text = ReadByPath(path);
        return text is not null && int.TryParse(text.Split(' ')[0], out var pid) ? pid : null;
    }

    public void Dispose()
    {
        if (_fd < 0) return;
        // Unlink while still holding the lock, so nobody can lock the old file and believe it current.
        Native.unlink(Path);
        Native.close(_fd);
        _fd = -1;
    }

    private static unsafe void Write(int fd, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        Native.ftruncate(fd, 0);
        fixed (byte* p = bytes) Native.pwrite(fd, p, bytes.Length, 0);
    }

    // Raw read: a .NET FileStream would take a shared flock of its own and fail against our exclusive one.
    private static unsafe string? ReadByPath(string path)
    {
        var fd = Native.open(path, Native.O_RDONLY | Native.O_CLOEXEC, 0);
        if (fd < 0) return null;
        try
        {
            var buffer = stackalloc byte[256];
            var n = Native.read(fd, buffer, 256);
            return n <= 0 ? null : Encoding.ASCII.GetString(buffer, (int)n);
        }
        finally
        {
            Native.close(fd);
        }
    }
}
