using System.Net;
using System.Net.Sockets;
using ActorSupervisor.Daemons;
using ActorSupervisor.Ports;

namespace ActorSupervisor.Tests.Ports;

public class PortAllocatorSpecs
{
    private static (Socket listener, int port) Listen(IPAddress address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(address, 0));
        socket.Listen();
        return (socket, ((IPEndPoint)socket.LocalEndPoint!).Port);
    }

    private static DaemonSpec Spec(int defaultPort, bool require = false) =>
        new() { Name = "web", Command = "x", PortFlag = "--port", DefaultPort = defaultPort, RequirePort = require };

    [Fact]
    public void A_free_default_port_is_given()
    {
        var (socket, port) = Listen(IPAddress.Loopback);
        socket.Dispose(); // now free
        Assert.Equal(port, PortAllocator.Allocate(Spec(port), 0, new HashSet<int>()));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("0.0.0.0")]
    public void A_default_port_in_use_on_loopback_or_the_wildcard_falls_back_to_a_free_one(string address)
    {
        var (socket, port) = Listen(IPAddress.Parse(address));
        using (socket)
        {
            var given = PortAllocator.Allocate(Spec(port), 0, new HashSet<int>());
            Assert.NotEqual(port, given);
            Assert.True(PortAllocator.IsFree(given));
        }
    }

    [Fact]
    public void A_required_port_in_use_is_refused_naming_the_port_and_the_pid_that_holds_it()
    {
        var (socket, port) = Listen(IPAddress.Loopback);
        using (socket)
        {
            var e = Assert.Throws<PortUnavailableException>(() => PortAllocator.Allocate(Spec(port, require: true), 0, new HashSet<int>()));
            Assert.Contains(port.ToString(), e.Message);
            Assert.Equal(Environment.ProcessId, e.HolderPid);
            Assert.Contains($"pid {Environment.ProcessId}", e.Message);
        }
    }

    [Fact]
    public void Ports_already_taken_are_never_handed_out_and_a_previous_port_wins_when_free()
    {
        var (socket, port) = Listen(IPAddress.Loopback);
        socket.Dispose();
        Assert.NotEqual(port, PortAllocator.Allocate(Spec(port), 0, new HashSet<int> { port }));
        var (s2, previous) = Listen(IPAddress.Loopback);
        s2.Dispose();
        Assert.Equal(previous, PortAllocator.Allocate(Spec(port), previous, new HashSet<int>()));
    }

    [Fact]
    public void A_spec_without_a_port_gets_none()
    {
        Assert.Equal(0, PortAllocator.Allocate(new DaemonSpec { Name = "bd", Command = "bd" }, 0, new HashSet<int>()));
    }
}
