using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ActorSupervisor.Processes;

/// <summary>A file or directory under the state dir that the supervisor refuses to use, with the reason.</summary>
internal sealed class UnsafeStateException(string message) : IOException(message);

/// <summary>What statx says about a file, without following a symbolic link.</summary>
internal readonly record struct FileFacts(uint Mode, uint Uid, uint Links, ulong Inode, ulong Device, long Size)
{
    public bool IsDirectory => (Mode & Native.S_IFMT) == Native.S_IFDIR;
    public bool IsRegular => (Mode & Native.S_IFMT) == Native.S_IFREG;
    public bool IsSymlink => (Mode & Native.S_IFMT) == Native.S_IFLNK;
    public uint Permissions => Mode & 0xFFF;
}

/// <summary>
/// Every file operation under the state dir goes through here, so that none follows a symbolic link and none trusts a
/// file or directory that another user could have put there. The rule: the directory holding the file is opened with
/// O_NOFOLLOW and must be ours and writable by nobody else (so nobody else can plant anything in it, a symbolic link
/// included); the file is then reached relative to that open directory (openat, unlinkat, renameat) with O_NOFOLLOW,
/// and must be a regular file of ours with no other hard link. A FIFO planted in place of a file cannot block us: it
/// is opened non-blocking and refused. Failures are <see cref="IOException"/>s whose message names the path and why.
/// </summary>
internal static unsafe class SafeFile
{
    private const uint PrivateDir = 0b111_000_000;   // 0700
    private const uint GroupOrOtherWrite = 0b000_010_010;
    private const uint GroupOrOtherAny = 0b000_111_111;
    private const uint StatxBasic = 0x7ff;
    private const int ENOTDIR = 20;

    public static uint EffectiveUid { get; } = Native.geteuid();

    /// <summary>Facts about <paramref name="path"/> itself (a symbolic link is described, not followed); null if absent.</summary>
    public static FileFacts? Lstat(string path) => Statx(Native.AT_FDCWD, path, Native.AT_SYMLINK_NOFOLLOW);

    private static FileFacts? Fstat(int fd) => Statx(fd, "", Native.AT_EMPTY_PATH);

    private static FileFacts? Statx(int dirFd, string path, int flags)
    {
        var buffer = stackalloc byte[256];
        if (Native.statx(dirFd, path, flags, StatxBasic, buffer) != 0) return null;
        return new FileFacts(
            Mode: *(ushort*)(buffer + 28),
            Uid: *(uint*)(buffer + 20),
            Links: *(uint*)(buffer + 16),
            Inode: *(ulong*)(buffer + 32),
            Device: ((ulong)*(uint*)(buffer + 136) << 32) | *(uint*)(buffer + 140),
            Size: (long)*(ulong*)(buffer + 40));
    }

