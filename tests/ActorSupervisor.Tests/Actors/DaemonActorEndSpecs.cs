using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using ActorSupervisor.Actors;
using ActorSupervisor.Daemons;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;
using Xunit.Abstractions;

namespace ActorSupervisor.Tests.Actors;

/// <summary>
/// How a generation ends, on virtual time with real processes: what a failed run says of itself (restart or giving
/// up, in the daemon's log and the supervision log), a stop and its "stopped" line, a failure with the process still
/// up (restarted, or given up without another generation), a stop asked for while a failed run is being ended, the
/// group of a leader that exited, messages that reach an ending or ended generation, and what the launch hands the
/// process (its environment, its PID file) and its log (not rotated under its limit).
/// </summary>
public sealed class DaemonActorEndSpecs(ITestOutputHelper output) : VirtualTimeSpecs(output)
{
    private string LogPath(string name) => Project.Store.LogPathFor(name, Project.SessionId);

    private List<string> Notes(string name) =>
        File.ReadLines(LogPath(name)).Where(l => l.StartsWith("[supervisor] ", StringComparison.Ordinal)).ToList();

    private static Regex Note(string text) =>
        new(@"^\[supervisor\] \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z " + Regex.Escape(text) + "$");

    /// <summary>As <see cref="VirtualTimeSpecs.Supervise"/>, with the session's supervision log kept in <paramref name="sink"/>.</summary>
    private IActorRef SuperviseLogged(CapturingLoggers sink, Func<SupervisorConfig, SupervisorConfig>? change = null) =>
        Supervise(change, sink);

    private Task<IActorRef> Generation(string name) =>
        Sys.ActorSelection($"/user/{SessionSupervisorActor.ActorName(Project.SessionId)}/{name}/daemon").ResolveOne(TimeSpan.FromSeconds(5));

    /// <summary>
    /// Tells <paramref name="generation"/> each message, then waits until it has handled them all (an Identify is
    /// answered in mailbox order), and returns the messages it did not handle.
    /// </summary>
    private List<object> Unhandled(IActorRef generation, params object[] messages)
    {
        var probe = CreateTestProbe();
        Sys.EventStream.Subscribe(probe, typeof(UnhandledMessage));
        foreach (var m in messages) generation.Tell(m);
        generation.Tell(new Identify("done"), probe);
        var seen = new List<object>();
        probe.FishForMessage(m =>
        {
            if (m is UnhandledMessage u && u.Recipient.Equals(generation)) seen.Add(u.Message);
            return m is ActorIdentity;
        }, Patience);
        Sys.EventStream.Unsubscribe(probe);
        return seen;
    }

    [Fact]
    public async Task A_crash_to_be_restarted_is_noted_and_logged_with_its_pid_its_count_and_the_backoff_and_a_stop_is_logged_as_such()
    {
        var sink = new CapturingLoggers();
        var supervisor = SuperviseLogged(sink, c => c with { MaxRestarts = 3 });
        var started = Start(supervisor, Project.Daemon("d"));
        Clock.Advance(TimeSpan.FromSeconds(1));
        ExpectState("d", DaemonState.Running);
        var deadLetters = CreateTestProbe();
        Sys.EventStream.Subscribe(deadLetters, typeof(DeadLetter));

        var (_, relaunched) = CrashAndRecover("d", started.Pid, restartCount: 1, backoff: TimeSpan.FromSeconds(1));
        // The generation that crashed handed over cleanly: nothing was sent to it after it stopped (Akka would log
        // each such message as a dead letter).
        var lost = deadLetters.ReceiveWhile(TimeSpan.FromMilliseconds(500), m => (DeadLetter)m);
        Assert.DoesNotContain(lost, l => l.Recipient.Path.ToStringWithoutAddress().EndsWith("/d/daemon", StringComparison.Ordinal));
        // The restart kept the daemon this supervisor's: no other supervisor can take its lock.
        using (var taken = ActorSupervisor.PidFiles.DaemonLock.TryAcquire(Project.Store.LockPathFor("d", Project.SessionId)))
            Assert.Null(taken);

        Assert.Single(Notes("d"), l => Note($"daemon d (pid={started.Pid}) run failed: exited unexpectedly; signal 9; restart 1 of 3 in 1s").IsMatch(l));
        var warning = Assert.Single(sink.Entries, e => e.Message.StartsWith("d: run failed: ", StringComparison.Ordinal));
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, warning.Level);
        Assert.Equal($"d: run failed: exited unexpectedly; signal 9; restart 1 of 3 in 1s (pid {started.Pid}, session {Project.SessionId}, generation 1)",
            warning.Message);
        // The earlier generation ended restarting, not stopped: no "stopped" line for it.
        Assert.DoesNotContain(sink.Entries, e => e.Message.StartsWith("d: stopped", StringComparison.Ordinal));

