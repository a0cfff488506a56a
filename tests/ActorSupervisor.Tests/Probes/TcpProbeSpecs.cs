using System.Net;
using System.Net.Sockets;
using ActorSupervisor.Health;

namespace ActorSupervisor.Tests.Probes;

/// <summary>The TCP health check against real sockets on the loopback: a listener, a refusal, a connect that hangs.</summary>
public sealed class TcpProbeSpecs
{
    private static Socket Listening(IPAddress address, int backlog = 16)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(address, 0));
        socket.Listen(backlog);
        return socket;
    }

    [Fact]
    public async Task A_listener_on_the_IPv4_loopback_is_healthy()
    {
        using var listener = Listening(IPAddress.Loopback);
        Assert.Equal(ProbeResult.Ok, await TcpProbe.CheckAsync((IPEndPoint)listener.LocalEndPoint!, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_listener_on_the_IPv6_loopback_is_healthy()
    {
        using var listener = Listening(IPAddress.IPv6Loopback);
        Assert.Equal(ProbeResult.Ok, await TcpProbe.CheckAsync((IPEndPoint)listener.LocalEndPoint!, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_port_nobody_listens_on_is_refused_and_says_so()
    {
        // Bound and kept, never listening: refused, and no parallel run can take the port meanwhile.
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var endpoint = (IPEndPoint)holder.LocalEndPoint!;

        var result = await TcpProbe.CheckAsync(endpoint, TimeSpan.FromSeconds(10));

        Assert.False(result.Healthy);
        Assert.Equal($"TCP connect to {endpoint} failed: connection refused", result.Error);
    }

    [Fact]
    public async Task A_connect_that_gets_no_answer_fails_at_the_timeout_naming_it()
    {
        // A listener whose accept queue is full: Linux drops further SYNs, so a connect neither succeeds nor is
        // refused; it waits (the kernel would retry for minutes) until the probe gives up.
        using var listener = Listening(IPAddress.Loopback, backlog: 0);
        var endpoint = (IPEndPoint)listener.LocalEndPoint!;
        var fillers = new List<Socket>();
        try
        {
            // Fill the queue: connects complete until it is full, then one hangs.
            while (true)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
                try { await filler.ConnectAsync(endpoint, cts.Token); }
                catch (OperationCanceledException) { break; }
                Assert.True(fillers.Count < 64, "the accept queue never filled");
            }

            var clock = System.Diagnostics.Stopwatch.StartNew();
            var result = await TcpProbe.CheckAsync(endpoint, TimeSpan.FromMilliseconds(300));

            Assert.Equal($"TCP connect to {endpoint} timed out after 300 ms", result.Error);
            Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"gave up after {clock.ElapsedMilliseconds} ms");
        }
        finally
        {
            foreach (var f in fillers) f.Dispose();
        }
    }
}
