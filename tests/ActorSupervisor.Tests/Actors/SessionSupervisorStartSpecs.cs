using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using ActorSupervisor.Actors;
using ActorSupervisor.Daemons;
using ActorSupervisor.Observability;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Ports;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;
using static ActorSupervisor.Actors.SupervisorCommands;
using static ActorSupervisor.Actors.SupervisorEvents;

namespace ActorSupervisor.Tests.Actors;

/// <summary>
/// How the session begins a daemon: refusals and what they name, the lock and port claims it takes and gives back,
/// dependencies waited for (and not waited for again), starting again, and a generation it must not launch.
/// </summary>
public sealed class SessionSupervisorStartSpecs(ITestOutputHelper output) : VirtualTimeSpecs(output)
{
    private string LockPath(string name)
    {
        Project.Store.EnsureDirectories();
        return Project.Store.LockPathFor(name, Project.SessionId);
    }

    /// <summary>Another supervisor of the same project, as far as port claims go.</summary>
    private PortClaims OtherSupervisorsClaims() => new(Project.Config().WithDefaults().StateRoot);

    /// <summary>As <see cref="VirtualTimeSpecs.Supervise"/>, logging into <paramref name="loggers"/>.</summary>
    private IActorRef SuperviseLogged(CapturingLoggers loggers, Func<SupervisorConfig, SupervisorConfig>? change = null) =>
        Supervise(change, loggers);

    /// <summary>Every message up to and including the first answer to a command (events on the way included).</summary>
    private List<object> UntilAnswer()
    {
        var seen = new List<object>();
        FishForMessage<object>(m =>
        {
            seen.Add(m);
            return m is ManagedDaemon or Status.Failure or DaemonNotFound or SupervisorReplies.StatusReport;
        }, Patience);
        return seen;
    }

    private T Answer<T>()
    {
        var answer = UntilAnswer()[^1];
        return Assert.IsType<T>(answer);
    }