    /// <summary>
    /// Makes sure <paramref name="dir"/> is a directory of ours that nobody else can write: created 0700 if missing,
    /// refused if it is a symbolic link or belongs to another user; with <paramref name="tighten"/>, access for group
    /// and others is removed (0700), otherwise a directory others can write is refused.
    /// </summary>
    public static void EnsureDirectory(string dir, bool tighten)
    {
        var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(dir));
        if (!string.IsNullOrEmpty(parent) && !Directory.Exists(parent)) Directory.CreateDirectory(parent);
        if (Native.mkdirat(Native.AT_FDCWD, dir, PrivateDir) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Native.EEXIST) throw new IOException($"cannot create directory {dir}: {Native.ErrorText(errno)}");
        }
        Native.close(OpenDirectory(dir, tighten));
    }

    /// <summary>
    /// Opens a directory (never through a symbolic link in its last component) and checks it is ours and not writable
    /// by anyone else. Returns the descriptor; throws <see cref="DirectoryNotFoundException"/> when it is absent.
    /// </summary>
    internal static int OpenDirectory(string dir, bool tighten = false)
    {
        var fd = Native.open(dir, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW | Native.O_CLOEXEC, 0);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Native.ENOENT) throw new DirectoryNotFoundException($"{dir} does not exist");
            if (errno is Native.ELOOP or ENOTDIR && Lstat(dir) is { IsSymlink: true })
                throw new UnsafeStateException($"{dir} is a symbolic link; refusing to follow it (use its real path instead)");
            if (errno == ENOTDIR) throw new UnsafeStateException($"{dir} is not a directory");
            throw new IOException($"cannot open directory {dir}: {Native.ErrorText(errno)}");
        }
        try
        {
            var facts = Fstat(fd) ?? throw new IOException($"cannot stat directory {dir}: {Native.ErrorText(Marshal.GetLastPInvokeError())}");
            if (facts.Uid != EffectiveUid)
                throw new UnsafeStateException(
                    $"{dir} belongs to uid {facts.Uid}, not to you (uid {EffectiveUid}); refusing to use it: another user could control what is in it");
            if (tighten && (facts.Permissions & GroupOrOtherAny) != 0)
            {
                if (Native.fchmod(fd, PrivateDir) != 0)
                    throw new IOException($"cannot make {dir} private (chmod 700): {Native.ErrorText(Marshal.GetLastPInvokeError())}");
            }
            else if ((facts.Permissions & GroupOrOtherWrite) != 0)
            {
                throw new UnsafeStateException(
                    $"{dir} is writable by other users (mode {Convert.ToString(facts.Permissions, 8)}); refusing to trust what is in it (chmod 700 {dir})");
            }
            return fd;
        }
        catch
        {
            Native.close(fd);
            throw;
        }
    }

    /// <summary>
    /// Opens a file in a verified directory without following a symbolic link, and checks that it is a regular file of
    /// ours with a single link. <paramref name="flags"/> are open(2) flags (O_CREAT creates it with <paramref name="mode"/>).
    /// Throws <see cref="FileNotFoundException"/> when it (or its directory) is absent.
    /// </summary>
    public static SafeFileHandle Open(string path, int flags, uint mode = 0b110_000_000)
    {
        var (dir, name) = Split(path);
        int dirFd;
        try { dirFd = OpenDirectory(dir); }
        catch (DirectoryNotFoundException e) { throw new FileNotFoundException(e.Message, path); }
        try
        {
            return OpenAt(dirFd, path, name, flags, mode);
        }
        finally
        {
            Native.close(dirFd);
        }
    }

    private static SafeFileHandle OpenAt(int dirFd, string path, string name, int flags, uint mode)
    {
        var fd = Native.openat(dirFd, name, flags | Native.O_NOFOLLOW | Native.O_CLOEXEC | Native.O_NONBLOCK, mode);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Native.ENOENT) throw new FileNotFoundException($"{path} does not exist", path);
            if (errno == Native.ELOOP) throw new UnsafeStateException($"{path} is a symbolic link; refusing to follow it");
            throw new IOException($"cannot open {path}: {Native.ErrorText(errno)}");
        }
        try
        {
            var facts = Fstat(fd) ?? throw new IOException($"cannot stat {path}: {Native.ErrorText(Marshal.GetLastPInvokeError())}");
            if (!facts.IsRegular) throw new UnsafeStateException($"{path} is not a regular file; refusing to use it");
            if (facts.Uid != EffectiveUid) throw new UnsafeStateException($"{path} belongs to uid {facts.Uid}, not to you (uid {EffectiveUid}); refusing to use it");
            if (facts.Links > 1) throw new UnsafeStateException($"{path} has {facts.Links} hard links; refusing to use it");
            // Non-blocking was only for the open (a FIFO would have blocked it); a daemon writing its log must block.
            var status = Native.fcntl(fd, Native.F_GETFL, 0);
            if (status >= 0) Native.fcntl(fd, Native.F_SETFL, status & ~Native.O_NONBLOCK);
            return new SafeFileHandle(fd, ownsHandle: true);
        }
        catch
        {
            Native.close(fd);
            throw;
        }
    }

    /// <summary>
    /// Reads at most <paramref name="cap"/> bytes of a file; <paramref name="tooBig"/> when it holds more. Null when
    /// the file does not exist.
    /// </summary>
    public static byte[]? Read(string path, int cap, out bool tooBig)
    {
        tooBig = false;
        SafeFileHandle handle;
        try { handle = Open(path, Native.O_RDONLY); }
        catch (FileNotFoundException) { return null; }
        using (handle)
        {
            var buffer = new byte[Math.Min(cap + 1, 64 * 1024)];
            var total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (buffer.Length > cap) break;
                    Array.Resize(ref buffer, Math.Min(cap + 1, buffer.Length * 2));
                }
                var n = RandomAccess.Read(handle, buffer.AsSpan(total), total);
                if (n == 0) break;
                total += n;
                if (total > cap) break;
            }
            tooBig = total > cap;
            return buffer.AsSpan(0, Math.Min(total, cap)).ToArray();
        }
    }

    /// <summary>
    /// Replaces <paramref name="path"/> atomically (a private temp file, written whole, then renamed over it; a
    /// rename replaces a symbolic link rather than following it). On a failed write (a full disk) the temp file is
    /// removed and the old file is left as it was.
    /// </summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> content)
    {
        var (dir, name) = Split(path);
        var dirFd = OpenDirectory(dir);
        var temp = $".{name}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var handle = OpenAt(dirFd, Path.Combine(dir, temp), temp, Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL, 0b110_000_000))
            {
                try
                {
                    WriteAll(handle, content, path);
                }
                catch
                {
                    Native.unlinkat(dirFd, temp, 0);
                    throw;
                }
            }
            if (Native.renameat(dirFd, temp, dirFd, name) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                Native.unlinkat(dirFd, temp, 0);
                throw new IOException($"cannot write {path}: {Native.ErrorText(errno)}");
            }
        }
        finally
        {
            Native.close(dirFd);
        }
    }

    /// <summary>Writes every byte at the current end, or throws naming the file (ENOSPC: "No space left on device").</summary>
    public static void WriteAll(SafeFileHandle handle, ReadOnlySpan<byte> content, string pathForMessages)
    {
        fixed (byte* start = content)
        {
            var done = 0;
            while (done < content.Length)
            {
                var n = Native.write((int)handle.DangerousGetHandle(), start + done, content.Length - done);
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Native.EINTR) continue;
                    throw new IOException($"cannot write {pathForMessages}: {Native.ErrorText(errno)}");
                }
                if (n == 0) throw new IOException($"cannot write {pathForMessages}: nothing was written");
                done += (int)n;
            }
        }
    }

    /// <summary>Removes the entry itself (a symbolic link is removed, never its target). False when it was absent.</summary>
    public static bool Delete(string path)
    {
        var (dir, name) = Split(path);
        int dirFd;
        try { dirFd = OpenDirectory(dir); }
        catch (DirectoryNotFoundException) { return false; }
        try
        {
            if (Native.unlinkat(dirFd, name, 0) == 0) return true;
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Native.ENOENT) return false;
            throw new IOException($"cannot remove {path}: {Native.ErrorText(errno)}");
        }
        finally
        {
            Native.close(dirFd);
        }
    }

    /// <summary>Renames within one verified directory (a rename moves a symbolic link, never what it points to). False when <paramref name="from"/> was absent.</summary>
    public static bool Rename(string from, string to)
    {
        var (dir, fromName) = Split(from);
        var (toDir, toName) = Split(to);
        if (toDir != dir) throw new ArgumentException("renames stay within one directory", nameof(to));
        var dirFd = OpenDirectory(dir);
        try
        {
            if (Native.renameat(dirFd, fromName, dirFd, toName) == 0) return true;
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Native.ENOENT) return false;
            throw new IOException($"cannot rename {from} to {to}: {Native.ErrorText(errno)}");
        }
        finally
        {
            Native.close(dirFd);
        }
    }

    /// <summary>Whether the open file is still the one at <paramref name="path"/> (same inode), for lock files that a holder may unlink.</summary>
    public static bool IsSameFile(SafeFileHandle handle, string path) =>
        Fstat((int)handle.DangerousGetHandle()) is { } open && Lstat(path) is { } named
        && open.Inode == named.Inode && open.Device == named.Device;

    /// <summary>The size of an open file.</summary>
    public static long SizeOf(SafeFileHandle handle) => Fstat((int)handle.DangerousGetHandle())?.Size ?? 0;

    private static (string Dir, string Name) Split(string path)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? throw new ArgumentException($"{path} has no directory", nameof(path));
        var name = Path.GetFileName(full);
        if (name.Length == 0) throw new ArgumentException($"{path} names no file", nameof(path));
        return (dir, name);
    }
}
