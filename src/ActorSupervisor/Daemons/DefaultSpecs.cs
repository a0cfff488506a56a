namespace ActorSupervisor.Daemons;

public static class DefaultSpecs
{
    /// <summary>The three daemons NTM ships: cass-memory, beads and agent mail.</summary>
    public static IReadOnlyList<DaemonSpec> All() =>
    [
        new DaemonSpec
        {
            Name = "cm",
            Command = "cm",
            Args = ["serve"],
            PortFlag = "--port",
            DefaultPort = 8200,
            HealthUrl = "http://127.0.0.1:8200/health",
        },
        new DaemonSpec
        {
            Name = "bd",
            Command = "bd",
            Args = ["daemon", "--start", "--foreground", "--auto-commit", "--interval", "5s"],
            HealthCmd = ["bd", "daemon", "--health"],
        },
        new DaemonSpec
        {
            Name = "am",
            Command = "am",
            Args = ["serve-http", "--host", "127.0.0.1", "--no-tui", "--no-auth"],
            PortFlag = "--port",
            DefaultPort = 8765,
            HealthUrl = "http://127.0.0.1:8765/health/liveness",
        },
    ];
}
