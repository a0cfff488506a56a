using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using ActorSupervisor.Daemons;
using ActorSupervisor.Health;
using ActorSupervisor.Observability;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;
using Microsoft.Extensions.Logging;

namespace ActorSupervisor.Tests.Integration;

/// <summary>
/// One generation of a daemon when something goes wrong around it, in real time with real processes: an error of the
/// supervisor's own while the run is up or while it is ending, an actor system torn down in the middle of a stop or
/// while a daemon is watched, and what an adoption and a launch leave in the log and the metrics.
/// </summary>
public sealed class DaemonActorFaultSpecs : RealTimeSpecs
{
    private const string SinkFull = FailingLoggers.SinkFull;
    private readonly List<DaemonProcess> _orphans = [];

    [Fact]
    public async Task A_supervisor_error_once_the_process_exists_stops_that_process_and_fails_the_run_naming_the_error()
    {
        var loggers = FailingLoggers.OnEvent(eventId: 1, "unlucky"); // the "launched" line, written once the process exists
        var supervisor = Supervisor.New(Project.Config(c => c with { StopGrace = TimeSpan.FromSeconds(10) }), loggers: loggers);

        var refused = await Record.ExceptionAsync(() => supervisor.StartAsync(Project.Daemon("unlucky") with { MaxRestarts = 0 }));

        Assert.Contains($"supervisor error: {SinkFull}", refused?.Message);
        var failed = (await supervisor.GetDaemonAsync("unlucky"))!;
        Assert.Equal((DaemonState.Failed, FailureKind.Supervisor, $"supervisor error: {SinkFull}"),
            (failed.State, failed.LastFailure!.Kind, failed.LastFailure.Reason));
        Assert.Equal(1, loggers.Thrown);
        // The process it had launched is stopped (it is not left running under a failed daemon) and its PID file goes.
        await Until(() => Project.LiveProcesses().Count == 0, "the launched process is stopped");
        Assert.Empty(Project.PidFiles());
        await GracefulStop.StopAllAndShutdown(supervisor);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task An_error_while_a_stopped_run_is_ending_is_left_to_its_backoff_supervisor_and_counts_as_no_failure()
    {
        var loggers = FailingLoggers.OnEvent(eventId: 8, "ending"); // the "stopped" line, written as the generation ends
        var supervisor = Supervisor.New(Project.Config(c => c with { StopGrace = TimeSpan.FromSeconds(10) }), loggers: loggers);
        await supervisor.StartAsync(Project.Daemon("ending"));
        var running = await WaitFor(supervisor, "ending", d => d.State == DaemonState.Running);
        await Project.Signals.WaitForStart(running.Pid);

        var stopped = await supervisor.StopAsync("ending");

        Assert.Equal(1, loggers.Thrown);
        Assert.Equal(DaemonState.Stopped, stopped.State);
        // Not turned into a failed run: nothing of the run failed, and the stop had already done its work.
        Assert.Null(stopped.LastFailure);
        Assert.Equal(0, stopped.ConsecutiveFailures);
        Project.Signals.AssertStoppedGracefully(running.Pid, "the stopped daemon");
        await GracefulStop.StopAllAndShutdown(supervisor);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task An_actor_system_torn_down_while_a_stop_waits_for_grandchildren_kills_them_though_the_daemon_has_exited()
    {
        var sink = new CapturingLoggers();
        // A stop signal nothing acts on (SIGWINCH is ignored by default) and a grace that outlasts the test: the stop
        // is still waiting when the system goes.
        var supervisor = Supervisor.New(Project.Config(c => c with { StopGrace = TimeSpan.FromMinutes(10) }), loggers: sink);
        await supervisor.StartAsync(Project.Daemon("lingering", "--spawn-grandchildren", "2") with { StopSignal = "SIGWINCH" });
        var running = await WaitFor(supervisor, "lingering", d => d.State == DaemonState.Running);
        await Project.Signals.WaitForStart(running.Pid);
        await Until(() => Project.LiveProcesses().Count == 3, "the daemon and its two grandchildren are up");

        var stop = supervisor.StopAsync("lingering");
        await WaitFor(supervisor, "lingering", d => d.State == DaemonState.Stopping);
        // The daemon itself goes (its own SIGINT handler), its grandchildren stay: the stop waits for them.
        Native.kill(running.Pid, 2); // SIGINT
        await Project.Signals.WaitFor(running.Pid, "exit 0");
        await Until(() => !Directory.Exists($"/proc/{running.Pid}"), "the daemon is reaped");
        Assert.Equal(2, Project.LiveProcesses().Count);

        await supervisor.System.Terminate();

        var tornDown = Assert.Single(sink.Entries, e => e.Message.Contains("torn down"));
        Assert.Equal($"lingering: torn down with its process still running; killing process group {running.Pid} (session {Project.SessionId}, generation 1)",
            tornDown.Message);
        await Until(() => Project.LiveProcesses().Count == 0, "the grandchildren are killed");
        Assert.Empty(Project.PidFiles());
        _ = stop.ContinueWith(t => t.Exception, TaskScheduler.Default); // asked of a system that went: never answered
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task An_actor_system_torn_down_ends_the_health_watch_of_its_running_daemon()
    {
        using var server = new LoopbackHttpServer(_ => LoopbackHttpServer.Answer(200, "{}"));
        var supervisor = Supervisor.New(Project.Config(c => c with { HealthInterval = TimeSpan.FromMilliseconds(100) }));
        await supervisor.StartAsync(Project.Daemon("watched") with { HealthUrl = server.Url("/watched").ToString() });
        await WaitFor(supervisor, "watched", d => d.State == DaemonState.Running);
        int Asked(string path) => server.Requests.Count(r => r.RequestLine.StartsWith($"GET {path} ", StringComparison.Ordinal));
        await Until(() => Asked("/watched") >= 3, "the daemon is probed while it runs");

        await supervisor.System.Terminate();
        await Until(() => Project.LiveProcesses().Count == 0, "the daemon is killed");
        var before = Asked("/watched");

        // A watch of our own on the same prober, at the same interval, counts out ten of its probes; the daemon's, if
        // it were still there, would have been asked about as often.
        using var control = HttpProber.Shared.Watch(server.Url("/control"), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), _ => { });
        await Until(() => Asked("/control") >= 10, "the control watch probes");

        Assert.True(Asked("/watched") - before <= 1, $"{Asked("/watched") - before} probes of a torn-down daemon (one may have been on its way)");
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Each_launch_is_measured_from_its_order_to_its_process_tagged_with_the_daemon_and_session()
    {
        var launches = new ConcurrentQueue<(string? Daemon, double Seconds)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SupervisorMetrics.MeterName && instrument.Name == "actorsupervisor.launch.duration") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            string? session = null, daemon = null;
            foreach (var t in tags)
            {
                if (t.Key == "session") session = t.Value as string;
                else if (t.Key == "daemon") daemon = t.Value as string;
            }
            if (session == Project.SessionId) launches.Enqueue((daemon, value));
        });
        listener.Start();
        var supervisor = NewSupervisor();

        var started = await supervisor.StartAsync(Project.Daemon("measured"));
        var (daemon, seconds) = Assert.Single(launches);
        Assert.Equal("measured", daemon);
        Assert.InRange(seconds, 0, 60);

        // A restart is a launch of its own.
        await WaitFor(supervisor, "measured", d => d.State == DaemonState.Running);
        Native.kill(started.Pid, Native.SIGKILL);
        await WaitFor(supervisor, "measured", d => d.State == DaemonState.Running && d.Pid != started.Pid);
        Assert.Equal(["measured", "measured"], launches.Select(l => l.Daemon));
    }