    private async Task AwaitBackoffGone(string name)
    {
        var path = $"/user/{SessionSupervisorActor.ActorName(Project.SessionId)}/{name}";
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            try { await Sys.ActorSelection(path).ResolveOne(TimeSpan.FromSeconds(1)); }
            catch (ActorNotFoundException) { return; }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{name}'s BackoffSupervisor is still there");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_start_that_waits_for_a_dependency_is_answered_at_once_with_the_reason_and_launches_once_the_dependency_has()
    {
        var supervisor = Supervise();
        supervisor.Tell(new StartDaemon(Project.Daemon("web") with { DependsOn = On("db", DependencyCondition.Started) }), TestActor);
        var seen = UntilAnswer();
        var waiting = Assert.IsType<ManagedDaemon>(seen[^1]);
        Assert.Equal(DaemonState.Starting, waiting.State);
        Assert.Equal(0, waiting.Pid);
        Assert.Equal("waiting for db (started; not started yet)", waiting.Reason);
        // Subscribers heard the same reason before the caller did.
        Assert.Contains(seen, m => m is DaemonStateChanged { Name: "web" } e && e.Daemon.Reason == waiting.Reason);

        Start(supervisor, Project.Daemon("db"));
        var launched = ExpectLaunched("web");
        Assert.Null(launched.Reason);
        var running = AdvanceUntil("web", DaemonState.Running, TimeSpan.FromMilliseconds(200));
        Assert.Equal(launched.Pid, running.Pid);
        Assert.Equal(launched.Pid, Query(supervisor, "web").Pid);
        Assert.Single(Project.Signals.Started, pid => pid == launched.Pid);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_restart_of_a_dependent_does_not_wait_for_its_dependency_again()
    {
        var supervisor = Supervise();
        Start(supervisor, Project.Daemon("db"));
        var web = Start(supervisor, Project.Daemon("web") with { DependsOn = On("db", DependencyCondition.Started) });
        Assert.True(web.Pid > 0);
        supervisor.Tell(new StopDaemon("db"), TestActor);
        FishForMessage<ManagedDaemon>(m => m.Name == "db" && m.State == DaemonState.Stopped, Patience);
        // db begins again, and waits itself: it has not launched since, so a first start of web would wait for it.
        supervisor.Tell(new StartDaemon(Project.Daemon("db") with { DependsOn = On("x", DependencyCondition.Started) }), TestActor);
        Assert.Equal("waiting for x (started; not started yet)", FishForMessage<ManagedDaemon>(m => m.Name == "db", Patience).Reason);

        // What it depended on was there when it first ran: the restart launches though db has not launched again.
        await Project.Signals.WaitForStart(web.Pid);
        Native.kill(web.Pid, Native.SIGKILL);
        ExpectState("web", DaemonState.Restarting);
        AwaitBackoffScheduled("web", 1);
        Clock.Advance(TimeSpan.FromSeconds(1));
        var relaunched = ExpectLaunched("web");
        Assert.NotEqual(web.Pid, relaunched.Pid);
        Assert.Equal(1, relaunched.Restarts);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_dependency_that_stops_before_it_is_healthy_fails_the_daemon_waiting_for_it_and_frees_its_lock_and_actor()
    {
        var supervisor = Supervise();
        supervisor.Tell(new StartDaemon(Project.Daemon("web") with { DependsOn = On("db", DependencyCondition.Healthy) }), TestActor);
        Assert.Equal(0, Answer<ManagedDaemon>().Pid);

        // db has no health check: it would be healthy once settled (1 s of virtual time), but is stopped before.
        Start(supervisor, Project.Daemon("db"));
        supervisor.Tell(new StopDaemon("db"), TestActor);
        var failed = ExpectState("web", DaemonState.Failed);
        Assert.Equal(0, failed.Pid);
        Assert.Equal("dependency db stopped before it was healthy", failed.Reason);
        // Nothing of web is held any more: its lock is free and its BackoffSupervisor has gone.
        using (var taken = DaemonLock.TryAcquire(LockPath("web"))) Assert.NotNull(taken);
        await AwaitBackoffGone("web");
        FishForMessage<ManagedDaemon>(m => m.Name == "db" && m.State == DaemonState.Stopped, Patience);
        Assert.Equal(DaemonState.Failed, Query(supervisor, "web").State);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_generation_asking_to_launch_for_an_ended_or_unknown_daemon_is_told_to_stop_and_nothing_else_happens()
    {
        var loggers = new CapturingLoggers();
        var supervisor = SuperviseLogged(loggers, c => c with { MaxRestarts = 1 });
        supervisor.Tell(new StartDaemon(Project.Daemon("crashy", "--exit-after", "0")), TestActor);
        ExpectState("crashy", DaemonState.Restarting);
        AwaitBackoffScheduled("crashy", 1);
        Clock.Advance(TimeSpan.FromSeconds(1));
        // Failed, its last generation (and so its BackoffSupervisor) still there.
        var failed = ExpectState("crashy", DaemonState.Failed);

        var generation = CreateTestProbe();
        supervisor.Tell(new DaemonProtocol.GenerationReady("crashy"), generation.Ref);
        generation.ExpectMsg<DaemonProtocol.Stop>();
        supervisor.Tell(new DaemonProtocol.GenerationReady("ghost"), generation.Ref);
        generation.ExpectMsg<DaemonProtocol.Stop>();

        var now = Query(supervisor, "crashy");
        Assert.Equal(DaemonState.Failed, now.State);
        Assert.Equal(failed.Generation(), now.Generation());
        generation.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.DoesNotContain(loggers.Entries, e => e.Level >= LogLevel.Error && e.Message.Contains("could not be handled"));
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_stop_asked_for_during_a_backoff_wait_ends_the_next_generation_before_it_launches()
    {
        var supervisor = Supervise();
        var db = Start(supervisor, Project.Daemon("db"));
        // web outlives the stop's first steps: it ignores SIGTERM until the grace (2 s of virtual time) is over.
        var web = Start(supervisor, Project.Daemon("web", "--ignore-sigterm") with { DependsOn = On("db", DependencyCondition.Started) });
        await Project.Signals.WaitForStart(db.Pid, web.Pid);
        Native.kill(db.Pid, Native.SIGKILL);
        ExpectState("db", DaemonState.Restarting);
        AwaitBackoffScheduled("db", 1);

        // db's stop waits for web (reverse dependency order), so db's backoff wait ends while its stop is asked for.
        supervisor.Tell(StopAll.Instance, TestActor);
        ExpectState("web", DaemonState.Stopping);
        await Project.Signals.WaitFor(web.Pid, "SIGTERM");
        Clock.Advance(TimeSpan.FromSeconds(1));
        var dbNews = new List<ManagedDaemon>();
        FishForMessage<DaemonStateChanged>(e =>
        {
            if (e.Name == "db") dbNews.Add(e.Daemon);
            return e.Name == "db" && e.State == DaemonState.Stopped;
        }, Patience);
        Assert.All(dbNews, d => Assert.Equal(0, d.Pid));

        Clock.Advance(TimeSpan.FromSeconds(2));
        var report = FishForMessage<SupervisorReplies.StatusReport>(_ => true, Patience);
        Assert.Equal(DaemonState.Stopped, report.Daemons["db"].State);
        Assert.Equal(DaemonState.Stopped, report.Daemons["web"].State);
        Assert.Equal([db.Pid, web.Pid], Project.Signals.Started.Order());
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_daemons_port_is_claimed_while_it_runs_moved_with_it_and_released_when_it_stops_and_its_lock_likewise()
    {
        var supervisor = Supervise();
        var others = OtherSupervisorsClaims();
        // Another supervisor of the project claims the daemon's default port first: it is left to it.
        var claimedElsewhere = TestPorts.Unbound();
        Assert.True(others.TryClaim(claimedElsewhere));
        var web = Start(supervisor, Project.HttpDaemon("web") with { DefaultPort = claimedElsewhere });
        others.Release(claimedElsewhere);
        Assert.True(web.Port > 0);
        Assert.NotEqual(claimedElsewhere, web.Port);
        Assert.False(others.TryClaim(web.Port));
        Assert.Null(DaemonLock.TryAcquire(LockPath("web")));

        // Its port is taken while it waits to restart: it moves, and its claim on the old port goes.
        await Project.Signals.WaitForStart(web.Pid);
        Native.kill(web.Pid, Native.SIGKILL);
        ExpectState("web", DaemonState.Restarting);
        AwaitBackoffScheduled("web", 1);
        int moved;
        using (var squatter = new TcpListener(IPAddress.Loopback, web.Port))
        {
            squatter.Start();
            Clock.Advance(TimeSpan.FromSeconds(1));
            moved = ExpectLaunched("web").Port;
            Project.RememberPort(moved);
            squatter.Stop();
        }
        Assert.NotEqual(web.Port, moved);
        Assert.True(others.TryClaim(web.Port));
        others.Release(web.Port);
        Assert.False(others.TryClaim(moved));

        supervisor.Tell(new StopDaemon("web"), TestActor);
        FishForMessage<ManagedDaemon>(m => m.State == DaemonState.Stopped, Patience);
        Assert.True(others.TryClaim(moved));
        others.ReleaseAll();
        using (var taken = DaemonLock.TryAcquire(LockPath("web"))) Assert.NotNull(taken);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_stopped_daemon_started_again_answers_once_runs_on_and_keeps_its_own_counters()
    {
        var supervisor = Supervise();
        var first = Start(supervisor, Project.Daemon("d"));
        await Project.Signals.WaitForStart(first.Pid);
        Native.kill(first.Pid, Native.SIGKILL);
        ExpectState("d", DaemonState.Restarting);
        AwaitBackoffScheduled("d", 1);
        // Stopped during its backoff wait, the daemon's BackoffSupervisor ends with it.
        supervisor.Tell(new StopDaemon("d"), TestActor);
        FishForMessage<ManagedDaemon>(m => m.State == DaemonState.Stopped, Patience);
        await AwaitBackoffGone("d");

        // Counters carried from elsewhere are for a daemon new here, not for one this session has run.
        var carried = new ManagedDaemon { Spec = Project.Daemon("d"), Restarts = 7, LastFailure = new FailureRecord { Reason = "elsewhere" } };
        supervisor.Tell(new StartDaemon(Project.Daemon("d")) { Carried = carried }, TestActor);
        var seen = UntilAnswer();
        Assert.DoesNotContain(seen, m => m is Status.Failure);
        var again = Assert.IsType<ManagedDaemon>(seen[^1]);
        Assert.NotEqual(first.Pid, again.Pid);
        Assert.Equal(1, again.Restarts);
        Assert.NotEqual("elsewhere", again.LastFailure?.Reason);
        var launched = seen.OfType<DaemonStateChanged>().Single(e => e.Name == "d" && e.Daemon.Pid == again.Pid);
        Assert.Equal(DaemonState.Stopped, launched.Previous);

        Clock.Advance(TimeSpan.FromSeconds(1));
        var running = ExpectState("d", DaemonState.Running);
        Assert.Equal(again.Pid, running.Pid);
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal(again.Pid, Query(supervisor, "d").Pid);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_daemon_moved_here_keeps_the_restarts_and_last_failure_it_had()
    {
        var supervisor = Supervise();
        var failure = new FailureRecord { Reason = "exited with code 3", Kind = FailureKind.Exit, ExitCode = 3, At = DateTimeOffset.UnixEpoch };
        var carried = new ManagedDaemon { Spec = Project.Daemon("d"), Restarts = 3, LastFailure = failure };
        supervisor.Tell(new StartDaemon(Project.Daemon("d")) { Carried = carried }, TestActor);
        var started = Answer<ManagedDaemon>();
        Assert.True(started.Pid > 0);
        Assert.Equal(3, started.Restarts);
        Assert.Equal("exited with code 3", started.LastFailure?.Reason);
        Assert.Equal(3, Query(supervisor, "d").Restarts);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Refused_starts_name_the_spec_the_field_the_cycle_and_a_shut_down_session()
    {
        var supervisor = Supervise();
        supervisor.Tell(new StartDaemon(Project.Daemon("bad") with { Command = "" }), TestActor);
        var bad = Assert.IsType<InvalidSpecException>(Answer<Status.Failure>().Cause);
        Assert.StartsWith("Daemon spec 'bad'", bad.Message);
        Assert.Contains(bad.Problems, p => p.Field == "command");

        supervisor.Tell(new StartDaemon(null!), TestActor);
        var missing = Assert.IsType<InvalidSpecException>(Answer<Status.Failure>().Cause);
        Assert.StartsWith("Daemon spec ''", missing.Message);
        Assert.Equal("spec", Assert.Single(missing.Problems).Field);

        supervisor.Tell(new StartDaemon(Project.Daemon("a") with { DependsOn = On("b", DependencyCondition.Started) }), TestActor);
        Assert.Equal(0, Answer<ManagedDaemon>().Pid);
        supervisor.Tell(new StartDaemon(Project.Daemon("b") with { DependsOn = On("a", DependencyCondition.Started) }), TestActor);
        var cycle = Assert.IsType<InvalidSpecException>(Answer<Status.Failure>().Cause);
        Assert.StartsWith("Daemon spec 'b'", cycle.Message);
        var problem = Assert.Single(cycle.Problems);
        Assert.Equal(new SpecProblem("depends_on", "a -> b -> a", "is a dependency cycle: no daemon in it could ever start"), problem);
        supervisor.Tell(new SupervisorQueries.GetDaemon("b"), TestActor);
        Answer<DaemonNotFound>();

        supervisor.Tell(StopAll.Instance, TestActor);
        var stoppedAll = Answer<SupervisorReplies.StatusReport>();
        Assert.Equal(DaemonState.Stopped, stoppedAll.Daemons["a"].State);
        // StopAll leaves the session open; Shutdown closes it.
        supervisor.Tell(new StartDaemon(Project.Daemon("c")), TestActor);
        Assert.True(Answer<ManagedDaemon>().Pid > 0);
        supervisor.Tell(SupervisorCommands.Shutdown.Instance, TestActor);
        Answer<SupervisorReplies.StatusReport>();
        supervisor.Tell(new StartDaemon(Project.Daemon("c")), TestActor);
        var closed = Assert.IsType<InvalidOperationException>(Answer<Status.Failure>().Cause);
        Assert.Equal($"supervisor of session '{Project.SessionId}' has been shut down", closed.Message);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_required_port_that_is_taken_refuses_the_start_keeping_nothing_so_a_later_start_succeeds()
    {
        var supervisor = Supervise();
        var port = TestPorts.Unbound();
        var spec = Project.HttpDaemon("web") with { DefaultPort = port, RequirePort = true };
        using (var squatter = new TcpListener(IPAddress.Loopback, port))
        {
            squatter.Start();
            supervisor.Tell(new StartDaemon(spec), TestActor);
            var seen = UntilAnswer();
            Assert.IsType<PortUnavailableException>(Assert.IsType<Status.Failure>(seen[^1]).Cause);
            Assert.DoesNotContain(seen, m => m is DaemonStateChanged);
            supervisor.Tell(new SupervisorQueries.GetDaemon("web"), TestActor);
            Answer<DaemonNotFound>();
            squatter.Stop();
        }
        Assert.Empty(Project.Signals.Started);

        // The refused start kept neither the lock nor anything else: the port free, the start succeeds.
        var web = Start(supervisor, spec);
        Assert.Equal(port, web.Port);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_daemon_whose_lock_another_supervisor_holds_is_refused_naming_the_holder_and_a_known_one_is_failed()
    {
        var supervisor = Supervise();
        var lockPath = LockPath("d");
        using (var held = DaemonLock.TryAcquire(lockPath))
        {
            Assert.NotNull(held);
            supervisor.Tell(new StartDaemon(Project.Daemon("d")), TestActor);
            var refused = Assert.IsType<InvalidOperationException>(Answer<Status.Failure>().Cause);
            Assert.Equal($"daemon 'd' of session '{Project.SessionId}' is owned by another supervisor (pid {DaemonLock.HolderPid(lockPath)})", refused.Message);
        }

        Start(supervisor, Project.Daemon("d"));
        supervisor.Tell(new StopDaemon("d"), TestActor);
        FishForMessage<ManagedDaemon>(m => m.State == DaemonState.Stopped, Patience);
        using (var held = DaemonLock.TryAcquire(lockPath))
        {
            Assert.NotNull(held);
            supervisor.Tell(new StartDaemon(Project.Daemon("d")), TestActor);
            var seen = UntilAnswer();
            var refused = Assert.IsType<InvalidOperationException>(Assert.IsType<Status.Failure>(seen[^1]).Cause);
            Assert.StartsWith("daemon 'd' of session ", refused.Message);
            var failed = seen.OfType<DaemonStateChanged>().Single(e => e.Name == "d" && e.State == DaemonState.Failed).Daemon;
            Assert.Equal(refused.Message, failed.LastFailure?.Reason);
            Assert.Equal(FailureKind.Supervisor, failed.LastFailure?.Kind);
        }
        Assert.Equal(DaemonState.Failed, Query(supervisor, "d").State);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_restart_into_a_spec_whose_required_port_is_taken_fails_the_daemon_and_gives_up_its_lock_and_claim()
    {
        var supervisor = Supervise();
        var others = OtherSupervisorsClaims();
        var web = Start(supervisor, Project.HttpDaemon("web"));
        Assert.False(others.TryClaim(web.Port));
        var taken = TestPorts.Unbound();
        using (var squatter = new TcpListener(IPAddress.Loopback, taken))
        {
            squatter.Start();
            supervisor.Tell(new RestartDaemon("web", Project.HttpDaemon("web") with { DefaultPort = taken, RequirePort = true }), TestActor);
            var seen = UntilAnswer();
            Assert.IsType<PortUnavailableException>(Assert.IsType<Status.Failure>(seen[^1]).Cause);
            Assert.Contains(seen, m => m is DaemonStateChanged { Name: "web", State: DaemonState.Failed });
            squatter.Stop();
        }
        Assert.Equal(DaemonState.Failed, Query(supervisor, "web").State);
        Assert.True(others.TryClaim(web.Port));
        others.ReleaseAll();
        using (var free = DaemonLock.TryAcquire(LockPath("web"))) Assert.NotNull(free);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_message_that_cannot_be_handled_is_logged_as_such_and_the_session_and_its_daemons_run_on()
    {
        var loggers = new CapturingLoggers();
        var supervisor = SuperviseLogged(loggers);
        var unhandled = CreateTestProbe();
        Sys.EventStream.Subscribe(unhandled.Ref, typeof(UnhandledMessage));
        var fine = Start(supervisor, Project.Daemon("fine"));

        // No spec, but counters to carry: the start is refused, and carrying them on has no daemon to go to.
        var carried = new ManagedDaemon { Spec = Project.Daemon("fine"), Restarts = 5 };
        supervisor.Tell(new StartDaemon(null!) { Carried = carried }, TestActor);
        Assert.IsType<InvalidSpecException>(Answer<Status.Failure>().Cause);

        var now = Query(supervisor, "fine");
        Assert.Equal(fine.Pid, now.Pid);
        Assert.Equal(0, now.Restarts);
        Assert.NotEqual(DaemonState.Failed, now.State);
        var entry = Assert.Single(loggers.Entries, e => e.Level == LogLevel.Error);
        Assert.Equal($"Session {Project.SessionId}: a message of type StartDaemon could not be handled: "
                     + "Object reference not set to an instance of an object.; no daemon was affected", entry.Message);
        unhandled.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_required_port_taken_while_the_daemon_waits_for_a_dependency_fails_it_naming_the_port()
    {
        var supervisor = Supervise();
        var port = TestPorts.Unbound();
        var spec = Project.HttpDaemon("web") with { DefaultPort = port, RequirePort = true, DependsOn = On("db", DependencyCondition.Started) };
        supervisor.Tell(new StartDaemon(spec), TestActor);
        Assert.Equal(0, Answer<ManagedDaemon>().Pid);
        using (var squatter = new TcpListener(IPAddress.Loopback, port))
        {
            squatter.Start();
            Start(supervisor, Project.Daemon("db"));
            var failed = FishForMessage<DaemonStateChanged>(
                e => e.Name == "web" && e.State is DaemonState.Failed or DaemonState.Restarting, Patience).Daemon;
            Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), failed.LastFailure?.Reason);
            Assert.Equal(0, failed.Pid);
            squatter.Stop();
        }
        Assert.DoesNotContain(Project.Signals.Started, pid => ProcessScan.Environment(pid).ContainsKey("PORT"));
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_daemon_is_handed_its_own_port_and_its_dependencys_where_its_spec_names_them()
    {
        var supervisor = Supervise();
        var db = Start(supervisor, Project.HttpDaemon("db"));
        var web = Start(supervisor, Project.HttpDaemon("web") with
        {
            Env = [.. Project.HttpDaemon("web").Env, "DB_PORT=${db.port}", "OWN_PORT=${web.port}"],
        });
        Assert.True(db.Port > 0);
        Assert.True(web.Port > 0);
        Assert.NotEqual(db.Port, web.Port);
        // Until the spawned child has exec'd, /proc shows the environment it was forked with (the test host's).
        AwaitCondition(() => ProcessScan.Environment(web.Pid).ContainsKey("OWN_PORT"), Patience);
        var env = ProcessScan.Environment(web.Pid);
        Assert.Equal(db.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), env["DB_PORT"]);
        Assert.Equal(web.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), env["OWN_PORT"]);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_status_lists_other_sessions_daemons_only_when_asked_to()
    {
        var supervisor = Supervise();
        Project.Store.EnsureDirectories();
        var foreignSession = "other" + Project.Tag;
        Project.Store.Write("elsewhere", new PidFileInfo
        {
            Pid = Environment.ProcessId, OwnerId = foreignSession, Command = "elsewhere", StartedAt = DateTimeOffset.UtcNow,
        });
        try
        {
            supervisor.Tell(new SupervisorQueries.GetStatus(), TestActor);
            Assert.Empty(Answer<SupervisorReplies.StatusReport>().Foreign);
            supervisor.Tell(new SupervisorQueries.GetStatus(IncludeForeign: true), TestActor);
            var foreign = Assert.Single(Answer<SupervisorReplies.StatusReport>().Foreign);
            Assert.Equal(("elsewhere", foreignSession, Environment.ProcessId), (foreign.Name, foreign.OwnerId, foreign.Pid));
        }
        finally
        {
            Project.Store.Delete("elsewhere", foreignSession);
        }
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task What_the_pid_file_check_finds_before_a_start_is_noted_in_the_supervision_log()
    {
        var loggers = new CapturingLoggers();
        var supervisor = SuperviseLogged(loggers);
        Project.Store.EnsureDirectories();
        var pidFile = Project.Store.PathFor("d", Project.SessionId);
        await File.WriteAllTextAsync(pidFile, "garbage");
        Start(supervisor, Project.Daemon("d"));
        var note = Assert.Single(loggers.Entries, e => e.Message.Contains("removing unusable PID file"));
        Assert.Contains(pidFile, note.Message);
        Assert.Contains(Project.SessionId, note.Message);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_sessions_daemons_are_counted_by_state_in_the_daemons_gauge()
    {
        var supervisor = Supervise();
        Start(supervisor, Project.Daemon("d"));
        var counted = new ConcurrentQueue<(string? Session, string? State, int Count)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SupervisorMetrics.MeterName && instrument.Name == "actorsupervisor.daemons") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<int>((_, value, tags, _) =>
        {
            string? session = null, state = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "session") session = tag.Value as string;
                if (tag.Key == "state") state = tag.Value as string;
            }
            counted.Enqueue((session, state, value));
        });
        listener.Start();
        AwaitAssert(() =>
        {
            counted.Clear();
            listener.RecordObservableInstruments();
            Assert.Contains((Project.SessionId, "starting", 1), counted);
        }, Patience, TimeSpan.FromMilliseconds(50));
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_daemon_whose_port_cannot_be_claimed_at_its_launch_is_failed_alone_with_the_reason_and_the_session_runs_on()
    {
        var loggers = new CapturingLoggers();
        var supervisor = SuperviseLogged(loggers);
        var fine = Start(supervisor, Project.Daemon("fine"));
        // Where the port claims go, a file stands: claiming web's port throws while its generation is launched.
        var claims = OtherSupervisorsClaims().Dir;
        await File.WriteAllTextAsync(claims, "");
        try
        {
            supervisor.Tell(new StartDaemon(Project.HttpDaemon("web")), TestActor);
            var failed = ExpectState("web", DaemonState.Failed);
            Assert.Equal(FailureKind.Supervisor, failed.LastFailure?.Kind);
            Assert.Equal(0, failed.Pid);
            Assert.IsType<InvalidOperationException>(Answer<Status.Failure>().Cause);
            Assert.Contains(loggers.Entries, e => e.Message.StartsWith("web: ", StringComparison.Ordinal)
                                                  && e.Message.Contains("this daemon is failed, the others are untouched"));
            Assert.Equal(fine.Pid, Query(supervisor, "fine").Pid);
        }
        finally
        {
            File.Delete(claims);
        }
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public void An_invalid_config_fails_the_session_actor_as_it_is_created()
    {
        var config = Project.Config(c => c with { FailureThreshold = -1 });
        var session = Sys.ActorOf(SessionSupervisorActor.Props(config), "invalid-config");
        Watch(session);
        ExpectTerminated(session, Patience);
    }
}

internal static class ManagedDaemonGenerations
{
    /// <summary>What tells two generations of a daemon apart from outside: its pid, start time and restarts.</summary>
    public static (int, DateTimeOffset?, int) Generation(this ManagedDaemon d) => (d.Pid, d.StartedAt, d.Restarts);
}