        supervisor.Tell(new SupervisorCommands.StopDaemon("d"), TestActor);
        var stopped = FishForMessage<ManagedDaemon>(_ => true, Patience);
        Assert.Equal(DaemonState.Stopped, stopped.State);
        Assert.False(stopped.Completed); // stopped on request: not a completion
        var line = Assert.Single(sink.Entries, e => e.Message.StartsWith("d: stopped", StringComparison.Ordinal));
        Assert.Equal($"d: stopped (pid {relaunched.Pid}, session {Project.SessionId}, generation 2)", line.Message);
        Assert.Single(Notes("d"), l => Note($"daemon d (pid={relaunched.Pid}) stopped").IsMatch(l));
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_run_given_up_is_noted_as_such_ends_failed_not_stopped_and_its_ended_generation_ignores_a_stop()
    {
        var sink = new CapturingLoggers();
        var supervisor = SuperviseLogged(sink);
        var started = Start(supervisor, Project.Daemon("g") with { Restart = RestartPolicy.Never });
        Clock.Advance(TimeSpan.FromSeconds(1));
        ExpectState("g", DaemonState.Running);

        Native.kill(started.Pid, Native.SIGKILL);
        var failed = ExpectState("g", DaemonState.Failed);
        Assert.False(failed.Completed);

        Assert.Single(Notes("g"), l => Note($"daemon g (pid={started.Pid}) run failed: exited unexpectedly; signal 9; giving up after 1 failed runs in a row").IsMatch(l));
        Assert.Single(sink.Entries, e => e.Message == $"g: run failed: exited unexpectedly; signal 9; giving up after 1 failed runs in a row (pid {started.Pid}, session {Project.SessionId}, generation 1)");
        Assert.DoesNotContain(Notes("g"), l => l.EndsWith(" stopped", StringComparison.Ordinal));
        Assert.DoesNotContain(sink.Entries, e => e.Message.StartsWith("g: stopped", StringComparison.Ordinal));

        // The ended generation has no process left to stop: a stop reaching it changes nothing and says nothing.
        var generation = await Generation("g");
        Assert.Empty(Unhandled(generation, DaemonProtocol.Stop.Instance, new BackoffSupervisor.RestartCount(0)));
        Assert.DoesNotContain(Notes("g"), l => l.Contains("stopping daemon g"));
        var final = Query(supervisor, "g");
        Assert.Equal((DaemonState.Failed, false), (final.State, final.Completed)); // a failure is no completion
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_running_generation_takes_news_of_an_earlier_one_and_a_stray_restart_count_quietly()
    {
        var supervisor = Supervise();
        var started = Start(supervisor, Project.Daemon("d"));
        Clock.Advance(TimeSpan.FromSeconds(1));
        ExpectState("d", DaemonState.Running);

        var unhandled = Unhandled(await Generation("d"),
            new DaemonActor.ProcessExited(0, new ProcessExit(started.Pid, null, 9, DateTimeOffset.UtcNow)),
            new DaemonActor.ProbeCompleted(0, Health.ProbeResult.Fail("late")),
            new BackoffSupervisor.RestartCount(4));

        Assert.Empty(unhandled);
        Assert.Equal(DaemonState.Running, Query(supervisor, "d").State);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_run_failing_with_its_process_up_is_restarted_and_a_stop_asked_while_it_is_ended_ends_it_stopped()
    {
        // Never healthy; SIGWINCH asks nothing of it, so each ending run waits out its (real) grace, then SIGKILL.
        var supervisor = Supervise(c => c with { StartupTimeout = TimeSpan.FromSeconds(1), StopGrace = TimeSpan.FromSeconds(3) });
        var first = Start(supervisor, Project.Daemon("h") with { HealthCmd = ["/bin/false"], StopSignal = "SIGWINCH" });

        Clock.Advance(TimeSpan.FromSeconds(1));
        var restarting = ExpectState("h", DaemonState.Restarting);
        Assert.Equal(FailureKind.StartupTimeout, restarting.LastFailure!.Kind);
        // While its process is being ended, late probe results and the like are taken quietly.
        var ending = await Generation("h");
        Assert.Empty(Unhandled(ending, new DaemonActor.ProbeCompleted(1, Health.ProbeResult.Fail("late")), new BackoffSupervisor.RestartCount(1)));

        AwaitBackoffScheduled("h", 1);
        Clock.Advance(TimeSpan.FromSeconds(1));
        var second = ExpectLaunched("h");
        Assert.NotEqual(first.Pid, second.Pid);
        Assert.False(ProcessScan.IsAlive(first.Pid));

        Clock.Advance(TimeSpan.FromSeconds(1));
        ExpectState("h", DaemonState.Restarting);
        supervisor.Tell(new SupervisorCommands.StopDaemon("h"), TestActor);
        var stopped = FishForMessage<ManagedDaemon>(_ => true, Patience);
        Assert.Equal(DaemonState.Stopped, stopped.State);
        Assert.False(ProcessScan.IsAlive(second.Pid));
        // No third generation: the stop won over the restart.
        Clock.Advance(TimeSpan.FromSeconds(60));
        var later = ReceiveWhile<SupervisorEvents.DaemonStateChanged>(TimeSpan.FromSeconds(1), m => (m as SupervisorEvents.DaemonStateChanged)!);
        Assert.DoesNotContain(later, e => e.Name == "h" && e.State == DaemonState.Starting);
        Assert.Equal(DaemonState.Stopped, Query(supervisor, "h").State);
        Assert.Empty(Project.LiveProcesses());
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_run_given_up_with_its_process_up_ends_failed_with_no_further_generation()
    {
        var supervisor = Supervise(c => c with { StartupTimeout = TimeSpan.FromSeconds(1) });
        var started = Start(supervisor, Project.Daemon("f") with { HealthCmd = ["/bin/false"], MaxRestarts = 0 });

        Clock.Advance(TimeSpan.FromSeconds(1));
        var failed = ExpectState("f", DaemonState.Failed);
        Assert.Equal(FailureKind.StartupTimeout, failed.LastFailure!.Kind);
        AwaitCondition(() => !ProcessScan.IsAlive(started.Pid), Patience);

        // Whatever the backoff, no next generation is launched.
        for (var i = 0; i < 5; i++) Clock.Advance(TimeSpan.FromSeconds(60));
        var launched = ReceiveWhile<SupervisorEvents.DaemonStateChanged>(TimeSpan.FromSeconds(1), m => (m as SupervisorEvents.DaemonStateChanged)!);
        Assert.DoesNotContain(launched, e => e.Name == "f" && e.State == DaemonState.Starting);
        Assert.Equal(DaemonState.Failed, Query(supervisor, "f").State);
        Assert.Empty(Project.LiveProcesses());
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task What_is_left_of_the_group_of_a_leader_that_exited_is_killed_at_once_not_at_shutdown()
    {
        var supervisor = Supervise();
        var pids = Path.Combine(Project.Dir, "grandchildren");
        Start(supervisor, Project.Daemon("parent", "--spawn-grandchildren", "2", "--grandchild-pids", pids,
            "--exit-after", "1s", "--exit-code", "3") with { Restart = RestartPolicy.Never });

        var failed = ExpectState("parent", DaemonState.Failed);
        Assert.Equal(3, failed.LastFailure!.ExitCode);
        var grandchildren = File.ReadAllLines(pids).Where(l => l.Length > 0).Select(int.Parse).ToList();
        Assert.Equal(2, grandchildren.Count);
        AwaitCondition(() => grandchildren.All(p => !ProcessScan.IsAlive(p)), TimeSpan.FromSeconds(10));
        Assert.Equal(DaemonState.Failed, Query(supervisor, "parent").State);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_log_under_its_limit_is_never_rotated_at_its_log_checks()
    {
        var supervisor = Supervise(c => c with { LogMaxBytes = 1_000_000, LogKeep = 1 });
        Start(supervisor, Project.Daemon("quiet"));
        Clock.Advance(TimeSpan.FromSeconds(1));
        ExpectState("quiet", DaemonState.Running);

        for (var i = 0; i < 3; i++)
        {
            Clock.Advance(TimeSpan.FromSeconds(10)); // the log-check interval
            await Task.Delay(200);
        }
        Assert.False(File.Exists(LogPath("quiet") + ".1"));
        Assert.Contains(Notes("quiet"), l => l.Contains("launched daemon quiet"));
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_daemon_sees_its_PORT_and_env_and_its_health_command_sees_its_env_file_too()
    {
        var supervisor = Supervise();
        File.WriteAllText(Path.Combine(Project.Dir, "vars.env"), "FROM_FILE=yes\n");
        var envOut = Path.Combine(Project.Dir, "env-ported");
        var ported = Project.Daemon("ported") with
        {
            Command = "/bin/sh",
            Args = ["-c", $"env > '{envOut}.tmp' && mv '{envOut}.tmp' '{envOut}' && exec sleep 600"],
            NeedsPort = true,
            Env = [.. Project.Daemon("x").Env, "GREETING=a=b"],
            EnvFile = "vars.env",
            HealthCmd = ["/bin/sh", "-c", "test \"$FROM_FILE\" = yes"],
        };
        var daemon = Start(supervisor, ported);
        AdvanceUntil("ported", DaemonState.Running, TimeSpan.FromMilliseconds(100));
        AwaitCondition(() => File.Exists(envOut), Patience);
        var env = File.ReadAllLines(envOut);
        Assert.Contains($"PORT={daemon.Port}", env);
        Assert.Contains("GREETING=a=b", env);
        Assert.Contains("FROM_FILE=yes", env);

        // Without a port, no PORT of ours (only what the supervisor itself may have inherited).
        var bareOut = Path.Combine(Project.Dir, "env-bare");
        Start(supervisor, Project.Daemon("bare") with
        {
            Command = "/bin/sh",
            Args = ["-c", $"env > '{bareOut}.tmp' && mv '{bareOut}.tmp' '{bareOut}' && exec sleep 600"],
        });
        Clock.Advance(TimeSpan.FromSeconds(1));
        ExpectState("bare", DaemonState.Running);
        AwaitCondition(() => File.Exists(bareOut), Patience);
        var inherited = Environment.GetEnvironmentVariable("PORT");
        Assert.Equal(inherited is null ? [] : [$"PORT={inherited}"], File.ReadAllLines(bareOut).Where(l => l.StartsWith("PORT=", StringComparison.Ordinal)));
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Each_PID_file_names_its_daemons_lifetime()
    {
        var supervisor = Supervise();
        var persistent = Start(supervisor, Project.Daemon("kept"));
        var ephemeral = Start(supervisor, Project.Daemon("passing") with { Lifetime = DaemonLifetime.Ephemeral });

        var kept = Project.Store.Read("kept", Project.SessionId);
        var passing = Project.Store.Read("passing", Project.SessionId);
        Assert.Equal((persistent.Pid, "persistent"), (kept!.Pid, kept.Lifetime));
        Assert.Equal((ephemeral.Pid, "ephemeral"), (passing!.Pid, passing.Lifetime));
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }
    [Fact]
    public async Task A_one_shot_task_that_exited_0_ends_stopped_and_completed_once_and_stays_so()
    {
        var sink = new CapturingLoggers();
        var supervisor = SuperviseLogged(sink);
        var started = Start(supervisor, Project.Daemon("once", "--exit-after", "300ms", "--exit-code", "0") with { Restart = RestartPolicy.OnFailure });

        var done = ExpectState("once", DaemonState.Stopped);
        Assert.True(done.Completed);
        // Its process had exited already; what its generation does after that changes nothing.
        var generation = await Generation("once");
        for (var i = 0; i < 10; i++)
        {
            Assert.Empty(Unhandled(generation));
            await Task.Delay(100);
        }
        var later = Query(supervisor, "once");
        Assert.Equal((DaemonState.Stopped, true, null), (later.State, later.Completed, later.LastFailure));
        Assert.Single(sink.Entries, e => e.Message == $"once: stopped (pid {started.Pid}, session {Project.SessionId}, generation 1)");
        Assert.Single(Notes("once"), l => Note($"daemon once (pid={started.Pid}) stopped").IsMatch(l));
        Assert.DoesNotContain(sink.Entries, e => e.Message.StartsWith("once: failed", StringComparison.Ordinal) || e.Message.Contains("run failed"));
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }
    [Fact]
    public async Task A_slow_health_command_is_never_run_again_while_one_is_still_running()
    {
        // The probe timeout is real time: a long one, so that a loaded machine cannot end the first run early.
        var supervisor = Supervise(c => c with { StartupTimeout = TimeSpan.FromMinutes(5), ProbeTimeout = TimeSpan.FromMinutes(5) });
        var runs = Path.Combine(Project.Dir, "runs");
        var gate = Path.Combine(Project.Dir, "gate");
        int Runs() => File.Exists(runs) ? File.ReadAllLines(runs).Length : 0;
        // Each run records itself, then waits for the test to open the gate, then passes.
        var spec = Project.Daemon("slow") with
        {
            HealthCmd = ["/bin/sh", "-c", $"echo run >> '{runs}'; while [ ! -e '{gate}' ]; do sleep 0.05; done"],
        };
        Start(supervisor, spec);
        AwaitCondition(() => Runs() == 1, Patience);

        // Many startup ticks while the first run waits: none starts another.
        for (var i = 0; i < 10; i++) Clock.Advance(TimeSpan.FromMilliseconds(100));
        await Task.Delay(500);
        Assert.Equal(1, Runs());

        File.WriteAllText(gate, "");
        AdvanceUntil("slow", DaemonState.Running, TimeSpan.FromMilliseconds(100));
        Assert.True(Runs() >= 1);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }
    [Fact]
    public async Task A_daemon_checked_by_MCP_is_asked_at_its_own_port_and_runs_once_it_answers()
    {
        var supervisor = Supervise();
        var started = Start(supervisor, Project.Daemon("tools", "--mcp") with { PortFlag = "--port", NeedsPort = true, HealthMcp = true });
        var running = AdvanceUntil("tools", DaemonState.Running, TimeSpan.FromMilliseconds(100));
        Assert.Equal((started.Pid, started.Port), (running.Pid, running.Port));
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }
}