    [Fact]
    public async Task An_adoption_is_logged_as_such_with_the_adopted_pid_and_its_port()
    {
        var ready = Path.Combine(Project.Dir, "web.ready");
        var spec = Project.HttpDaemon("web", "--ready-file", ready);
        var (orphan, port) = await Orphans.LeaveUntaggedAsync(Project, spec, ready, _orphans.Add);
        var sink = new CapturingLoggers();
        var supervisor = Supervisor.New(Project.Config(c => c with { StopGrace = TimeSpan.FromSeconds(10) }), loggers: sink);

        var adopted = await supervisor.StartAsync(spec);

        Assert.True(adopted.Adopted);
        var messages = sink.Entries.Where(e => e.Message.StartsWith("web: ", StringComparison.Ordinal)).Select(e => e.Message).ToList();
        Assert.Contains($"web: adopted pid {orphan.Pid} on port {port} from an earlier supervisor (session {Project.SessionId}, generation 1)", messages);
        Assert.DoesNotContain(messages, m => m.Contains(" launched on port "));
        await GracefulStop.StopAllAndShutdown(supervisor);
        Project.Signals.AssertStoppedGracefully(orphan.Pid, "the adopted daemon");
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_daemon_to_adopt_that_dies_before_its_launch_has_its_stale_PID_file_removed_even_when_the_fresh_launch_fails()
    {
        var ready = Path.Combine(Project.Dir, "web.ready");
        var envFile = Path.Combine(Project.Dir, "web.env");
        File.WriteAllText(envFile, "TOKEN=\"never closed\n"); // read only for a fresh launch, never for an adoption
        var spec = Project.Daemon("web", "--ready-file", ready) with
        {
            EnvFile = envFile,
            DependsOn = new Dictionary<string, DependencyCondition> { ["db"] = DependencyCondition.Started },
        };
        var (orphan, _) = await Orphans.LeaveUntaggedAsync(Project, spec, ready, _orphans.Add);
        var pidPath = Project.Store.PathFor("web", Project.SessionId);
        var supervisor = NewSupervisor();
        // The session finds the orphan adoptable; the generation that would adopt it waits for db meanwhile.
        var waiting = await supervisor.StartAsync(spec);
        Assert.Equal((DaemonState.Starting, 0), (waiting.State, waiting.Pid));

        orphan.Kill();
        await orphan.Exit;
        await supervisor.StartAsync(Project.Daemon("db"));

        var failed = await WaitFor(supervisor, "web", d => d.State == DaemonState.Failed);
        Assert.Equal(FailureKind.CannotLaunch, failed.LastFailure!.Kind);
        Assert.Contains("the double quote is not closed", failed.LastFailure.Reason);
        Assert.False(failed.Adopted);
        // The file named a process that is gone: it goes, though no process of ours ever replaced it.
        Assert.DoesNotContain(pidPath, Project.PidFiles());
    }

    public override async Task DisposeAsync()
    {
        foreach (var orphan in _orphans.Where(o => !o.HasExited)) await orphan.StopAsync(TimeSpan.FromSeconds(2));
        await base.DisposeAsync();
    }
}
