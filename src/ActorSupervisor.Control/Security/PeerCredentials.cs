using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace ActorSupervisor.Control.Security;

/// <summary>
/// The Unix socket's second lock, behind the 0700 directory: a connection whose peer (SO_PEERCRED) is not this user
/// (or root) is closed before a byte of HTTP is read. A connection that passes is marked trusted, which is what lets
/// its requests through without a token.
/// </summary>
internal static partial class PeerCredentials
{
    private const int SOL_SOCKET = 1;
    private const int SO_PEERCRED = 17;

    /// <summary>The connection item that marks a Unix-socket connection from this user.</summary>
    public const string TrustedItem = "actorsupervisor.trusted-peer";

    public static Func<ConnectionDelegate, ConnectionDelegate> Middleware => next => async connection =>
    {
        var socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket;
        if (socket is null || PeerUid(socket) is not { } uid || (uid != geteuid() && uid != 0))
        {
            connection.Abort();
            return;
        }
        connection.Items[TrustedItem] = true;
        await next(connection);
    };

    /// <summary>The peer's uid, from struct ucred { pid_t pid; uid_t uid; gid_t gid; }.</summary>
    private static uint? PeerUid(Socket socket)
    {
        Span<byte> ucred = stackalloc byte[12];
        try
        {
            var length = socket.GetRawSocketOption(SOL_SOCKET, SO_PEERCRED, ucred);
            return length >= 8 ? BinaryPrimitives.ReadUInt32LittleEndian(ucred[4..]) : null;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
