using ActorSupervisor.Daemons;

namespace ActorSupervisor.Cli.Demo;

/// <summary>
/// What `up` runs without --specs: three daemons that need nothing installed, because they are this very executable
/// in its hidden demo-daemon mode. hocon/demo.conf and hocon/example-specs.json write the same specs out by hand.
/// </summary>
internal static class DemoSpecs
{
    public static IReadOnlyList<DaemonSpec> All()
    {
        var (command, prefix) = Self();
        string[] Args(params string[] rest) => [.. prefix, "demo-daemon", .. rest];
        return
        [
            // Told its port with a flag, the way NTM's daemons are.
            new DaemonSpec { Name = "web", Command = command, Args = Args(), PortFlag = "--port", HealthUrl = "/health" },
            // Reads its port from $PORT instead, the other way a daemon can learn it.
            new DaemonSpec { Name = "api", Command = command, Args = Args(), NeedsPort = true, HealthUrl = "/health" },
            // No port and no health check; it crashes now and then so restarts and backoff can be watched.
            new DaemonSpec { Name = "worker", Command = command, Args = Args("--crash-after", "20s") },
        ];
    }

    /// <summary>
    /// The argv prefix that runs this program again. Under `dotnet actorsupervisor.dll` the process is the dotnet host,
    /// which needs the assembly's path before the program's own arguments.
    /// </summary>
    private static (string Command, string[] Prefix) Self()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which executable is running");
        if (!string.Equals(Path.GetFileNameWithoutExtension(process), "dotnet", StringComparison.Ordinal)) return (process, []);
        // Not Assembly.Location, which a native (single-file) build cannot give: the dll sits in the base directory.
        var assembly = Path.Combine(AppContext.BaseDirectory, typeof(DemoSpecs).Assembly.GetName().Name + ".dll");
        return (process, [assembly]);
    }
}
