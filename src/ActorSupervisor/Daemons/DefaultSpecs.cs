namespace ActorSupervisor.Daemons;

/// <summary>The daemons NTM runs for an agent session, as specs ready to start (see <see cref="All"/>).</summary>
public static class DefaultSpecs
{
    /// <summary>
    /// The daemons NTM ships: cass-memory (cm) and beads (bd), and agent mail (am) only when asked for, as NTM upstream
    /// runs it only when its config opts in. Where upstream fixed a real bug since the seed, these follow it: cm speaks
    /// MCP JSON-RPC at its root and serves no GET /health, so it is probed the way upstream probes it (health_mcp);
    /// cm and am refuse a fallback port (a second instance on a random port is one its clients cannot find); am runs
    /// `serve-http` and is probed at /health/liveness. See docs/configuration.md.
    /// </summary>
    /// <param name="includeAgentMail">Also return agent mail (am), which NTM runs only when its config opts in.</param>
    /// <returns>New spec objects on every call, in start order.</returns>
    public static IReadOnlyList<DaemonSpec> All(bool includeAgentMail = false)
    {
        var specs = new List<DaemonSpec>
        {
            new()
            {
                Name = "cm",
                Command = "cm",
                Args = ["serve"],
                PortFlag = "--port",
                DefaultPort = 8200,
                HealthMcp = true,
                RequirePort = true,
            },
            new()
            {
                Name = "bd",
                Command = "bd",
                Args = ["daemon", "--start", "--foreground", "--auto-commit", "--interval", "5s"],
                HealthCmd = ["bd", "daemon", "--health"],
            },
        };
        if (includeAgentMail) specs.Add(AgentMail);
        return specs;
    }

    private static DaemonSpec AgentMail => new()
    {
        Name = "am",
        Command = "am",
        Args = ["serve-http", "--host", "127.0.0.1", "--no-tui", "--no-auth"],
        PortFlag = "--port",
        DefaultPort = 8765,
        HealthUrl = "http://127.0.0.1:8765/health/liveness",
        RequirePort = true,
    };
}
