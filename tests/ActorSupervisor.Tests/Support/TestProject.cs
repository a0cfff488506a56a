using System.Net;
using System.Net.Sockets;
using ActorSupervisor.Daemons;
using ActorSupervisor.PidFiles;

namespace ActorSupervisor.Tests.Support;

/// <summary>
/// A fresh project dir for one test, and the check that the test left nothing behind: every process the test
/// started carries <see cref="TagVariable"/> in its environment (grandchildren inherit it), so after the test none
/// may be alive, no PID file may remain, and no port a daemon had may still be bound.
/// </summary>
public sealed class TestProject : IDisposable
{
    public const string TagVariable = "ACTORSUPERVISOR_TEST_TAG";

    public string Dir { get; }
    public string Tag { get; } = Guid.NewGuid().ToString("N")[..12];
    public string SessionId { get; }
    private readonly HashSet<int> _portsSeen = [];

    public TestProject(string? sessionId = null)
    {
        Dir = Directory.CreateTempSubdirectory("actorsupervisor-test-").FullName;
        SessionId = sessionId ?? "t" + Tag;
    }

    internal PidFileStore Store => new(Config().WithDefaults().StateRoot);

    public SupervisorConfig Config(Func<SupervisorConfig, SupervisorConfig>? change = null)
    {
        var config = new SupervisorConfig
        {
            SessionId = SessionId,
            ProjectDir = Dir,
            HealthInterval = TimeSpan.FromMilliseconds(200),
            RestartBackoffMin = TimeSpan.FromMilliseconds(50),
            RestartBackoffMax = TimeSpan.FromSeconds(1),
            StopGrace = TimeSpan.FromSeconds(2),
            StartupTimeout = TimeSpan.FromSeconds(20),
            SettleTime = TimeSpan.FromMilliseconds(300),
        };
        return change is null ? config : change(config);
    }

    /// <summary>Where this test's daemons record their start, the signals they catch and their exit.</summary>
    public SignalRecord Signals => new(Path.Combine(Dir, "signals.log"));

    /// <summary>
    /// A spec that runs the test daemon, tagged so the leak check can find it and everything it spawns, and recording
    /// its signals in <see cref="Signals"/>.
    /// </summary>
    public DaemonSpec Daemon(string name, params string[] args) => new()
    {
        Name = name,
        Command = TestDaemon.Path,
        Args = args,
        Env = [$"{TagVariable}={Tag}", $"{SignalRecord.Variable}={Signals.Path}"],
    };

    /// <summary>As <see cref="Daemon"/>, with a port (passed as --port) and an HTTP health check on /health.</summary>
    public DaemonSpec HttpDaemon(string name, params string[] args) => Daemon(name, args) with
    {
        PortFlag = "--port",
        HealthUrl = "/health",
        NeedsPort = true,
    };

    public void RememberPort(int port)
    {
        if (port > 0) _portsSeen.Add(port);
    }

    /// <summary>Processes alive now whose environment carries this test's tag.</summary>
    public IReadOnlyList<int> LiveProcesses() => ProcessScan.WithEnvironment(TagVariable, Tag);

    public IReadOnlyList<string> PidFiles()
    {
        var dir = Path.Combine(Dir, ".ntm", "pids");
        return Directory.Exists(dir) ? Directory.GetFiles(dir) : [];
    }

    /// <summary>Asserts nothing is left behind. Waits a little for the kernel to finish reaping, never for a race to be won.</summary>
    public async Task AssertNothingLeftBehind()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (LiveProcesses().Count > 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Empty(LiveProcesses().Select(p => $"{p}: {string.Join(' ', ProcessScan.CommandLine(p))}"));
        Assert.Empty(PidFiles());
        // A process mid-exit has lost its memory (so its environment no longer tags it) before its sockets close.
        foreach (var port in _portsSeen)
        {
            while (!CanBind(port) && DateTime.UtcNow < deadline) await Task.Delay(50);
            Assert.True(CanBind(port), $"port {port} is still bound");
        }
    }

    private static bool CanBind(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        // Whatever a failed test left running is killed, so one failure does not cascade into the next test.
        foreach (var pid in LiveProcesses())
            try { System.Diagnostics.Process.GetProcessById(pid).Kill(); } catch (Exception) { }
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
