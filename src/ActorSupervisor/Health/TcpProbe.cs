using System.Net;
using System.Net.Sockets;

namespace ActorSupervisor.Health;

/// <summary>A TCP health check: healthy when a connection to the endpoint succeeds within the timeout.</summary>
internal static class TcpProbe
{
    public static async Task<ProbeResult> CheckAsync(IPEndPoint endpoint, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endpoint, cts.Token).ConfigureAwait(false);
            return ProbeResult.Ok;
        }
        catch (OperationCanceledException)
        {
            return ProbeResult.Fail($"TCP connect to {endpoint} timed out after {timeout.TotalMilliseconds:0} ms");
        }
        catch (SocketException e)
        {
            return ProbeResult.Fail($"TCP connect to {endpoint} failed: {e.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused",
                SocketError.TimedOut => "timed out",
                _ => e.Message,
            }}");
        }
    }
}
