using Akka.Actor;
using Akka.TestKit;
using ActorSupervisor.Actors;
using ActorSupervisor.Daemons;
using ActorSupervisor.Tests.Support;
using Xunit.Abstractions;

namespace ActorSupervisor.Tests.Actors;

/// <summary>
/// The session stopping its daemons: in reverse dependency order, each caller answered once, a stop winning over a
/// restart still to begin, and what a daemon held (its lock, its port claim) given up when it ends.
/// </summary>
public sealed class SessionSupervisorStopSpecs(ITestOutputHelper output) : VirtualTimeSpecs(output)
{
    private readonly CapturingLoggers _logs = new();

    /// <summary>As <see cref="VirtualTimeSpecs.Supervise"/>, with the supervision log kept in <see cref="_logs"/>.</summary>
    private IActorRef Session(Func<SupervisorConfig, SupervisorConfig>? change = null) => Supervise(change, _logs);

    private string ClaimFile(int port) => Path.Combine(Project.Config().WithDefaults().StateRoot, "ports", $"{port}.lock");

    private static ManagedDaemon Reply(TestProbe probe) => probe.FishForMessage<ManagedDaemon>(_ => true, Patience);

    [Fact]
    public async Task A_stop_of_everything_stops_a_dependency_only_once_its_dependents_have_ended()
    {
        var supervisor = Session();
        Start(supervisor, Project.Daemon("db"));
        Start(supervisor, Stubborn("web") with { DependsOn = On("db") });
        AwaitReady("web");

        var caller = CreateTestProbe();
        supervisor.Tell(SupervisorCommands.StopAll.Instance, caller);
        // web ignores SIGTERM for its whole grace (2 s): db, which it uses, must not be stopped before web has ended.
        var first = FishForMessage<SupervisorEvents.DaemonStateChanged>(e => e.State == DaemonState.Stopped, Patience);
        Assert.Equal("web", first.Name);
        ExpectState("db", DaemonState.Stopped);
        var report = caller.FishForMessage<SupervisorReplies.StatusReport>(_ => true, Patience);
        Assert.All(report.Daemons.Values, d => Assert.Equal(DaemonState.Stopped, d.State));
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_stop_of_everything_stops_a_dependency_whose_dependent_has_already_ended()
    {
        var supervisor = Session();
        Start(supervisor, Project.Daemon("db"));
        Start(supervisor, Project.Daemon("web") with { DependsOn = On("db") });
        var caller = CreateTestProbe();
        supervisor.Tell(new SupervisorCommands.StopDaemon("web"), caller);
        Assert.Equal(DaemonState.Stopped, Reply(caller).State);

        // web has ended: nothing active needs db any more, so it is stopped at once.
        supervisor.Tell(SupervisorCommands.StopAll.Instance, caller);
        var report = caller.FishForMessage<SupervisorReplies.StatusReport>(_ => true, Patience);
        Assert.Equal(DaemonState.Stopped, report.Daemons["db"].State);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_daemon_stopped_alone_leaves_its_dependents_running_and_with_them_stops_them_first()
    {
        var supervisor = Session();
        var db = Start(supervisor, Project.Daemon("db"));
        Start(supervisor, Project.Daemon("web") with { DependsOn = On("db") });
        Clock.Advance(TimeSpan.FromSeconds(1));
        ExpectState("web", DaemonState.Running);

        var caller = CreateTestProbe();
        supervisor.Tell(new SupervisorCommands.StopDaemon("db"), caller);
        Assert.Equal(DaemonState.Stopped, Reply(caller).State);
        var web = Query(supervisor, "web");
        Assert.Equal(DaemonState.Running, web.State);
        Assert.True(ProcessScan.IsAlive(web.Pid));

        var again = Start(supervisor, Project.Daemon("db"));
        Assert.NotEqual(db.Pid, again.Pid);
        supervisor.Tell(new SupervisorCommands.StopDaemon("db", WithDependents: true), caller);
        // Subscribers hear the dependent is stopping first, then the daemon itself.
        var stopping = FishForMessage<SupervisorEvents.DaemonStateChanged>(e => e.State == DaemonState.Stopping, Patience);
        Assert.Equal("web", stopping.Name);
        ExpectState("db", DaemonState.Stopping);
        var stopped = Reply(caller);
        Assert.Equal("db", stopped.Name);
        Assert.Equal(DaemonState.Stopped, stopped.State);
        Assert.Equal(DaemonState.Stopped, Query(supervisor, "web").State);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_dependency_started_again_is_not_stopped_when_its_dependent_later_ends()
    {
        var supervisor = Session();
        Start(supervisor, Project.Daemon("db"));
        Start(supervisor, Project.Daemon("web") with { DependsOn = On("db") });
        var caller = CreateTestProbe();
        supervisor.Tell(new SupervisorCommands.StopDaemon("db"), caller);
        Assert.Equal(DaemonState.Stopped, Reply(caller).State);
        var db = Start(supervisor, Project.Daemon("db"));

        supervisor.Tell(new SupervisorCommands.StopDaemon("web"), caller);
        Assert.Equal(DaemonState.Stopped, Reply(caller).State);
        // Nothing asked db to stop this time: it keeps running.
        var news = ReceiveWhile<SupervisorEvents.DaemonStateChanged>(TimeSpan.FromSeconds(1),
            m => (m as SupervisorEvents.DaemonStateChanged)!);
        Assert.DoesNotContain(news, e => e.Name == "db");
        var now = Query(supervisor, "db");
        Assert.Equal(db.Pid, now.Pid);
        Assert.Equal(DaemonState.Starting, now.State);
        Assert.True(ProcessScan.IsAlive(db.Pid));
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Every_stop_caller_is_answered_once_and_never_again_at_a_later_stop()
    {
        var supervisor = Session();
        var nothing = CreateTestProbe();
        supervisor.Tell(SupervisorCommands.StopAll.Instance, nothing);
        Assert.Empty(nothing.FishForMessage<SupervisorReplies.StatusReport>(_ => true, Patience).Daemons);

        Start(supervisor, Project.Daemon("d"));
        var first = CreateTestProbe();
        supervisor.Tell(new SupervisorCommands.StopDaemon("d"), first);
        Assert.Equal(DaemonState.Stopped, Reply(first).State);
        var already = CreateTestProbe();
        supervisor.Tell(new SupervisorCommands.StopDaemon("d"), already);
        Assert.Equal(DaemonState.Stopped, Reply(already).State);

        Start(supervisor, Project.Daemon("d"));
        var all = CreateTestProbe();
        supervisor.Tell(SupervisorCommands.StopAll.Instance, all);
        Assert.Equal(DaemonState.Stopped, all.FishForMessage<SupervisorReplies.StatusReport>(_ => true, Patience).Daemons["d"].State);

        Start(supervisor, Project.Daemon("d"));
        var last = CreateTestProbe();
        supervisor.Tell(new SupervisorCommands.StopDaemon("d"), last);
        Assert.Equal(DaemonState.Stopped, Reply(last).State);
        foreach (var probe in new[] { nothing, first, already, all }) probe.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_stop_or_a_removal_wins_over_a_restart_still_to_begin_and_its_caller_hears_so()
    {
        var supervisor = Session();
        Start(supervisor, Stubborn("a"));
        Start(supervisor, Stubborn("b"));
        AwaitReady("a");
        AwaitReady("b");

        // Each restart waits for its old process, which ignores SIGTERM for the grace; the stop or removal comes first.
        var restartA = CreateTestProbe();
        var stopA = CreateTestProbe();
        supervisor.Tell(new SupervisorCommands.RestartDaemon("a"), restartA);
        supervisor.Tell(new SupervisorCommands.StopDaemon("a"), stopA);
        var restartB = CreateTestProbe();
        var removeB = CreateTestProbe();
        supervisor.Tell(new SupervisorCommands.RestartDaemon("b"), restartB);
        supervisor.Tell(new SupervisorCommands.RemoveDaemon("b"), removeB);

        Assert.Contains("'a' was stopped before it could start again", restartA.FishForMessage<Status.Failure>(_ => true, Patience).Cause.Message);
        Assert.Contains("'b' was stopped before it could start again", restartB.FishForMessage<Status.Failure>(_ => true, Patience).Cause.Message);
        Assert.Equal(DaemonState.Stopped, Reply(stopA).State);
        Assert.Equal(DaemonState.Stopped, Reply(removeB).State);
        Assert.Equal(DaemonState.Stopped, Query(supervisor, "a").State);
        supervisor.Tell(new SupervisorQueries.GetDaemon("b"), TestActor);
        FishForMessage<DaemonNotFound>(_ => true, Patience);

        Start(supervisor, Stubborn("c"));
        AwaitReady("c");
        var restartC = CreateTestProbe();
        var all = CreateTestProbe();
        supervisor.Tell(new SupervisorCommands.RestartDaemon("c"), restartC);
        supervisor.Tell(SupervisorCommands.StopAll.Instance, all);
        Assert.Contains("'c' was stopped before it could start again", restartC.FishForMessage<Status.Failure>(_ => true, Patience).Cause.Message);
        Assert.Equal(DaemonState.Stopped, all.FishForMessage<SupervisorReplies.StatusReport>(_ => true, Patience).Daemons["c"].State);
        // None of them starts again afterwards.
        var news = ReceiveWhile<SupervisorEvents.DaemonStateChanged>(TimeSpan.FromMilliseconds(500),
            m => (m as SupervisorEvents.DaemonStateChanged)!);
        Assert.DoesNotContain(news, e => e.State == DaemonState.Starting);
        Assert.Equal(DaemonState.Stopped, Query(supervisor, "c").State);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Stopping_a_daemon_during_its_backoff_wait_ends_it_stopped_and_a_dependent_waiting_for_it_fails_saying_why()
    {
        var supervisor = Session();
        Start(supervisor, Project.Daemon("db", "--exit-after", "0"));
        ExpectState("db", DaemonState.Restarting);
        AwaitBackoffScheduled("db", 1);
        var web = Start(supervisor, Project.Daemon("web") with { DependsOn = On("db", DependencyCondition.Healthy) });
        Assert.Contains("waiting for db (healthy)", web.Reason);

        var caller = CreateTestProbe();
        supervisor.Tell(new SupervisorCommands.StopDaemon("db"), caller);
        ExpectState("db", DaemonState.Stopping);
        ExpectState("db", DaemonState.Stopped);
        Assert.Equal(DaemonState.Stopped, Reply(caller).State);
        var failed = ExpectState("web", DaemonState.Failed);
        Assert.Contains("dependency db stopped before it was healthy", failed.LastFailure!.Reason);
        Assert.Equal(FailureKind.Dependency, failed.LastFailure.Kind);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_stopped_daemon_gives_up_its_lock_and_port_claim_and_so_does_a_session_stopped_without_a_shutdown()
    {
        var supervisor = Session();
        var one = Start(supervisor, Project.HttpDaemon("one"));
        var two = Start(supervisor, Project.HttpDaemon("two"));
        Assert.True(File.Exists(LockFile("one")));
        Assert.True(File.Exists(ClaimFile(one.Port)));

        var caller = CreateTestProbe();
        supervisor.Tell(new SupervisorCommands.StopDaemon("one"), caller);
        Assert.Equal(DaemonState.Stopped, Reply(caller).State);
        Assert.False(File.Exists(LockFile("one")), "the stopped daemon's lock is released");
        Assert.False(File.Exists(ClaimFile(one.Port)), "the stopped daemon's port claim is released");
        Assert.True(File.Exists(LockFile("two")));
        Assert.True(File.Exists(ClaimFile(two.Port)));

        // Stopped outright (no Shutdown): its generations kill their processes, and the session lets go of the rest.
        Watch(supervisor);
        Sys.Stop(supervisor);
        FishForMessage<Terminated>(t => t.ActorRef.Equals(supervisor), Patience);
        Assert.False(File.Exists(LockFile("two")), "the lock is released with the session");
        Assert.False(File.Exists(ClaimFile(two.Port)), "the port claim is released with the session");
        await Project.AssertNothingLeftBehind();
    }
}
