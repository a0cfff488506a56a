using Akka.Actor;
using ActorSupervisor.Actors;
using ActorSupervisor.Daemons;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;
using Xunit.Abstractions;

namespace ActorSupervisor.Tests.Actors;

/// <summary>Every state a daemon passes through, on virtual time, with a real test daemon underneath.</summary>
public sealed class DaemonLifecycleSpecs(ITestOutputHelper output) : VirtualTimeSpecs(output)
{
    [Fact]
    public async Task A_daemon_without_a_health_check_runs_once_its_process_has_settled()
    {
        var supervisor = Supervise();
        var started = Start(supervisor, Project.Daemon("plain"));
        Assert.Equal(DaemonState.Starting, started.State);
        Assert.True(started.Pid > 0);
        Assert.Equal(Project.SessionId, started.OwnerId);

        Clock.Advance(TimeSpan.FromMilliseconds(999));
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        var running = ExpectState("plain", DaemonState.Running);
        Assert.Equal(started.Pid, running.Pid);
        Assert.True(File.Exists(Project.Store.PathFor("plain", Project.SessionId)));

        supervisor.Tell(new SupervisorCommands.StopDaemon("plain"), TestActor);
        Assert.Equal(DaemonState.Stopping, ExpectState("plain", DaemonState.Stopping).State);
        var stopped = FishForMessage<ManagedDaemon>(_ => true, Patience);
        Assert.Equal(DaemonState.Stopped, stopped.State);
        Assert.Equal(0, stopped.Pid);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_daemon_with_a_health_check_is_starting_until_its_first_healthy_probe()
    {
        var supervisor = Supervise();
        var started = Start(supervisor, Project.HttpDaemon("web", "--sleep-before-listen", "300ms"));
        Assert.Equal(DaemonState.Starting, started.State);
        Assert.True(started.Port > 0);

        var running = AdvanceUntil("web", DaemonState.Running, TimeSpan.FromMilliseconds(100));
        Assert.NotNull(running.LastHealth);
        Assert.Equal(started.Port, running.Port);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Restarts_back_off_1_2_4_8_16_seconds_then_the_daemon_is_failed_at_MaxRestarts()
    {
        var supervisor = Supervise();
        var spec = Project.Daemon("crashy", "--stdout-lines", "2", "--exit-after", "0", "--exit-code", "7");
        Start(supervisor, spec);
        var delays = new[] { 1, 2, 4, 8, 16 };
        for (var restart = 0; restart < delays.Length; restart++)
        {
            ExpectState("crashy", DaemonState.Restarting);
            AwaitBackoffScheduled("crashy", restart + 1);
            var delay = TimeSpan.FromSeconds(delays[restart]);
            Clock.Advance(delay - TimeSpan.FromMilliseconds(1));
            ExpectNoMsg(TimeSpan.FromMilliseconds(150)); // not a moment early
            Clock.Advance(TimeSpan.FromMilliseconds(1));
            var next = ExpectLaunched("crashy");
            Assert.Equal(restart + 1, next.Restarts);
        }

        var failed = ExpectState("crashy", DaemonState.Failed);
        Assert.Equal(5, failed.Restarts);
        Assert.Equal(6, failed.ConsecutiveFailures);
        Assert.Equal(0, failed.Pid);
        Assert.NotNull(failed.LastFailure);
        Assert.Equal(7, failed.LastFailure.ExitCode);
        Assert.Contains("exited unexpectedly", failed.LastFailure.Reason);
        Assert.Contains(failed.LastFailure.LogTail, l => l.StartsWith("line 2", StringComparison.Ordinal));

        Clock.Advance(TimeSpan.FromMinutes(5));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // never resurrected
        Assert.Equal(DaemonState.Failed, Query(supervisor, "crashy").State);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task The_backoff_is_capped_at_RestartBackoffMax()
    {
        var supervisor = Supervise(c => c with { RestartBackoffMax = TimeSpan.FromSeconds(3), MaxRestarts = 4 });
        Start(supervisor, Project.Daemon("crashy", "--exit-after", "0"));
        foreach (var (seconds, restart) in new[] { 1, 2, 3, 3 }.Select((s, i) => (s, i)))
        {
            ExpectState("crashy", DaemonState.Restarting);
            AwaitBackoffScheduled("crashy", restart + 1);
            Clock.Advance(TimeSpan.FromSeconds(seconds) - TimeSpan.FromMilliseconds(1));
            ExpectNoMsg(TimeSpan.FromMilliseconds(150));
            Clock.Advance(TimeSpan.FromMilliseconds(1));
            ExpectState("crashy", DaemonState.Starting);
        }
        ExpectState("crashy", DaemonState.Failed);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_run_that_stays_healthy_for_the_stable_period_resets_the_failure_count_and_the_backoff()
    {
        var supervisor = Supervise(c => c with { StablePeriod = TimeSpan.FromSeconds(30) });
        var first = Start(supervisor, Project.Daemon("flaky"));
        Clock.Advance(TimeSpan.FromSeconds(1));
        ExpectState("flaky", DaemonState.Running);

        // Two crashes in a row: the backoff grows to 2 s.
        var (_, second) = CrashAndRecover("flaky", first.Pid, restartCount: 1, backoff: TimeSpan.FromSeconds(1));
        var (restarting, third) = CrashAndRecover("flaky", second.Pid, restartCount: 2, backoff: TimeSpan.FromSeconds(2));
        Assert.Equal(2, restarting.ConsecutiveFailures);

        // Stable for 30 s: the count is zero again, and the next crash backs off 1 s, not 4 s.
        Clock.Advance(TimeSpan.FromSeconds(30));
        AwaitAssert(() => Assert.Equal(0, Query(supervisor, "flaky").ConsecutiveFailures), Patience);
        AwaitBackoffScheduled("flaky", 0);
        Native.kill(third.Pid, Native.SIGKILL);
        Assert.Equal(1, ExpectState("flaky", DaemonState.Restarting).ConsecutiveFailures);
        AwaitBackoffScheduled("flaky", 1);
        Clock.Advance(TimeSpan.FromSeconds(1));
        var fourth = ExpectLaunched("flaky");
        Assert.Equal(3, fourth.Restarts); // the display count is never reset
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_stop_during_the_backoff_wait_wins_and_the_daemon_is_never_resurrected()
    {
        var supervisor = Supervise();
        var first = Start(supervisor, Project.Daemon("victim"));
        Native.kill(first.Pid, Native.SIGKILL);
        ExpectState("victim", DaemonState.Restarting);
        AwaitBackoffScheduled("victim", 1);

        supervisor.Tell(new SupervisorCommands.StopDaemon("victim"), TestActor);
        var stopped = FishForMessage<ManagedDaemon>(_ => true, Patience);
        Assert.Equal(DaemonState.Stopped, stopped.State);

        Clock.Advance(TimeSpan.FromMinutes(2));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal(DaemonState.Stopped, Query(supervisor, "victim").State);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Late_news_from_an_earlier_generation_changes_nothing()
    {
        var supervisor = Supervise();
        var first = Start(supervisor, Project.Daemon("d"));
        Clock.Advance(TimeSpan.FromSeconds(1));
        ExpectState("d", DaemonState.Running);
        var (_, second) = CrashAndRecover("d", first.Pid, restartCount: 1, backoff: TimeSpan.FromSeconds(1));

        // The first generation's exit and failure arrive again, late: to the session and to the live incarnation.
        var staleExit = new ProcessExit(first.Pid, null, 9, DateTimeOffset.UtcNow);
        supervisor.Tell(new DaemonProtocol.RunFailed("d", 1, new FailureRecord { Reason = "late" }, 1, ActorSupervisor.Lifecycle.RunVerdict.GiveUp));
        supervisor.Tell(new DaemonProtocol.Ended("d", 1, DaemonState.Failed));
        supervisor.Tell(new DaemonProtocol.Launched("d", 1, first.Pid, 1, DateTimeOffset.UtcNow, "x", false));
        var incarnation = await Sys.ActorSelection($"/user/{SessionSupervisorActor.ActorName(Project.SessionId)}/d/daemon")
            .ResolveOne(TimeSpan.FromSeconds(5));
        incarnation.Tell(new DaemonActor.ProcessExited(1, staleExit));
        incarnation.Tell(new DaemonActor.ProbeCompleted(1, Health.ProbeResult.Fail("late")));

        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        var now = Query(supervisor, "d");
        Assert.Equal(DaemonState.Running, now.State);
        Assert.Equal(second.Pid, now.Pid);
        Assert.True(ProcessScan.IsAlive(second.Pid));
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Queries_are_answered_in_every_state()
    {
        var supervisor = Supervise(c => c with { MaxRestarts = 1, StopGrace = TimeSpan.FromSeconds(30) });
        supervisor.Tell(new SupervisorQueries.GetDaemon("nope"), TestActor);
        Assert.Equal("nope", FishForMessage<DaemonNotFound>(_ => true).Name);

        var ready = Path.Combine(Project.Dir, "d.ready");
        var d = Start(supervisor, Project.Daemon("d", "--ignore-sigterm", "--ready-file", ready));
        Assert.Equal(DaemonState.Starting, Query(supervisor, "d").State);
        Clock.Advance(TimeSpan.FromSeconds(1));
        ExpectState("d", DaemonState.Running);
        Assert.Equal(DaemonState.Running, Query(supervisor, "d").State);

        // Stopping lasts while the daemon ignores SIGTERM (grace 30 s real time), so the query lands mid-stop; the
        // ready file says its SIGTERM handler is in place (before that, SIGTERM would simply end it).
        AwaitCondition(() => File.Exists(ready), Patience);
        supervisor.Tell(new SupervisorCommands.StopDaemon("d"), ActorRefs.Nobody);
        ExpectState("d", DaemonState.Stopping);
        Assert.Equal(DaemonState.Stopping, Query(supervisor, "d").State);
        Native.kill(d.Pid, Native.SIGKILL);
        ExpectState("d", DaemonState.Stopped);
        Assert.Equal(DaemonState.Stopped, Query(supervisor, "d").State);

        Start(supervisor, Project.Daemon("c", "--exit-after", "0"));
        ExpectState("c", DaemonState.Restarting);
        Assert.Equal(DaemonState.Restarting, Query(supervisor, "c").State);
        AwaitBackoffScheduled("c", 1);
        Clock.Advance(TimeSpan.FromSeconds(1));
        ExpectState("c", DaemonState.Failed);
        Assert.Equal(DaemonState.Failed, Query(supervisor, "c").State);

        supervisor.Tell(SupervisorQueries.GetStatus.Instance, TestActor);
        var report = FishForMessage<SupervisorReplies.StatusReport>(_ => true);
        Assert.Equal(["c", "d"], report.Daemons.Keys.Order());
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Starting_an_active_name_is_refused_and_a_stopped_or_failed_one_starts_afresh()
    {
        var supervisor = Supervise();
        var first = Start(supervisor, Project.Daemon("d"));
        supervisor.Tell(new SupervisorCommands.StartDaemon(Project.Daemon("d")), TestActor);
        var refusal = FishForMessage<Status.Failure>(_ => true);
        Assert.Contains("already starting", refusal.Cause.Message);

        supervisor.Tell(new SupervisorCommands.StopDaemon("d"), TestActor);
        FishForMessage<ManagedDaemon>(m => m.State == DaemonState.Stopped);
        var again = Start(supervisor, Project.Daemon("d"));
        Assert.Equal(DaemonState.Starting, again.State);
        Assert.NotEqual(first.Pid, again.Pid);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_bad_spec_or_a_missing_binary_is_refused_and_starts_nothing()
    {
        var supervisor = Supervise();
        supervisor.Tell(new SupervisorCommands.StartDaemon(Project.Daemon("bad name")), TestActor);
        var invalid = FishForMessage<Status.Failure>(_ => true);
        Assert.IsType<InvalidSpecException>(invalid.Cause);
        Assert.Contains("bad name", invalid.Cause.Message);

        supervisor.Tell(new SupervisorCommands.StartDaemon(Project.Daemon("ghost") with { Command = "no-such-binary-xyz" }), TestActor);
        // The event comes first: whoever has the answer has seen the event too.
        ExpectState("ghost", DaemonState.Failed);
        var missing = FishForMessage<Status.Failure>(_ => true);
        Assert.Contains("no-such-binary-xyz", missing.Cause.Message);
        Assert.Empty(Project.PidFiles());
        await Project.AssertNothingLeftBehind();
    }
}
