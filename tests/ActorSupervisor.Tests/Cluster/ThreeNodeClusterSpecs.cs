using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ActorSupervisor.Tests.Cli;
using ActorSupervisor.Tests.Support;
using Xunit.Abstractions;
using DaemonPlacement = ActorSupervisor.Daemons.DaemonPlacement;

namespace ActorSupervisor.Tests.Cluster;

/// <summary>
/// Three `up` processes on 127.0.0.1 forming one clustered session, each with its own project dir: placement by node
/// and role, re-placement after a kill -9 with no daemon ever running twice, a frozen node's daemons stopped when it
/// thaws after being downed, a rejoin, and a clean stop of every node. Timings are bounded generously (the machine is
/// shared); what is asserted is order and presence, never who wins a race.
/// </summary>
public sealed class ThreeNodeClusterSpecs(ITestOutputHelper output)
{
    private const int SIGKILL = 9, SIGTERM = 15, SIGCONT = 18, SIGSTOP = 19;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    /// <summary>docs/cluster.md: failure detection + stable-after + removal + replace-margin + stop grace + launch, with room for load.</summary>
    private static readonly TimeSpan ReplacementBound = TimeSpan.FromSeconds(45);
    private const string DaemonVariable = "ACTORSUPERVISOR_CLUSTER_DAEMON";

    private sealed record Row(string Name, string? Node, string State, int Pid, int Port, int Restarts, string? Reason);

