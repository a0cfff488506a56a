using Akka.Actor;
using Akka.TestKit;
using ActorSupervisor.Actors;
using ActorSupervisor.Daemons;
using ActorSupervisor.Tests.Support;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace ActorSupervisor.Tests.Actors;

/// <summary>
/// The session's other commands and its news: restarts it refuses, names it does not know, removal, a daemon whose
/// BackoffSupervisor goes away, trouble kept to one daemon, the ports it keeps apart, other sessions' daemons, and
/// what subscribers hear.
/// </summary>
public sealed class SessionSupervisorControlSpecs(ITestOutputHelper output) : VirtualTimeSpecs(output)
{
    private readonly CapturingLoggers _logs = new();

    /// <summary>As <see cref="VirtualTimeSpecs.Supervise"/>, with the supervision log kept in <see cref="_logs"/> (or given loggers).</summary>
    private IActorRef Session(Func<SupervisorConfig, SupervisorConfig>? change = null, ILoggerFactory? loggers = null) =>
        Supervise(change, loggers ?? _logs);

    private static ManagedDaemon Reply(TestProbe probe) => probe.FishForMessage<ManagedDaemon>(_ => true, Patience);

    private static string Failure(TestProbe probe) => probe.FishForMessage<Status.Failure>(_ => true, Patience).Cause.Message;

    private IActorRef BackoffOf(string name) =>
        Sys.ActorSelection($"/user/{SessionSupervisorActor.ActorName(Project.SessionId)}/{name}").ResolveOne(TimeSpan.FromSeconds(5)).Result;

    private bool Exists(string name)
    {
        try
        {
            BackoffOf(name);
            return true;
        }
        catch (AggregateException e) when (e.InnerException is ActorNotFoundException)
        {
            return false;
        }
    }

    private List<LogEntry> Lines(string daemon, string containing) =>
        _logs.Entries.Where(e => e.Message.StartsWith($"{daemon}: ", StringComparison.Ordinal) && e.Message.Contains(containing)).ToList();

