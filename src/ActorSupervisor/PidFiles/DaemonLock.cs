using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using ActorSupervisor.Processes;
using Microsoft.Win32.SafeHandles;

namespace ActorSupervisor.PidFiles;

/// <summary>
/// An exclusive OS lock on one (daemon, session), held for as long as a supervisor owns that daemon. Two supervisors
/// of the same session racing to start the same daemon: one gets the lock and runs it, the other is refused. The
/// kernel drops the lock when its holder dies (even by SIGKILL), so a crashed supervisor never blocks the next one.
/// The lock file is removed on release, so nothing is left behind. A reader that is not the daemon's supervisor
/// (`stop`) takes it too before it removes the daemon's PID file, so it never removes a file a live owner rewrites.
/// </summary>
internal sealed class DaemonLock : IDisposable
{
    private const int HolderTextLimit = 256;
    private SafeFileHandle? _handle;
    public string Path { get; }

    private DaemonLock(string path, SafeFileHandle handle)
    {
        Path = path;
        _handle = handle;
    }

    /// <summary>
    /// Takes the lock, or returns null if another live holder has it. Throws an <see cref="IOException"/> naming the
    /// file when it cannot be used (a symbolic link, another user's file or directory).
    /// </summary>
    public static DaemonLock? TryAcquire(string path)
    {
        // A holder may unlink the file between our open and our flock; then we would hold a lock on a file nobody
        // else can see. The file we locked must still be the one at the path (same inode).
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var handle = SafeFile.Open(path, Native.O_RDWR | Native.O_CREAT);
            var fd = (int)handle.DangerousGetHandle();
            if (Native.flock(fd, Native.LOCK_EX | Native.LOCK_NB) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                handle.Dispose();
                if (errno == Native.EAGAIN) return null;
                throw new IOException($"cannot lock {path}: {Native.ErrorText(errno)}");
            }
            if (!SafeFile.IsSameFile(handle, path))
            {
                handle.Dispose(); // unlinked under us: try the one that is there now
                continue;
            }
            WriteHolder(handle);
            return new DaemonLock(path, handle);
        }
        throw new IOException($"cannot settle lock file {path}");
    }

    /// <summary>The PID written into a lock file by its holder, for messages about who holds it.</summary>
    public static int? HolderPid(string path)
    {
        byte[]? bytes;
        try { bytes = SafeFile.Read(path, HolderTextLimit, out _); }
        catch (IOException) { return null; }
        if (bytes is null) return null;
        var text = Encoding.ASCII.GetString(bytes);
        return int.TryParse(text.Split(' ')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;
    }

    public void Dispose()
    {
        if (_handle is null) return;
        // Unlink while still holding the lock, so nobody can lock the old file and believe it current.
        try { SafeFile.Delete(Path); }
        catch (IOException) { }
        _handle.Dispose();
        _handle = null;
    }

    /// <summary>Best effort, for messages only: the lock works without it, and a full disk must not leave an empty file behind a failure.</summary>
    private static unsafe void WriteHolder(SafeFileHandle handle)
    {
        var bytes = Encoding.ASCII.GetBytes($"{Environment.ProcessId} {Guid.NewGuid():N}\n");
        var fd = (int)handle.DangerousGetHandle();
        Native.ftruncate(fd, 0);
        fixed (byte* p = bytes) Native.pwrite(fd, p, bytes.Length, 0);
    }
}