    [Fact]
    public async Task Daemons_are_placed_by_node_and_role_move_off_a_killed_node_never_run_twice_and_stop_on_a_thawed_downed_node()
    {
        using var p1 = new TestProject("cl");
        using var p2 = new TestProject("cl");
        using var p3 = new TestProject("cl");
        var ports = FreePorts(3);
        var seed = $"127.0.0.1:{ports[0]}";
        string[] Node(TestProject p, string name, int port, params string[] more) =>
            ["up", "--project-dir", p.Dir, "--session", "cl", "--cluster-bind", $"127.0.0.1:{port}", "--seed", seed, "--node", name,
             "--stop-grace", "2s", .. more];

        var specs = new[] { "a1", "a3", "g", "m1", "m2", "m3", "m4", "m5", "m6" }.Select(name => p1.HttpDaemon(name) with
        {
            Env = [$"{TestProject.TagVariable}={p1.Tag}", $"{DaemonVariable}={name}"],
            Placement = name switch
            {
                "a1" => new DaemonPlacement { Node = "n1" },
                "a3" => new DaemonPlacement { Node = "n3" },
                "g" => new DaemonPlacement { Role = "gpu" },
                _ => null,
            },
        }).ToList();
        var specFile = Path.Combine(p3.Dir, "specs.json");
        await File.WriteAllTextAsync(specFile, JsonSerializer.Serialize(specs));

        var clock = Stopwatch.StartNew();
        using var n1 = CliProcess.Start(p1, Node(p1, "n1", ports[0]));
        using var n2Killed = CliProcess.Start(p2, Node(p2, "n2", ports[1], "--roles", "gpu"));
        await Joined(n1);
        await Joined(n2Killed);
        // The specs come with the last node, so the daemons that may go anywhere spread over all three.
        using var n3 = CliProcess.Start(p3, [.. Node(p3, "n3", ports[2], "--roles", "gpu,big"), "--specs", specFile]);
        await Joined(n3);

        var placed = await WaitForStatus(p2, rows => rows.Count == 9 && rows.Values.All(r => r.State == "running"), "all nine running");
        var converged = clock.Elapsed;
        output.WriteLine($"converged after {converged.TotalSeconds:0.0}s");
        Assert.Equal("n1", placed["a1"].Node);
        Assert.Equal("n3", placed["a3"].Node);
        Assert.Contains(placed["g"].Node, new[] { "n2", "n3" });
        Assert.Equal(3, placed.Values.Where(r => r.Name.StartsWith('m')).Select(r => r.Node).Distinct().Count());
        // The ground truth: each daemon's PID file is in its own node's project dir, with the pid status shows.
        foreach (var row in placed.Values)
        {
            var project = row.Node switch { "n1" => p1, "n2" => p2, _ => p3 };
            Assert.Contains(project.PidFiles(), f => Path.GetFileName(f) == $"{row.Name}-cl.pid");
            p1.RememberPort(row.Port);
        }

        using var watch = new DuplicateWatch(p1.Tag);
        var onN2 = placed.Values.Where(r => r.Node == "n2").Select(r => r.Name).ToList();
        var movedName = onN2.First(n => n.StartsWith('m'));
        // A restart on request from another node acts where the daemon runs, and its counter travels with it.
        var restart = await CliProcess.RunAsync(p3, "restart", movedName, "--project-dir", p3.Dir);
        Assert.True(restart.ExitCode == 0, restart.ToString());
        Assert.Contains("on node n2", restart.Out);
        await WaitForStatus(p1, rows => rows[movedName] is { State: "running", Restarts: 1, Node: "n2" }, $"{movedName} restarted once");

        var killedAt = clock.Elapsed;
        n2Killed.Signal(SIGKILL);
        var moved = await WaitForStatus(p1, rows => onN2.All(n => rows[n].State == "running" && rows[n].Node is "n1" or "n3"),
            $"{string.Join(", ", onN2)} running on n1 or n3");
        var replacement = clock.Elapsed - killedAt;
        output.WriteLine($"re-placed {onN2.Count} daemons {replacement.TotalSeconds:0.0}s after kill -9");
        Assert.True(replacement < ReplacementBound, $"re-placement took {replacement}");
        Assert.True(moved[movedName].Restarts >= 1, $"{movedName} lost its restart count: {moved[movedName]}");
        Assert.Equal("n3", moved["g"].Node); // the only node left with the gpu role
        Assert.Equal("n1", moved["a1"].Node);
        var twice = watch.StopAndReport();
        Assert.True(twice.Count == 0, "ran twice: " + string.Join(", ", twice));
        foreach (var row in moved.Values) p1.RememberPort(row.Port);

        // Freeze n3: the majority (n1, the lowest address of an even split) downs it and takes its daemons that may
        // move; its pinned daemon waits. Thawed, n3 learns it is out and stops its daemons at once.
        var frozenPids = moved.Values.Where(r => r.Node == "n3").Select(r => r.Pid).ToList();
        n3.Signal(SIGSTOP);
        var frozenAt = clock.Elapsed;
        var afterFreeze = await WaitForStatus(p1, rows =>
                rows.Values.Where(r => r.Name.StartsWith('m')).All(r => r is { Node: "n1", State: "running" })
                && rows["a3"].Reason?.Contains("n3 is gone") == true
                && rows["g"].Reason?.Contains("role gpu") == true,
            "n3's movable daemons on n1, a3 and g waiting");
        output.WriteLine($"n3's daemons re-placed {(clock.Elapsed - frozenAt).TotalSeconds:0.0}s after SIGSTOP");
        Assert.Null(afterFreeze["a3"].Node);
        Assert.Equal("starting", afterFreeze["a3"].State);
        n3.Signal(SIGCONT);
        var thawed = Stopwatch.StartNew();
        await Until(() => frozenPids.All(pid => !ProcessScan.IsAlive(pid)), "n3's daemons stopped after the thaw");
        output.WriteLine($"thawed n3 stopped its daemons {thawed.Elapsed.TotalSeconds:0.0}s after SIGCONT");
        Assert.True(thawed.Elapsed < TimeSpan.FromSeconds(20), $"n3 took {thawed.Elapsed} to stop its daemons");
        Assert.Equal(1, await n3.WaitForExitAsync());
        Assert.Contains(n3.Stderr, l => l.Contains("downed"));

        // n2 comes back (a new incarnation, same project dir): the gpu daemon waiting for a node goes there.
        using var n2 = CliProcess.Start(p2, Node(p2, "n2", ports[1], "--roles", "gpu"));
        var rejoined = await WaitForStatus(p1, rows => rows["g"] is { Node: "n2", State: "running" }, "g on the rejoined n2");
        p1.RememberPort(rejoined["g"].Port);
        Assert.DoesNotContain(p2.PidFiles(), f => onN2.Where(n => n != "g").Any(n => Path.GetFileName(f).StartsWith(n + "-")));

        // A clean stop of every node leaves nothing behind.
        n1.Signal(SIGTERM);
        n2.Signal(SIGTERM);
        Assert.Equal(0, await n1.WaitForExitAsync());
        Assert.Equal(0, await n2.WaitForExitAsync());
        output.WriteLine($"whole test {clock.Elapsed.TotalSeconds:0.0}s");
        await p1.AssertNothingLeftBehind();
        await p2.AssertNothingLeftBehind();
        await p3.AssertNothingLeftBehind();
        foreach (var port in ports) Assert.True(CanBind(port), $"cluster port {port} is still bound");
    }

