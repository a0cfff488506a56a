using System.Net;
using System.Net.Sockets;
using ActorSupervisor.Daemons;
using ActorSupervisor.Ports;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Ports;

/// <summary>
/// Which port a daemon gets when the previous port, the default port and the claim disagree, on real sockets: busy
/// ports are bound and kept by the spec, free ones are picked below the ephemeral range (<see cref="TestPorts"/>).
/// </summary>
public sealed class PortChoiceSpecs
{
    private static readonly IReadOnlySet<int> None = new HashSet<int>();

    private static DaemonSpec Spec(int defaultPort, bool require = false) =>
        new() { Name = "web", Command = "x", PortFlag = "--port", DefaultPort = defaultPort, RequirePort = require };

    private static Socket Bound(out int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen();
        port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        return socket;
    }

    [Fact]
    public void A_busy_previous_port_gives_way_to_the_free_default_port()
    {
        using var busy = Bound(out var previous);
        var defaultPort = TestPorts.Unbound();
        Assert.Equal(defaultPort, PortAllocator.Allocate(Spec(defaultPort), previous, None));
    }

    [Fact]
    public void A_previous_port_taken_by_this_caller_gives_way_to_the_default_port()
    {
        var previous = TestPorts.Unbound();
        int defaultPort;
        do defaultPort = TestPorts.Unbound();
        while (defaultPort == previous);
        Assert.Equal(defaultPort, PortAllocator.Allocate(Spec(defaultPort), previous, new HashSet<int> { previous }));
    }

    [Fact]
    public void A_previous_port_that_is_the_default_port_is_given_when_free()
    {
        var port = TestPorts.Unbound();
        Assert.Equal(port, PortAllocator.Allocate(Spec(port, require: true), port, None));
    }

    [Fact]
    public void A_required_port_that_was_also_the_previous_port_is_refused_when_busy_naming_its_holder()
    {
        using var busy = Bound(out var port);
        var e = Assert.Throws<PortUnavailableException>(() => PortAllocator.Allocate(Spec(port, require: true), port, None));
        Assert.Equal($"daemon 'web' requires port {port}, which is in use by pid {Environment.ProcessId}", e.Message);
        Assert.Equal(port, e.Port);
        Assert.Equal(Environment.ProcessId, e.HolderPid);
    }

    [Fact]
    public void A_busy_default_port_that_was_also_the_previous_port_gives_way_to_a_free_port_when_not_required()
    {
        using var busy = Bound(out var port);
        var given = PortAllocator.Allocate(Spec(port), port, None);
        Assert.NotEqual(port, given);
        Assert.True(PortAllocator.IsFree(given));
    }

    [Fact]
    public void A_required_port_that_was_also_the_previous_port_is_refused_when_another_session_records_it()
    {
        var port = TestPorts.Unbound();
        var e = Assert.Throws<PortUnavailableException>(() => PortAllocator.Allocate(Spec(port, require: true), port, new HashSet<int> { port }));
        Assert.Equal($"daemon 'web' requires port {port}, which is in use (another live daemon is recorded with it)", e.Message);
        Assert.Null(e.HolderPid);
    }

    [Fact]
    public void A_required_port_lost_to_another_claimer_is_refused_without_naming_anyone()
    {
        var port = TestPorts.Unbound();
        var e = Assert.Throws<PortUnavailableException>(() => PortAllocator.Allocate(Spec(port, require: true), 0, None, _ => false));
        Assert.Equal($"daemon 'web' requires port {port}, which is in use", e.Message);
        Assert.Null(e.HolderPid);
    }

    [Fact]
    public void A_required_free_port_that_the_claim_accepts_is_given()
    {
        var port = TestPorts.Unbound();
        var asked = new List<int>();
        Assert.Equal(port, PortAllocator.Allocate(Spec(port, require: true), 0, None, p => { asked.Add(p); return true; }));
        Assert.Equal([port], asked);
    }

    [Fact]
    public void A_default_port_lost_to_another_claimer_gives_way_to_a_free_port_the_claim_accepts()
    {
        var port = TestPorts.Unbound();
        var asked = new List<int>();
        var given = PortAllocator.Allocate(Spec(port), 0, None, p =>
        {
            asked.Add(p);
            return p != port && asked.Count >= 3; // the default, then one more candidate, are lost to others
        });
        Assert.NotEqual(port, given);
        Assert.Equal(port, asked[0]);
        Assert.Equal(3, asked.Count);
        Assert.Equal(given, asked[^1]);
        Assert.True(PortAllocator.IsFree(given));
    }

    [Fact]
    public void A_previous_port_lost_to_another_claimer_is_not_given()
    {
        var previous = TestPorts.Unbound();
        var given = PortAllocator.Allocate(Spec(0) with { NeedsPort = true }, previous, None, p => p != previous);
        Assert.NotEqual(previous, given);
        Assert.InRange(given, 1, 65535);
    }

    [Fact]
    public void Busy_or_taken_candidates_are_never_offered_to_the_claim()
    {
        using var busy = Bound(out var busyPort);
        var taken = TestPorts.Unbound();
        var asked = new List<int>();
        PortAllocator.Allocate(Spec(busyPort), taken, new HashSet<int> { taken }, p => { asked.Add(p); return true; });
        Assert.DoesNotContain(busyPort, asked);
        Assert.DoesNotContain(taken, asked);
        Assert.Single(asked);
    }

    [Fact]
    public void A_claim_that_refuses_everything_ends_in_no_free_port_rather_than_a_taken_one()
    {
        var asked = 0;
        var e = Assert.Throws<PortUnavailableException>(() =>
            PortAllocator.Allocate(Spec(0) with { NeedsPort = true }, 0, None, _ => { asked++; return false; }));
        Assert.Equal("no free port could be found for daemon 'web'", e.Message);
        Assert.InRange(asked, 1, 64); // 64 candidates at most (fewer if a parallel run binds one in between)
    }

    [Fact]
    public void A_spec_without_a_port_never_asks_for_a_claim()
    {
        var asked = 0;
        Assert.Equal(0, PortAllocator.Allocate(new DaemonSpec { Name = "bd", Command = "bd" }, 4000, None, _ => { asked++; return true; }));
        Assert.Equal(0, asked);
    }
}
