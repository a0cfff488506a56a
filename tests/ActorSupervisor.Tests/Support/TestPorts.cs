using ActorSupervisor.Ports;

namespace ActorSupervisor.Tests.Support;

/// <summary>
/// For the few tests that need a port free and *unbound*, so that the code under test can bind it. Everywhere else
/// a test binds the port it picks and keeps it, or lets the daemon bind port 0. An unbound port could be taken by a
/// parallel run between the pick and its use; picking it below the kernel's ephemeral range (ip_local_port_range)
/// keeps it out of every bind(0) and outgoing connection, and picking it at random keeps two runs apart.
/// </summary>
public static class TestPorts
{
    public static int Unbound()
    {
        var low = EphemeralLow();
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(Math.Max(1024, low - 12000), low);
            if (PortAllocator.IsFree(port)) return port;
        }
        throw new InvalidOperationException($"no free port below {low}");
    }

    private static int EphemeralLow()
    {
        try { return int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split('\t', ' ')[0]); }
        catch (Exception e) when (e is IOException or FormatException) { return 32768; }
    }
}
