using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace ActorSupervisor.Control.Transport;

/// <summary>
/// Where a session's control socket lives: &lt;state root&gt;/control/&lt;session&gt;.sock, in a directory of mode 0700
/// (the socket itself is 0600), so only the user who runs the supervisor can reach it. Beside it: the session's lock
/// (held while the endpoint is up) and, when a TCP listener made one, its token.
/// </summary>
/// <remarks>
/// A Unix socket's path is limited to 107 bytes (sun_path is 108, with its NUL), and a project dir can be longer.
/// Then the socket stays where it belongs, and both sides reach it through the directory's descriptor instead:
/// <c>/proc/self/fd/&lt;fd of the control dir&gt;/&lt;session&gt;.sock</c>, at most 88 bytes with a 64-byte session
/// name. Nothing moves to /tmp, where another user could plant a directory or a socket first.
/// </remarks>
internal static partial class ControlSocket
{
    public const int MaxSocketPathBytes = 107;
    private const UnixFileMode PrivateDir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static string DirFor(string stateRoot) => Path.Combine(stateRoot, "control");
    public static string PathFor(string stateRoot, string session) => Path.Combine(DirFor(stateRoot), session + ".sock");
    public static string LockPathFor(string stateRoot, string session) => Path.Combine(DirFor(stateRoot), session + ".lock");
    public static string TokenPathFor(string stateRoot, string session) => Path.Combine(DirFor(stateRoot), session + ".token");

    /// <summary>The session named by a socket file's name, or null for anything else in the directory.</summary>
    public static string? SessionOf(string socketPath) =>
        socketPath.EndsWith(".sock", StringComparison.Ordinal) ? Path.GetFileNameWithoutExtension(socketPath) : null;

    /// <summary>
    /// Creates the control directory (0700), or makes sure the one there is a real directory (not a link) of ours,
    /// closed to everyone else. Anything else is refused with the reason.
    /// </summary>
    public static void EnsurePrivateDirectory(string stateRoot)
    {
        Directory.CreateDirectory(stateRoot, PrivateDir);
        var dir = DirFor(stateRoot);
        Directory.CreateDirectory(dir, PrivateDir);
        var info = new DirectoryInfo(dir);
        if (info.LinkTarget is not null)
            throw new IOException($"{dir} is a symbolic link; the control socket is only made in a real directory");
        // Set every time rather than checked: chmod succeeds only for the directory's owner, so a directory someone
        // else made fails here, and one of ours left open is closed.
        File.SetUnixFileMode(dir, PrivateDir);
    }

    /// <summary>
    /// An endpoint for <paramref name="socketPath"/>: the path itself when it fits, else a path through an open
    /// descriptor of its directory, which the caller keeps open as long as the endpoint is used and then disposes.
    /// </summary>
    public static (UnixDomainSocketEndPoint EndPoint, IDisposable? DirHandle) EndPoint(string socketPath)
    {
        if (Encoding.UTF8.GetByteCount(socketPath) <= MaxSocketPathBytes) return (new UnixDomainSocketEndPoint(socketPath), null);
        var dir = Path.GetDirectoryName(socketPath)!;
        var fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            throw new IOException($"cannot open {dir}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        var viaFd = $"/proc/self/fd/{fd}/{Path.GetFileName(socketPath)}";
        if (Encoding.UTF8.GetByteCount(viaFd) > MaxSocketPathBytes)
        {
            handle.Dispose();
            throw new IOException($"the control socket's name is too long even through a descriptor: {viaFd}");
        }
        return (new UnixDomainSocketEndPoint(viaFd), handle);
    }

    /// <summary>Every control socket of a project's sessions (live or stale), with its session.</summary>
    public static IReadOnlyList<(string Session, string Path)> List(string stateRoot)
    {
        var dir = DirFor(stateRoot);
        if (!Directory.Exists(dir)) return [];
        try
        {
            return Directory.EnumerateFiles(dir, "*.sock")
                .Select(p => (Session: SessionOf(p), Path: p))
                .Where(e => e.Session is { Length: > 0 })
                .Select(e => (e.Session!, e.Path))
                .OrderBy(e => e.Item1, StringComparer.Ordinal)
                .ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private const int O_PATH = 0x200000;
    private const int O_DIRECTORY = 0x10000;
    private const int O_CLOEXEC = 0x80000;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags);
}
