using System.Net;
using System.Net.Sockets;
using ActorSupervisor.Daemons;
using ActorSupervisor.Ports;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Ports;

public class PortAllocatorSpecs
{
    private static (Socket listener, int port) Listen(IPAddress address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        // [::] as most servers bind it: dual-stack, so it holds the IPv4 port too (and shows in /proc/net/tcp6 only).
        if (address.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
        socket.Bind(new IPEndPoint(address, 0));
        socket.Listen();
        return (socket, ((IPEndPoint)socket.LocalEndPoint!).Port);
    }

    private static DaemonSpec Spec(int defaultPort, bool require = false) =>
        new() { Name = "web", Command = "x", PortFlag = "--port", DefaultPort = defaultPort, RequirePort = require };

    [Fact]
    public void A_free_default_port_is_given()
    {
        var port = TestPorts.Unbound();
        Assert.Equal(port, PortAllocator.Allocate(Spec(port), 0, new HashSet<int>()));
    }

    [Fact]
    public void A_spec_that_needs_a_port_without_a_default_gets_a_free_one_never_0()
    {
        var spec = new DaemonSpec { Name = "web", Command = "x", NeedsPort = true };
        var given = PortAllocator.Allocate(spec, 0, new HashSet<int>());
        Assert.InRange(given, 1, 65535);
        Assert.True(PortAllocator.IsFree(given));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
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
    public void A_port_bound_on_another_loopback_address_is_not_free_since_the_daemon_may_bind_the_wildcard()
    {
        // 127.0.0.1 is still bindable; 0.0.0.0 is not. A daemon may bind either, so both must be free.
        var (socket, port) = Listen(IPAddress.Parse("127.0.0.2"));
        using (socket)
        {
            Assert.False(PortAllocator.IsFree(port));
            Assert.NotEqual(port, PortAllocator.Allocate(Spec(port), 0, new HashSet<int>()));
        }
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::")]
    public void A_required_port_in_use_is_refused_naming_the_port_and_the_pid_that_holds_it(string address)
    {
        var (socket, port) = Listen(IPAddress.Parse(address));
        using (socket)
        {
            var e = Assert.Throws<PortUnavailableException>(() => PortAllocator.Allocate(Spec(port, require: true), 0, new HashSet<int>()));
            Assert.Contains(port.ToString(), e.Message);
            Assert.Equal(port, e.Port);
            Assert.Equal(Environment.ProcessId, e.HolderPid);
            Assert.Contains($"pid {Environment.ProcessId}", e.Message);
        }
    }

    [Fact]
    public void A_required_port_another_session_records_is_refused_naming_its_holder_too()
    {
        // Taken by another session's daemon (its PID file records it): whoever listens is still named (issue 9).
        var (socket, port) = Listen(IPAddress.Loopback);
        using (socket)
        {
            var e = Assert.Throws<PortUnavailableException>(() => PortAllocator.Allocate(Spec(port, require: true), 0, new HashSet<int> { port }));
            Assert.Equal(Environment.ProcessId, e.HolderPid);
            Assert.Equal($"daemon 'web' requires port {port}, which is in use by pid {Environment.ProcessId} (another live daemon is recorded with it)", e.Message);
        }
    }

    [Fact]
    public void Ports_already_taken_are_never_handed_out_and_a_previous_port_wins_when_free()
    {
        var port = TestPorts.Unbound();
        Assert.NotEqual(port, PortAllocator.Allocate(Spec(port), 0, new HashSet<int> { port }));
        var previous = TestPorts.Unbound();
        Assert.Equal(previous, PortAllocator.Allocate(Spec(port), previous, new HashSet<int>()));
    }

    [Fact]
    public void When_every_port_is_taken_the_allocation_fails_naming_the_daemon_instead_of_handing_out_a_taken_one()
    {
        var everything = Enumerable.Range(1, 65535).ToHashSet();
        var e = Assert.Throws<PortUnavailableException>(() => PortAllocator.Allocate(Spec(0), 0, everything));
        Assert.Equal("no free port could be found for daemon 'web'", e.Message);
        Assert.Equal(0, e.Port);
    }

    [Fact]
    public void A_spec_without_a_port_gets_none()
    {
        Assert.Equal(0, PortAllocator.Allocate(new DaemonSpec { Name = "bd", Command = "bd" }, 0, new HashSet<int>()));
    }

    [Fact]
    public void The_owner_of_a_port_is_the_process_listening_on_it_not_one_merely_connected_from_it()
    {
        var (listener, port) = Listen(IPAddress.Loopback);
        using (listener)
        using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            client.Connect(IPAddress.Loopback, port);
            var clientPort = ((IPEndPoint)client.LocalEndPoint!).Port;
            using var accepted = listener.Accept();

            Assert.Equal(Environment.ProcessId, PortOwner.Find(port));
            Assert.Null(PortOwner.Find(clientPort)); // an established connection's local port: nobody listens there
        }
    }
}
