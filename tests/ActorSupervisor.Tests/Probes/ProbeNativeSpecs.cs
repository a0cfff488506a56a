using System.Net;
using ActorSupervisor.Health;

namespace ActorSupervisor.Tests.Probes;

/// <summary>
/// The prober's libc structures checked against the kernel and the runtime: the epoll_event layout (read back from a
/// real epoll_wait) and the sockaddr it connects with (byte for byte what .NET itself would pass).
/// </summary>
public sealed unsafe class ProbeNativeSpecs
{
    [Fact]
    public void Two_events_from_one_epoll_wait_come_back_with_their_own_tokens()
    {
        var epoll = ProbeNative.epoll_create1(ProbeNative.EPOLL_CLOEXEC);
        Assert.True(epoll >= 0, $"epoll_create1: {ProbeNative.ErrorText(ProbeNative.Errno)}");
        // Two eventfds created with a count of 1: both readable before epoll_wait is called, so one call reports both.
        var first = ProbeNative.eventfd(1, ProbeNative.EFD_CLOEXEC | ProbeNative.EFD_NONBLOCK);
        var second = ProbeNative.eventfd(1, ProbeNative.EFD_CLOEXEC | ProbeNative.EFD_NONBLOCK);
        try
        {
            Assert.True(first >= 0 && second >= 0, $"eventfd: {ProbeNative.ErrorText(ProbeNative.Errno)}");
            const ulong firstToken = 0x1111_2222_3333_4444, secondToken = 0x5555_6666_7777_8888;
            Assert.Equal(0, ProbeNative.Control(epoll, ProbeNative.EPOLL_CTL_ADD, first, ProbeNative.EPOLLIN, firstToken));
            Assert.Equal(0, ProbeNative.Control(epoll, ProbeNative.EPOLL_CTL_ADD, second, ProbeNative.EPOLLIN, secondToken));

            var events = stackalloc byte[64];
            var n = ProbeNative.epoll_wait(epoll, events, 2, 0);

            Assert.Equal(2, n);
            var seen = new List<(uint Mask, ulong Token)>();
            for (var i = 0; i < n; i++)
            {
                var at = events + i * ProbeNative.EpollEventSize;
                seen.Add((*(uint*)at, *(ulong*)(at + ProbeNative.EpollDataOffset)));
            }
            Assert.Equal([(ProbeNative.EPOLLIN, firstToken), (ProbeNative.EPOLLIN, secondToken)], seen.OrderBy(e => e.Token));
        }
        finally
        {
            if (first >= 0) ProbeNative.close(first);
            if (second >= 0) ProbeNative.close(second);
            ProbeNative.close(epoll);
        }
    }

    [Theory]
    [InlineData("127.0.0.1", 8080, 0L)]
    [InlineData("10.1.2.3", 65534, 0L)]
    [InlineData("::1", 8080, 0L)]
    [InlineData("fe80::1:2", 443, 3L)]
    public void The_sockaddr_is_the_one_the_runtime_would_pass_whatever_the_buffer_held(string address, int port, long scope)
    {
        var ip = IPAddress.Parse(address);
        if (scope != 0) ip.ScopeId = scope;
        var endpoint = new IPEndPoint(ip, port);
        var expected = endpoint.Serialize();

        // The sockaddr goes in the middle of a buffer full of garbage, so a write outside it shows too.
        var memory = new byte[96];
        Array.Fill(memory, (byte)0xAA);
        int length;
        fixed (byte* start = memory) length = ProbeNative.WriteSockaddr(endpoint, start + 32);

        Assert.Equal(expected.Size, length);
        Assert.Equal(expected.Buffer[..length].ToArray(), memory[32..(32 + length)]);
        Assert.All(memory[..32], b => Assert.Equal(0xAA, b));
        Assert.All(memory[(32 + 28)..], b => Assert.Equal(0xAA, b));
    }
}
