using System.Net;
using ActorSupervisor.Health;

namespace ActorSupervisor.Tests.Probes;

/// <summary>Every form health_tcp accepts, and every form it refuses with the reason validation shows.</summary>
public sealed class HealthTcpSpecs
{
    private const string NotAPort = "must be \"port\" (the daemon's own port), a port number, or HOST:PORT";
    private const string NotLoopback = "must name a loopback host (127.0.0.1, ::1 or localhost)";

    [Theory]
    [InlineData("port")]
    [InlineData("PORT")]
    [InlineData("Port")]
    public void The_word_port_names_the_daemons_allocated_port_on_the_IPv4_loopback(string text)
    {
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 4321), HealthTcp.Resolve(text, 4321));
        Assert.True(HealthTcp.Parse(text, out var endpoint, out var problem));
        Assert.Null(endpoint); // known only once a port is allocated
        Assert.Null(problem);
    }

    [Theory]
    [InlineData("port", 0)]
    [InlineData("port", -1)]
    [InlineData(null, 8080)]
    [InlineData("", 8080)]
    public void Nothing_is_probed_without_a_form_or_without_an_allocated_port_for_the_word_port(string? text, int allocated)
    {
        Assert.Null(HealthTcp.Resolve(text, allocated));
    }

    [Theory]
    [InlineData("8080", "127.0.0.1", 8080)]
    [InlineData("1", "127.0.0.1", 1)]
    [InlineData("65535", "127.0.0.1", 65535)]
    [InlineData("127.0.0.1:9000", "127.0.0.1", 9000)]
    [InlineData("127.1.2.3:9000", "127.1.2.3", 9000)]
    [InlineData("localhost:9000", "127.0.0.1", 9000)]
    [InlineData("LocalHost:9000", "127.0.0.1", 9000)]
    [InlineData("[::1]:9000", "::1", 9000)]
    [InlineData("::1:9000", "::1", 9000)]
    public void A_port_or_a_loopback_host_and_port_is_accepted(string text, string address, int port)
    {
        var expected = new IPEndPoint(IPAddress.Parse(address), port);
        Assert.True(HealthTcp.Parse(text, out var endpoint, out var problem));
        Assert.Equal(expected, endpoint);
        Assert.Null(problem);
        // The probe resolves an explicit form the same way, whatever port the daemon has.
        Assert.Equal(expected, HealthTcp.Resolve(text, 4321));
        Assert.Equal(expected, HealthTcp.Resolve(text, 0));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("-1")]
    [InlineData("+80")]
    [InlineData(" 80")]
    [InlineData("80 ")]
    [InlineData("8O")]
    [InlineData("http")]
    [InlineData("127.0.0.1:")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("127.0.0.1:http")]
    [InlineData("ports")]
    public void Anything_but_a_port_from_1_to_65535_is_refused_saying_what_is_expected(string text)
    {
        Assert.False(HealthTcp.Parse(text, out var endpoint, out var problem));
        Assert.Null(endpoint);
        Assert.Equal(NotAPort, problem);
        Assert.Null(HealthTcp.Resolve(text, 4321));
    }

    [Theory]
    [InlineData("10.0.0.1:80")]
    [InlineData("0.0.0.0:80")]
    [InlineData("[::]:80")]
    [InlineData("example.com:80")]
    [InlineData(":80")]
    [InlineData("local:80")]
    public void A_host_that_is_not_a_loopback_is_refused_saying_so(string text)
    {
        Assert.False(HealthTcp.Parse(text, out var endpoint, out var problem));
        Assert.Null(endpoint);
        Assert.Equal(NotLoopback, problem);
        Assert.Null(HealthTcp.Resolve(text, 4321));
    }
}