    [Fact]
    public async Task A_plain_up_loads_no_remoting_and_bad_cluster_flags_are_refused_naming_the_flag()
    {
        using var project = new TestProject();
        var specFile = Path.Combine(project.Dir, "specs.json");
        await File.WriteAllTextAsync(specFile, JsonSerializer.Serialize(new[] { project.Daemon("solo") }));
        using (var up = CliProcess.Start(project, "up", "--specs", specFile, "--project-dir", project.Dir, "--session", project.SessionId))
        {
            await up.WaitForState("solo", "running");
            var maps = await File.ReadAllTextAsync($"/proc/{up.Pid}/maps");
            Assert.Contains("/Akka.dll", maps);
            Assert.DoesNotContain("Akka.Remote.dll", maps);
            Assert.DoesNotContain("Akka.Cluster", maps);
            up.Signal(SIGTERM);
            Assert.Equal(0, await up.WaitForExitAsync());
        }
        await project.AssertNothingLeftBehind();

        foreach (var (args, expected) in new (string[], string)[]
                 {
                     (["--cluster-bind", "127.0.0.1"], "--cluster-bind: '127.0.0.1' must be HOST:PORT"),
                     (["--cluster-bind", "127.0.0.1:1"], "--cluster-bind: a cluster member needs --node NAME"),
                     (["--node", "n1"], "--node: only a cluster member"),
                     (["--cluster-bind", "127.0.0.1:0", "--node", "-x"], "--node: '-x'"),
                     (["--cluster-bind", "127.0.0.1:0", "--node", "n", "--roles", "a,b:c"], "--roles: 'b:c'"),
                     (["--cluster-bind", "127.0.0.1:0", "--node", "n", "--seed", "h:70000"], "--seed: 'h:70000'"),
                 })
        {
            var result = await CliProcess.RunAsync(project, ["up", "--project-dir", project.Dir, .. args]);
            Assert.Equal(2, result.ExitCode);
            Assert.Contains(expected, result.Err);
            Assert.DoesNotContain("Exception", result.Err);
        }
        var placement = Path.Combine(project.Dir, "bad.json");
        await File.WriteAllTextAsync(placement, """[{"name": "x", "command": "/bin/true", "placement": {"node": "a", "role": "b"}}]""");
        var refused = await CliProcess.RunAsync(project, "up", "--specs", placement, "--project-dir", project.Dir,
            "--cluster-bind", "127.0.0.1:0", "--node", "n");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("x.placement", refused.Err);
        await project.AssertNothingLeftBehind();
    }

    private async Task<Dictionary<string, Row>> WaitForStatus(TestProject via, Func<Dictionary<string, Row>, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        Dictionary<string, Row> last = [];
        string lastOutput = "";
        while (DateTime.UtcNow < deadline)
        {
            var result = await CliProcess.RunAsync(via, "status", "--json", "--project-dir", via.Dir);
            lastOutput = result.ToString();
            if (result.ExitCode == 0)
            {
                last = Parse(result.Out);
                try
                {
                    if (done(last)) return last;
                }
                catch (KeyNotFoundException) { }
            }
            await Task.Delay(500);
        }
        throw new TimeoutException($"not reached: {what}; last status:\n{lastOutput}");
    }

    private static Dictionary<string, Row> Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().Select(e => new Row(
                e.GetProperty("name").GetString()!,
                e.GetProperty("node").GetString(),
                e.GetProperty("state").GetString()!,
                e.GetProperty("pid").GetInt32(),
                e.GetProperty("port").GetInt32(),
                e.GetProperty("restarts").GetInt32(),
                e.GetProperty("reason").GetString()))
            .ToDictionary(r => r.Name, StringComparer.Ordinal);
    }

    private static async Task Joined(CliProcess node)
    {
        await Until(() => node.Stderr.Any(l => l.Contains("joined session")) || node.HasExited, "node joined");
        Assert.False(node.HasExited, string.Join('\n', node.Stderr));
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not reached: {what}");
            await Task.Delay(50);
        }
    }

    private static int[] FreePorts(int count)
    {
        var sockets = Enumerable.Range(0, count).Select(_ =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return s;
        }).ToList();
        var ports = sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port).Order().ToArray();
        foreach (var s in sockets) s.Dispose();
        return ports;
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

    /// <summary>Samples /proc every 50 ms for the test's daemons and records any name seen alive twice at once.</summary>
    private sealed class DuplicateWatch : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentBag<string> _twice = [];
        private readonly Task _loop;

        public DuplicateWatch(string tag) => _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var names = new List<string>();
                foreach (var pid in ProcessScan.WithEnvironment(TestProject.TagVariable, tag))
                {
                    try
                    {
                        if (ProcessScan.Environment(pid).TryGetValue(DaemonVariable, out var name)) names.Add(name);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
                }
                foreach (var dup in names.GroupBy(n => n).Where(g => g.Count() > 1)) _twice.Add(dup.Key);
                await Task.Delay(50);
            }
        });

        public IReadOnlyList<string> StopAndReport()
        {
            _stop.Cancel();
            _loop.Wait(TimeSpan.FromSeconds(10));
            return _twice.Distinct().ToList();
        }

        public void Dispose()
        {
            _stop.Cancel();
            _stop.Dispose();
        }
    }
}
