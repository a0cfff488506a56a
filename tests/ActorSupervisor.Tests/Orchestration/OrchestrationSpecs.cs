using System.Net;
using System.Net.Sockets;
using ActorSupervisor.Actors;
using ActorSupervisor.Daemons;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Orchestration;

/// <summary>Dependencies, restart policies, per-daemon settings and readiness, with real daemons in real time.</summary>
public sealed class OrchestrationSpecs : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly TestProject _project = new();
    private Supervisor _supervisor = null!;
    private readonly List<SupervisorEvents.DaemonStateChanged> _events = [];

    public Task InitializeAsync()
    {
        _supervisor = Supervisor.New(_project.Config());
        _supervisor.Subscribe(e => { lock (_events) _events.Add(e); });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _supervisor.ShutdownAsync();
        await _project.AssertNothingLeftBehind();
        _project.Dispose();
    }

    private string Ready(string name) => Path.Combine(_project.Dir, $"{name}.ready");

    /// <summary>
    /// When the daemon itself said it was ready (listening, or started when it serves nothing): its ready file's time.
    /// Waited for: a daemon counts as running once it has stayed up for the settle time, which under load can come
    /// before its runtime has written the file.
    /// </summary>
    private async Task<DateTime> ReadyAt(string name)
    {
        await WaitForFile(Ready(name));
        return File.GetLastWriteTimeUtc(Ready(name));
    }

    [Fact]
    public async Task A_dependent_starts_only_once_its_dependency_is_healthy_and_says_what_it_waits_for()
    {
        var db = _project.HttpDaemon("db", "--sleep-before-listen", "1500ms", "--ready-file", Ready("db"));
        var web = _project.Daemon("web", "--ready-file", Ready("web")) with
        {
            DependsOn = new Dictionary<string, DependencyCondition> { ["db"] = DependencyCondition.Healthy },
        };
        // Started in the "wrong" order: the dependent first.
        var waiting = await _supervisor.StartAsync(web);
        Assert.Equal(DaemonState.Starting, waiting.State);
        Assert.Equal(0, waiting.Pid);
        Assert.Contains("waiting for db", waiting.Reason);
        await _supervisor.StartAsync(db);

        await _supervisor.WaitUntilRunningAsync("web", Patience);
        var (webReady, dbReady) = (await ReadyAt("web"), await ReadyAt("db"));
        Assert.True(webReady >= dbReady, $"web ready at {webReady:O}, db at {dbReady:O}");
        lock (_events)
            Assert.Contains(_events, e => e.Name == "web" && e.State == DaemonState.Starting && e.Daemon.Pid == 0
                                          && e.Daemon.Reason == "waiting for db (healthy)");
    }

    [Fact]
    public async Task A_one_shot_task_that_exits_0_completes_and_unblocks_its_dependents()
    {
        var migrate = _project.Daemon("migrate", "--exit-after", "500ms", "--exit-code", "0", "--ready-file", Ready("migrate")) with
        {
            Restart = RestartPolicy.Never,
        };
        var web = _project.Daemon("web", "--ready-file", Ready("web")) with
        {
            DependsOn = new Dictionary<string, DependencyCondition> { ["migrate"] = DependencyCondition.Completed },
        };
        await _supervisor.StartAsync(migrate);
        await _supervisor.StartAsync(web);
        await _supervisor.WaitUntilRunningAsync("web", Patience);

        var done = (await _supervisor.GetDaemonAsync("migrate"))!;
        Assert.Equal(DaemonState.Stopped, done.State);
        Assert.True(done.Completed);
        Assert.Equal(0, done.Restarts);
        Assert.True(await ReadyAt("web") > await ReadyAt("migrate"));
    }

    [Fact]
    public async Task A_daemon_whose_dependency_fails_for_good_is_not_started_and_says_why()
    {
        // Never healthy (its probe answers 503), so its exit cannot come after a success however slowly it starts.
        var db = _project.HttpDaemon("db", "--unhealthy-after", "0s", "--exit-after", "1s", "--exit-code", "3") with { Restart = RestartPolicy.Never };
        var web = _project.Daemon("web") with
        {
            DependsOn = new Dictionary<string, DependencyCondition> { ["db"] = DependencyCondition.Healthy },
        };
        await _supervisor.StartAsync(web);
        await _supervisor.StartAsync(db);
        var failed = await WaitFor("web", d => d.State == DaemonState.Failed);
        Assert.Equal(0, failed.Pid);
        Assert.Contains("dependency db failed", failed.Reason);
        Assert.Contains("exit code 3", failed.LastFailure!.Reason);
    }

    [Fact]
    public async Task On_failure_does_not_restart_an_exit_0_but_does_restart_a_crash()
    {
        var clean = _project.Daemon("clean", "--exit-after", "300ms", "--exit-code", "0") with { Restart = RestartPolicy.OnFailure };
        var crash = _project.Daemon("crash", "--exit-after", "300ms", "--exit-code", "1") with { Restart = RestartPolicy.OnFailure };
        await _supervisor.StartAsync(clean);
        await _supervisor.StartAsync(crash);
        var ended = await WaitFor("clean", d => d.State == DaemonState.Stopped);
        Assert.True(ended.Completed);
        Assert.Equal(0, ended.Restarts);
        await WaitFor("crash", d => d.Restarts >= 1);
        Assert.DoesNotContain(_events.ToArray(), e => e.Name == "clean" && e.State == DaemonState.Restarting);
    }

    [Fact]
    public async Task A_stop_signal_is_delivered_as_configured()
    {
        var spec = _project.Daemon("intd", "--ready-file", Ready("intd")) with { StopSignal = "SIGINT" };
        var started = await _supervisor.StartAsync(spec);
        await WaitForFile(Ready("intd"));
        await _supervisor.StopAsync("intd");
        var log = await File.ReadAllTextAsync(started.LogPath!);
        Assert.Contains("testdaemon: SIGINT, exiting", log);
        Assert.DoesNotContain("SIGTERM", log.Replace("then SIGKILL", ""));
    }

    [Fact]
    public async Task Mark_keeps_an_unhealthy_daemons_process_and_it_is_running_again_when_probes_pass()
    {
        var spec = _project.HttpDaemon("sick", "--unhealthy-after", "1s") with { OnUnhealthy = UnhealthyAction.Mark };
        await _supervisor.StartAsync(spec);
        var running = await _supervisor.WaitUntilRunningAsync("sick", Patience);
        var unhealthy = await WaitFor("sick", d => d.State == DaemonState.Unhealthy);
        Assert.Equal(running.Pid, unhealthy.Pid);
        Assert.Contains("health check failing", unhealthy.Reason);
        Assert.True(ProcessScan.IsAlive(running.Pid));
        Assert.Equal(0, unhealthy.Restarts);
    }

    [Fact]
    public async Task A_dependent_gets_its_dependencys_fallback_port_through_a_port_reference()
    {
        // The db's default port is taken, so it falls back to another; web must be told the one it got.
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var taken = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var db = _project.HttpDaemon("db") with { DefaultPort = taken };
        var web = _project.Daemon("web") with { Env = [.. _project.Daemon("web").Env, "DB_URL=http://127.0.0.1:${db.port}/", "PRICE=$$5"] };
        await _supervisor.StartAsync(web);
        var dbNow = await _supervisor.StartAsync(db);
        Assert.NotEqual(taken, dbNow.Port);
        var webNow = await _supervisor.WaitUntilRunningAsync("web", Patience);
        var env = ProcessScan.Environment(webNow.Pid);
        Assert.Equal($"http://127.0.0.1:{dbNow.Port}/", env["DB_URL"]);
        Assert.Equal("$5", env["PRICE"]);
    }

    [Fact]
    public async Task A_stop_of_everything_runs_in_reverse_dependency_order()
    {
        var db = _project.Daemon("db", "--ready-file", Ready("db"));
        var web = _project.Daemon("web", "--ready-file", Ready("web")) with
        {
            DependsOn = new Dictionary<string, DependencyCondition> { ["db"] = DependencyCondition.Started },
        };
        await _supervisor.StartAsync(db);
        await _supervisor.StartAsync(web);
        await _supervisor.WaitUntilRunningAsync("web", Patience);
        await _supervisor.StopAllAsync();
        // The daemons' logs carry the supervisor's own timestamped lines: web was stopped before db was even asked.
        var dbLog = await File.ReadAllTextAsync(_project.Store.LogPathFor("db", _project.SessionId));
        var webLog = await File.ReadAllTextAsync(_project.Store.LogPathFor("web", _project.SessionId));
        Assert.True(StoppedAt(webLog) <= StoppingAt(dbLog), "web stopped before db was asked to stop");
    }

    [Fact]
    public async Task A_dependency_cycle_is_refused_naming_it()
    {
        await _supervisor.StartAsync(_project.Daemon("a") with
        {
            DependsOn = new Dictionary<string, DependencyCondition> { ["b"] = DependencyCondition.Started },
        });
        var e = await Assert.ThrowsAsync<InvalidSpecException>(() => _supervisor.StartAsync(_project.Daemon("b") with
        {
            DependsOn = new Dictionary<string, DependencyCondition> { ["a"] = DependencyCondition.Started },
        }));
        Assert.Contains("b -> a -> b", e.Message.Replace("a -> b -> a", "b -> a -> b"));
    }

    [Fact]
    public async Task NTMs_default_cm_is_probed_over_MCP_and_am_on_its_liveness_route_with_fakes_that_speak_their_protocols()
    {
        var bin = Directory.CreateDirectory(Path.Combine(_project.Dir, "fakebin")).FullName;
        File.CreateSymbolicLink(Path.Combine(bin, "cm"), TestDaemon.Path);
        File.CreateSymbolicLink(Path.Combine(bin, "am"), TestDaemon.Path);
        var path = $"PATH={bin}:/usr/bin:/bin";
        // NTM's default ports may be in use on this machine; free ones stand in for them (both refuse fallback).
        var cmPort = TestPorts.Unbound();
        var amPort = TestPorts.Unbound();
        var specs = DefaultSpecs.All(includeAgentMail: true).ToDictionary(s => s.Name);
        var cm = specs["cm"] with { DefaultPort = cmPort, Env = [.. _project.Daemon("cm").Env, path] };
        var am = specs["am"] with
        {
            DefaultPort = amPort, HealthUrl = specs["am"].HealthUrl!.Replace("8765", $"{amPort}"), Env = [.. _project.Daemon("am").Env, path],
        };

        await _supervisor.StartAsync(cm);
        await _supervisor.StartAsync(am);
        var cmRunning = await _supervisor.WaitUntilHealthyAsync("cm", Patience);
        Assert.Equal(cmPort, cmRunning.Port);
        await _supervisor.WaitUntilHealthyAsync("am", Patience);

        // A second cm on the same default port is refused, not moved to a random one.
        await _supervisor.StopAsync("cm");
        using var squatter = new TcpListener(IPAddress.Loopback, cmPort);
        squatter.Start();
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => _supervisor.StartAsync(cm));
        Assert.Contains($"requires port {cmPort}", refused.Message);
    }

    private static DateTime StoppedAt(string log) => LineTime(log, "stopped");
    private static DateTime StoppingAt(string log) => LineTime(log, "stopping daemon");

    private static DateTime LineTime(string log, string marker)
    {
        var line = log.Split('\n').First(l => l.StartsWith("[supervisor] ", StringComparison.Ordinal) && l.Contains(marker));
        return DateTime.Parse(line.Split(' ')[1], null, System.Globalization.DateTimeStyles.AdjustToUniversal);
    }

    private async Task<ManagedDaemon> WaitFor(string name, Func<ManagedDaemon, bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var d = await _supervisor.GetDaemonAsync(name);
            if (d is not null && condition(d))
            {
                _project.RememberPort(d.Port);
                return d;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{name}: last seen {d?.State.ToWord()} ({d?.Reason})");
            await Task.Delay(25);
        }
    }

    private static async Task WaitForFile(string path)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!File.Exists(path))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{path} never appeared");
            await Task.Delay(25);
        }
    }
}
