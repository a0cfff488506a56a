using Akka.Actor;
using ActorSupervisor.Actors;
using ActorSupervisor.Daemons;
using ActorSupervisor.Health;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;
using Xunit.Abstractions;

namespace ActorSupervisor.Tests.Actors;

/// <summary>The session as a registry and router: restarts on request, starting again, and faults kept to one daemon.</summary>
public sealed class SessionSupervisorSpecs(ITestOutputHelper output) : VirtualTimeSpecs(output)
{
    [Fact]
    public async Task A_restart_on_request_starts_a_new_process_at_once_on_the_same_port_with_no_failure_counted()
    {
        var supervisor = Supervise();
        var first = Start(supervisor, Project.HttpDaemon("web"));
        AdvanceUntil("web", DaemonState.Running, TimeSpan.FromMilliseconds(100));

        supervisor.Tell(new SupervisorCommands.RestartDaemon("web"), TestActor);
        ExpectState("web", DaemonState.Stopping);
        // No clock advance: a restart on request owes no backoff.
        var second = FishForMessage<ManagedDaemon>(_ => true, Patience);
        Assert.NotEqual(first.Pid, second.Pid);
        Assert.Equal(first.Port, second.Port);
        Assert.Equal(1, second.Restarts);
        Assert.Equal(0, second.ConsecutiveFailures);
        Assert.Null(second.LastFailure);
        Assert.False(ProcessScan.IsAlive(first.Pid));
        var running = AdvanceUntil("web", DaemonState.Running, TimeSpan.FromMilliseconds(100));
        Assert.Equal(second.Pid, running.Pid);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_failed_daemon_is_started_again_by_a_restart_and_a_stopped_one_by_a_start()
    {
        var supervisor = Supervise(c => c with { MaxRestarts = 1 });
        Start(supervisor, Project.Daemon("crashy", "--exit-after", "0"));
        ExpectState("crashy", DaemonState.Restarting);
        AwaitBackoffScheduled("crashy", 1);
        Clock.Advance(TimeSpan.FromSeconds(1));
        var failed = ExpectState("crashy", DaemonState.Failed);
        Assert.Equal(2, failed.ConsecutiveFailures);

        supervisor.Tell(new SupervisorCommands.RestartDaemon("crashy"), TestActor);
        var again = FishForMessage<ManagedDaemon>(_ => true, Patience);
        Assert.True(again.Pid > 0);
        Assert.Equal(2, again.Restarts);
        // A fresh allowance: the first failure after a restart on request is retried, not given up.
        Assert.Equal(1, ExpectState("crashy", DaemonState.Restarting).ConsecutiveFailures);

        var plain = Start(supervisor, Project.Daemon("plain"));
        supervisor.Tell(new SupervisorCommands.StopDaemon("plain"), TestActor);
        FishForMessage<ManagedDaemon>(m => m.State == DaemonState.Stopped, Patience);
        var revived = Start(supervisor, Project.Daemon("plain"));
        Assert.NotEqual(plain.Pid, revived.Pid);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_restart_with_a_changed_spec_runs_the_new_spec_and_a_removed_daemon_is_forgotten()
    {
        var supervisor = Supervise();
        Start(supervisor, Project.Daemon("d"));
        supervisor.Tell(new SupervisorCommands.ResumeDaemon("d"), TestActor);
        Assert.Contains("already", FishForMessage<Status.Failure>(_ => true, Patience).Cause.Message);

        var changed = Project.Daemon("d", "--stdout-lines", "1");
        supervisor.Tell(new SupervisorCommands.RestartDaemon("d", changed), TestActor);
        var restarted = FishForMessage<ManagedDaemon>(_ => true, Patience);
        Assert.Equal(["--stdout-lines", "1"], restarted.Spec.Args);

        supervisor.Tell(new SupervisorCommands.RemoveDaemon("d"), TestActor);
        Assert.Equal(DaemonState.Stopped, FishForMessage<ManagedDaemon>(_ => true, Patience).State);
        supervisor.Tell(new SupervisorQueries.GetDaemon("d"), TestActor);
        FishForMessage<DaemonNotFound>(_ => true, Patience);
        Assert.False(ProcessScan.IsAlive(restarted.Pid));

        // The name is free again, and a stopped daemon resumes with its last spec.
        Start(supervisor, changed);
        supervisor.Tell(new SupervisorCommands.StopDaemon("d"), TestActor);
        FishForMessage<ManagedDaemon>(m => m.State == DaemonState.Stopped, Patience);
        supervisor.Tell(new SupervisorCommands.ResumeDaemon("d"), TestActor);
        var resumed = FishForMessage<ManagedDaemon>(_ => true, Patience);
        Assert.Equal(["--stdout-lines", "1"], resumed.Spec.Args);

        await Shutdown(Sys);
        var log = await File.ReadAllLinesAsync(resumed.LogPath!);
        Assert.Contains(log, l => l.StartsWith("[supervisor] ", StringComparison.Ordinal) && l.Contains($"launched daemon d (pid={resumed.Pid} "));
        Assert.Contains(log, l => l.StartsWith("[supervisor] ", StringComparison.Ordinal) && l.Contains("stopping daemon d"));
        Assert.Contains(log, l => l.Contains($"daemon d (pid={resumed.Pid}) stopped"));
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Trouble_with_one_daemon_fails_that_daemon_alone_and_never_restarts_the_session()
    {
        var supervisor = Supervise();
        var fine = Start(supervisor, Project.Daemon("fine"));
        Clock.Advance(TimeSpan.FromSeconds(1));
        ExpectState("fine", DaemonState.Running);

        // Its PID file cannot be written: a directory stands where the file goes.
        Project.Store.EnsureDirectories();
        var blockedPath = Project.Store.PathFor("blocked", Project.SessionId);
        Directory.CreateDirectory(blockedPath);
        supervisor.Tell(new SupervisorCommands.StartDaemon(Project.Daemon("blocked")), TestActor);
        var blocked = FishForMessage<SupervisorEvents.DaemonStateChanged>(
            e => e.Name == "blocked" && e.State is DaemonState.Restarting or DaemonState.Failed, Patience).Daemon;
        Assert.Contains("PID file", blocked.LastFailure!.Reason);

        // A name Akka cannot use as an actor name must not get as far as one.
        supervisor.Tell(new SupervisorCommands.StartDaemon(Project.Daemon("web\n")), TestActor);
        Assert.NotNull(FishForMessage<Status.Failure>(_ => true, Patience).Cause.Message);

        var now = Query(supervisor, "fine");
        Assert.Equal(DaemonState.Running, now.State);
        Assert.Equal(fine.Pid, now.Pid);
        var session = await Sys.ActorSelection(supervisor.Path).ResolveOne(TimeSpan.FromSeconds(5));
        Assert.Equal(supervisor, session); // the same incarnation of the session actor: never restarted
        await Shutdown(Sys);
        Directory.Delete(blockedPath);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_failed_probe_of_an_earlier_generation_never_fails_the_current_one()
    {
        var supervisor = Supervise(c => c with { FailureThreshold = 1 });
        var web = Start(supervisor, Project.HttpDaemon("web"));
        AdvanceUntil("web", DaemonState.Running, TimeSpan.FromMilliseconds(100));
        var generation = await Sys.ActorSelection($"/user/{SessionSupervisorActor.ActorName(Project.SessionId)}/web/daemon")
            .ResolveOne(TimeSpan.FromSeconds(5));

        // One failed probe fails a run here, so only the generation filter stands between this and a restart.
        generation.Tell(new DaemonActor.ProbeCompleted(0, ProbeResult.Fail("late news from generation 0")));
        ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        var now = Query(supervisor, "web");
        Assert.Equal(DaemonState.Running, now.State);
        Assert.Equal(web.Pid, now.Pid);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_stop_that_arrives_while_an_ephemeral_daemon_spawns_is_kept_until_its_process_exists()
    {
        var supervisor = Supervise();
        // Hold the spawn thread, so the daemon actor is certainly still spawning when the stop arrives.
        using var gate = new ManualResetEventSlim();
        var held = SpawnThread.Run(() => gate.Wait(TimeSpan.FromSeconds(30)));
        supervisor.Tell(new SupervisorCommands.StartDaemon(Project.Daemon("eph") with { Lifetime = DaemonLifetime.Ephemeral }), TestActor);
        var generation = await AwaitGeneration("eph");
        // Its spawn is queued behind the held one: the daemon actor has its launch and is spawning.
        AwaitCondition(() => SpawnThread.Queued == 1, Patience);
        supervisor.Tell(new SupervisorCommands.StopDaemon("eph"), TestActor);
        ExpectState("eph", DaemonState.Stopping);
        gate.Set();
        await held;

        var stopped = FishForMessage<ManagedDaemon>(m => m.State == DaemonState.Stopped, Patience);
        Assert.Equal(0, stopped.Pid);
        Assert.NotNull(generation);
        await Project.AssertNothingLeftBehind();
    }

    private async Task<IActorRef> AwaitGeneration(string name)
    {
        var path = $"/user/{SessionSupervisorActor.ActorName(Project.SessionId)}/{name}/daemon";
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            try { return await Sys.ActorSelection(path).ResolveOne(TimeSpan.FromSeconds(1)); }
            catch (ActorNotFoundException) when (DateTime.UtcNow < deadline) { }
        }
    }
}