    [Fact]
    public async Task A_dependent_launches_the_moment_its_dependency_has_launched_and_subscribers_hear_each_change_once()
    {
        var events = CreateTestProbe();
        Sys.EventStream.Subscribe(events.Ref, typeof(SupervisorEvents.DaemonStateChanged));
        var supervisor = Session();
        var waiting = Start(supervisor, Project.Daemon("web") with { DependsOn = On("db") });
        Assert.Equal(0, waiting.Pid);
        Assert.Contains("waiting for db", waiting.Reason);

        var db = Start(supervisor, Project.Daemon("db"));
        // No clock advance: the dependency's launch alone lets the dependent go.
        var web = ExpectLaunched("web");
        Assert.Null(web.Reason);

        var seen = events.ReceiveWhile<SupervisorEvents.DaemonStateChanged>(TimeSpan.FromMilliseconds(300), m => (m as SupervisorEvents.DaemonStateChanged)!);
        // A generation about to launch is not news: db is first heard of launched, web first as waiting, with why.
        var dbNews = seen.Where(e => e.Name == "db").Select(e => e.Daemon).ToList();
        Assert.Equal(db.Pid, dbNews[0].Pid);
        var webNews = seen.Where(e => e.Name == "web").Select(e => e.Daemon).ToList();
        Assert.Equal([(DaemonState.Starting, 0), (DaemonState.Starting, web.Pid)], webNews.Select(d => (d.State, d.Pid)));
        Assert.Contains("waiting for db", webNews[0].Reason);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Commands_naming_a_daemon_the_session_does_not_know_are_answered_not_found_and_trouble_nothing()
    {
        var supervisor = Session();
        var caller = CreateTestProbe();
        foreach (var command in new object[]
                 {
                     new SupervisorCommands.StopDaemon("ghost"), new SupervisorCommands.RestartDaemon("ghost"),
                     new SupervisorCommands.ResumeDaemon("ghost"), new SupervisorCommands.RemoveDaemon("ghost"),
                 })
        {
            supervisor.Tell(command, caller);
            Assert.Equal("ghost", caller.ExpectMsg<DaemonNotFound>(Patience).Name);
        }
        supervisor.Tell(SupervisorQueries.GetStatus.Instance, caller);
        Assert.Empty(caller.ExpectMsg<SupervisorReplies.StatusReport>(Patience).Daemons);
        caller.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.DoesNotContain(_logs.Entries, e => e.Level >= LogLevel.Warning);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_restart_with_a_spec_of_another_name_or_an_invalid_one_is_refused_and_the_daemon_runs_on()
    {
        var supervisor = Session();
        var d = Start(supervisor, Stubborn("d"));
        var caller = CreateTestProbe();
        supervisor.Tell(new SupervisorCommands.RestartDaemon("d", Project.Daemon("e")), caller);
        Assert.Equal("a restart of daemon 'd' cannot run a spec named 'e'", Failure(caller));
        supervisor.Tell(new SupervisorCommands.RestartDaemon("d", Project.Daemon("d") with { Command = "" }), caller);
        Assert.IsType<InvalidSpecException>(caller.FishForMessage<Status.Failure>(_ => true, Patience).Cause);
        var now = Query(supervisor, "d");
        Assert.Equal(DaemonState.Starting, now.State);
        Assert.Equal(d.Pid, now.Pid);
        Assert.Equal(d.Spec.Args, now.Spec.Args);

        // A second restart while the first waits for the old process (it ignores SIGTERM for the grace) is refused.
        AwaitReady("d");
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        supervisor.Tell(new SupervisorCommands.RestartDaemon("d"), first);
        supervisor.Tell(new SupervisorCommands.RestartDaemon("d"), second);
        Assert.Equal("daemon 'd' is already being restarted", Failure(second));
        var restarted = Reply(first);
        Assert.NotEqual(d.Pid, restarted.Pid);
        Assert.True(restarted.Pid > 0);
        second.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        caller.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Removing_a_daemon_forgets_it_and_tells_subscribers_at_once_when_it_has_already_ended()
    {
        var removed = CreateTestProbe();
        Sys.EventStream.Subscribe(removed.Ref, typeof(SupervisorEvents.DaemonRemoved));
        var supervisor = Session();
        Start(supervisor, Project.Daemon("d"));
        var caller = CreateTestProbe();
        supervisor.Tell(new SupervisorCommands.StopDaemon("d"), caller);
        Assert.Equal(DaemonState.Stopped, Reply(caller).State);

        supervisor.Tell(new SupervisorCommands.RemoveDaemon("d"), caller);
        Assert.Equal(DaemonState.Stopped, Reply(caller).State);
        Assert.Equal(new SupervisorEvents.DaemonRemoved(Project.SessionId, "d"), removed.ExpectMsg<SupervisorEvents.DaemonRemoved>(Patience));
        supervisor.Tell(new SupervisorQueries.GetDaemon("d"), caller);
        caller.ExpectMsg<DaemonNotFound>(Patience);
        Assert.False(File.Exists(LockFile("d")));

        // A running one is stopped first, then forgotten.
        Start(supervisor, Project.Daemon("d"));
        supervisor.Tell(new SupervisorCommands.RemoveDaemon("d"), caller);
        Assert.Equal(DaemonState.Stopped, Reply(caller).State);
        Assert.Equal("d", removed.ExpectMsg<SupervisorEvents.DaemonRemoved>(Patience).Name);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_daemon_started_again_right_after_its_removal_starts_once_its_old_backoff_supervisor_is_gone()
    {
        var supervisor = Session();
        Start(supervisor, Project.Daemon("d"));
        var caller = CreateTestProbe();
        supervisor.Tell(new SupervisorCommands.StopDaemon("d"), caller);
        Assert.Equal(DaemonState.Stopped, Reply(caller).State);

        // Removal stops the old BackoffSupervisor, whose name Akka holds until it is gone; the start must not race it.
        supervisor.Tell(new SupervisorCommands.RemoveDaemon("d"), caller);
        supervisor.Tell(new SupervisorCommands.StartDaemon(Project.Daemon("d")), caller);
        Assert.Equal(DaemonState.Stopped, Reply(caller).State);
        var started = caller.FishForMessage<object>(_ => true, Patience);
        Assert.True(started is ManagedDaemon { State: DaemonState.Starting }, $"the start was answered {started}");
        AwaitCondition(() => Query(supervisor, "d").Pid > 0, Patience);

        supervisor.Tell(new SupervisorCommands.StopDaemon("d"), caller);
        Assert.Equal(DaemonState.Stopped, Reply(caller).State);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_daemon_whose_backoff_supervisor_is_stopped_under_it_fails_is_logged_as_given_up_and_restarts_cleanly()
    {
        var supervisor = Session();
        var d = Start(supervisor, Project.Daemon("d"));
        Sys.Stop(BackoffOf("d"));
        var failed = ExpectState("d", DaemonState.Failed);
        Assert.Equal(0, failed.Pid);
        // The give-up line is the last thing the daemon's end does (after the event): awaited, the lock is gone too.
        AwaitCondition(() => Lines("d", "failed after").Count > 0, Patience);
        var gaveUp = Assert.Single(Lines("d", "failed after"));
        Assert.Equal("unknown", gaveUp.Properties["Failure"]);
        Assert.Equal(0, gaveUp.Properties["Failures"]);
        Assert.False(File.Exists(LockFile("d")));

        // Started again, it launches and runs: nothing of the old one stops it.
        var caller = CreateTestProbe();
        supervisor.Tell(new SupervisorCommands.RestartDaemon("d"), caller);
        var again = Reply(caller);
        Assert.True(again.Pid > 0);
        Assert.NotEqual(d.Pid, again.Pid);
        Clock.Advance(TimeSpan.FromSeconds(1));
        FishForMessage<SupervisorEvents.DaemonStateChanged>(e =>
        {
            if (e.Name == "d") Assert.NotEqual(DaemonState.Stopping, e.State);
            return e.Name == "d" && e.State == DaemonState.Running;
        }, Patience);
        Assert.Equal(again.Pid, Query(supervisor, "d").Pid);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_daemon_that_gives_up_is_logged_once_with_its_last_failure_and_a_stopped_one_is_not()
    {
        var supervisor = Session(c => c with { MaxRestarts = 1 });
        Start(supervisor, Project.Daemon("calm"));
        var caller = CreateTestProbe();
        supervisor.Tell(new SupervisorCommands.StopDaemon("calm"), caller);
        Assert.Equal(DaemonState.Stopped, Reply(caller).State);

        Start(supervisor, Project.Daemon("crashy", "--exit-after", "0", "--exit-code", "3"));
        ExpectState("crashy", DaemonState.Restarting);
        AwaitBackoffScheduled("crashy", 1);
        Clock.Advance(TimeSpan.FromSeconds(1));
        var failed = ExpectState("crashy", DaemonState.Failed);
        Assert.Contains("exit code 3", failed.LastFailure!.ToString());

        // The state is published before the line is written.
        AwaitCondition(() => _logs.Entries.Any(e => e.Message.Contains("consecutive failed runs")), Patience);
        var gaveUp = Assert.Single(_logs.Entries, e => e.Message.Contains("consecutive failed runs"));
        Assert.Equal("crashy", gaveUp.Properties["Daemon"]);
        Assert.Equal(2, gaveUp.Properties["Failures"]);
        Assert.Equal(failed.LastFailure.ToString(), gaveUp.Properties["Failure"]);
        Assert.Equal(LogLevel.Error, gaveUp.Level);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_port_claim_that_cannot_be_made_fails_that_daemon_alone_with_the_reason_and_leaves_nothing_of_it()
    {
        var supervisor = Session();
        var fine = Start(supervisor, Project.Daemon("fine"));
        // Where the port claims go, a plain file: claiming web's port throws inside the session's own handler.
        File.WriteAllText(Path.Combine(Project.Config().WithDefaults().StateRoot, "ports"), "");

        var caller = CreateTestProbe();
        supervisor.Tell(new SupervisorCommands.StartDaemon(Project.HttpDaemon("web")), caller);
        Assert.Contains("daemon 'web' ended failed before it launched", Failure(caller));
        var failed = ExpectState("web", DaemonState.Failed);
        Assert.Contains("is not a directory", failed.LastFailure!.Reason);
        Assert.Equal(FailureKind.Supervisor, failed.LastFailure.Kind);
        var isolated = Assert.Single(Lines("web", "this daemon is failed, the others are untouched"));
        Assert.Equal(LogLevel.Error, isolated.Level);
        Assert.False(File.Exists(LockFile("web")), "the failed daemon's lock is released");
        AwaitCondition(() => !Exists("web"), Patience); // its BackoffSupervisor is gone: no generation is left waiting

        var now = Query(supervisor, "fine");
        Assert.Equal(fine.Pid, now.Pid);
        Assert.True(ProcessScan.IsAlive(fine.Pid));
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_restart_whose_new_spec_closes_a_cycle_while_the_old_process_stops_is_refused_and_releases_the_daemon()
    {
        var supervisor = Session();
        Start(supervisor, Stubborn("a"));
        AwaitReady("a");
        var restart = CreateTestProbe();
        supervisor.Tell(new SupervisorCommands.RestartDaemon("a", Stubborn("a") with { DependsOn = On("b") }), restart);
        // While a's old process takes its grace, b (which needs a) starts: a's new spec now closes a cycle.
        var b = Start(supervisor, Project.Daemon("b") with { DependsOn = On("a") });
        Assert.True(b.Pid > 0);

        var refusal = restart.FishForMessage<Status.Failure>(_ => true, Patience).Cause;
        Assert.IsType<InvalidSpecException>(refusal);
        Assert.Contains("a -> b -> a", refusal.ToString());
        var a = Query(supervisor, "a");
        Assert.Equal(DaemonState.Stopped, a.State);
        Assert.False(File.Exists(LockFile("a")), "the refused daemon's lock is released");
        Assert.Equal(b.Pid, Query(supervisor, "b").Pid);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_waiting_daemon_whose_backoff_supervisor_is_stopped_stays_failed_without_a_port_when_its_dependency_launches()
    {
        var supervisor = Session();
        var waiting = Start(supervisor, Project.HttpDaemon("web") with { DependsOn = On("db") });
        Assert.Equal(0, waiting.Port);
        Sys.Stop(BackoffOf("web"));
        ExpectState("web", DaemonState.Failed);

        Start(supervisor, Project.Daemon("db"));
        var web = Query(supervisor, "web");
        Assert.Equal(DaemonState.Failed, web.State);
        Assert.Equal(0, web.Port);
        Assert.Equal(0, web.Pid);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Two_daemons_of_a_session_never_get_the_same_port_even_before_the_first_has_bound_it()
    {
        var supervisor = Session();
        var port = TestPorts.Unbound();
        var one = Start(supervisor, Project.HttpDaemon("one", "--sleep-before-listen", "60s") with { DefaultPort = port });
        Assert.Equal(port, one.Port);
        var two = Start(supervisor, Project.HttpDaemon("two", "--sleep-before-listen", "60s") with { DefaultPort = port });
        Assert.NotEqual(port, two.Port);
        Assert.True(two.Port > 0);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_status_with_foreign_daemons_lists_other_sessions_daemons_under_the_project_and_not_its_own()
    {
        var supervisor = Session();
        var otherConfig = SessionConfig(c => c with { SessionId = "o" + Project.Tag });
        var other = Sys.ActorOf(SessionSupervisorActor.Props(otherConfig), SessionSupervisorActor.ActorName(otherConfig.SessionId));
        var theirs = Start(other, Project.Daemon("theirs"));
        Start(supervisor, Project.Daemon("mine"));

        var caller = CreateTestProbe();
        supervisor.Tell(new SupervisorQueries.GetStatus(IncludeForeign: true), caller);
        var report = caller.ExpectMsg<SupervisorReplies.StatusReport>(Patience);
        Assert.Equal(["mine"], report.Daemons.Keys);
        var foreign = Assert.Single(report.Foreign);
        Assert.Equal(("theirs", otherConfig.SessionId, theirs.Pid), (foreign.Name, foreign.OwnerId, foreign.Pid));
        Assert.True(foreign.Alive);

        await other.Ask<SupervisorReplies.StatusReport>(SupervisorCommands.Shutdown.Instance, TimeSpan.FromSeconds(30));
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_supervisor_error_after_a_daemon_has_failed_keeps_its_own_failure_and_touches_no_other_daemon()
    {
        var loggers = FailingLoggers.OnEvent(eventId: 11, "crashy", times: 1); // the give-up line
        var supervisor = Session(c => c with { MaxRestarts = 1 }, loggers);
        var fine = Start(supervisor, Project.Daemon("fine"));
        Start(supervisor, Project.Daemon("crashy", "--exit-after", "0", "--exit-code", "3"));
        ExpectState("crashy", DaemonState.Restarting);
        AwaitBackoffScheduled("crashy", 1);
        Clock.Advance(TimeSpan.FromSeconds(1));
        ExpectState("crashy", DaemonState.Failed);

        // The error is logged against the daemon, which stays failed for its own reason: the exit, not the logger.
        var crashy = Query(supervisor, "crashy");
        Assert.Equal(DaemonState.Failed, crashy.State);
        Assert.Equal(FailureKind.Exit, crashy.LastFailure!.Kind);
        Assert.Contains("exit code 3", crashy.LastFailure.ToString());
        Assert.Single(loggers.Seen.Entries, e => e.Message.StartsWith("crashy: ", StringComparison.Ordinal)
            && e.Message.Contains(FailingLoggers.SinkFull) && e.Message.Contains("this daemon is failed, the others are untouched"));
        Assert.Equal(fine.Pid, Query(supervisor, "fine").Pid);
        var session = await Sys.ActorSelection(supervisor.Path).ResolveOne(TimeSpan.FromSeconds(5));
        Assert.Equal(supervisor, session);

        // The give-up line is written last, so the daemon's end was done before it threw: its lock is released, and
        // the session stops normally.
        Assert.False(File.Exists(LockFile("crashy")), "the failed daemon's lock is released");
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }
}
