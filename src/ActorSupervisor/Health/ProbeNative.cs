using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ActorSupervisor.Health;

/// <summary>
/// The libc calls the prober makes: non-blocking TCP sockets, one epoll set and an eventfd to wake it. Written against
/// libc rather than <see cref="Socket"/> because the point is one thread doing everything, with no completion
/// callbacks, no thread-pool hops and no per-operation allocations.
/// </summary>
internal static unsafe partial class ProbeNative
{
    private const string Libc = "libc";

    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int SOCK_STREAM = 1;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int IPPROTO_TCP = 6;
    public const int TCP_NODELAY = 1;
    public const int SOL_SOCKET = 1;
    public const int SO_ERROR = 4;
    public const int MSG_NOSIGNAL = 0x4000;

    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EINPROGRESS = 115;

    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;
    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;

    /// <summary>struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16 bytes).</summary>
    public static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    public static readonly int EpollDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    [LibraryImport(Libc, SetLastError = true)] public static partial int socket(int domain, int type, int protocol);
    [LibraryImport(Libc, SetLastError = true)] public static partial int connect(int fd, byte* addr, int addrLen);
    [LibraryImport(Libc, SetLastError = true)] public static partial nint send(int fd, byte* buffer, nint length, int flags);
    [LibraryImport(Libc, SetLastError = true)] public static partial nint recv(int fd, byte* buffer, nint length, int flags);
    [LibraryImport(Libc, SetLastError = true)] public static partial int close(int fd);
    [LibraryImport(Libc, SetLastError = true)] public static partial int setsockopt(int fd, int level, int name, int* value, int length);
    [LibraryImport(Libc, SetLastError = true)] public static partial int getsockopt(int fd, int level, int name, int* value, int* length);
    [LibraryImport(Libc, SetLastError = true)] public static partial int epoll_create1(int flags);
    [LibraryImport(Libc, SetLastError = true)] public static partial int epoll_ctl(int epfd, int op, int fd, byte* ev);
    [LibraryImport(Libc, SetLastError = true)] public static partial int epoll_wait(int epfd, byte* events, int maxEvents, int timeoutMs);
    [LibraryImport(Libc, SetLastError = true)] public static partial int eventfd(uint initval, int flags);
    [LibraryImport(Libc, SetLastError = true)] public static partial nint read(int fd, byte* buffer, nint count);
    [LibraryImport(Libc, SetLastError = true)] public static partial nint write(int fd, byte* buffer, nint count);

    public static int Errno => Marshal.GetLastPInvokeError();

    /// <summary>strerror's text for an errno, e.g. "Connection refused".</summary>
    public static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    /// <summary>Registers (or re-registers) <paramref name="fd"/> with the events and the 64-bit token given.</summary>
    public static int Control(int epoll, int op, int fd, uint events, ulong token)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(ulong*)(ev + EpollDataOffset) = token;
        return epoll_ctl(epoll, op, fd, ev);
    }

    /// <summary>A sockaddr_in or sockaddr_in6 for an endpoint, in network byte order, written into <paramref name="buffer"/> (28 bytes).</summary>
    public static int WriteSockaddr(IPEndPoint endpoint, byte* buffer)
    {
        new Span<byte>(buffer, 28).Clear();
        var port = (ushort)endpoint.Port;
        if (endpoint.AddressFamily == AddressFamily.InterNetwork)
        {
            *(ushort*)buffer = AF_INET;
            buffer[2] = (byte)(port >> 8);
            buffer[3] = (byte)port;
            endpoint.Address.TryWriteBytes(new Span<byte>(buffer + 4, 4), out _);
            return 16;
        }
        *(ushort*)buffer = AF_INET6;
        buffer[2] = (byte)(port >> 8);
        buffer[3] = (byte)port;
        endpoint.Address.TryWriteBytes(new Span<byte>(buffer + 8, 16), out _);
        *(uint*)(buffer + 24) = (uint)endpoint.Address.ScopeId;
        return 28;
    }
}
