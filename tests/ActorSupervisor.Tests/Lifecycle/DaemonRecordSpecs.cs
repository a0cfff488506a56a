using ActorSupervisor.Actors;
using ActorSupervisor.Daemons;
using ActorSupervisor.Lifecycle;
using ActorSupervisor.PidFiles;

namespace ActorSupervisor.Tests.Lifecycle;

/// <summary>The bookkeeping of one daemon, as a pure value: no actors, no processes, no clock.</summary>
public sealed class DaemonRecordSpecs
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private static readonly DaemonSpec Spec = new() { Name = "web", Command = "/bin/web", PortFlag = "--port" };
    private static readonly FailureRecord Crash = new() { Reason = "exited unexpectedly", Signal = 9 };

    private static DaemonRecord Launched(DaemonRecord record, int pid, int port = 8080)
    {
        var (next, plan) = record.NextGeneration();
        return next.WithPort(port).Apply(new DaemonProtocol.Launched("web", plan.Generation, pid, port, T0, "/log", false));
    }

    [Fact]
    public void A_new_daemon_is_starting_without_a_process_or_a_generation()
    {
        var record = DaemonRecord.New(Spec, "s1");
        Assert.Equal(DaemonState.Starting, record.State);
        Assert.Equal(0, record.Snapshot.Pid);
        Assert.Equal(0, record.Generation);
        Assert.Equal("s1", record.Snapshot.OwnerId);
        Assert.False(record.IsFinal);
    }

    [Fact]
    public void The_first_generation_is_not_a_restart_and_adopts_what_an_earlier_supervisor_left()
    {
        var leftover = new PidFileInfo { Pid = 4242, Port = 9000, OwnerId = "s1", ProcessStartTime = 77 };
        var (next, plan) = DaemonRecord.New(Spec, "s1", leftover).NextGeneration();
        Assert.Equal(1, plan.Generation);
        Assert.False(plan.IsRestart);
        Assert.Same(leftover, plan.Adopt);
        Assert.Equal(0, next.Snapshot.Restarts);
        Assert.Null(next.Adoptable); // adopted once, never again

        var (_, second) = next.NextGeneration();
        Assert.Null(second.Adopt);
    }

    [Fact]
    public void A_launch_makes_it_starting_with_its_pid_port_and_start_time()
    {
        var record = Launched(DaemonRecord.New(Spec, "s1"), pid: 100, port: 8081);
        Assert.Equal(DaemonState.Starting, record.State);
        Assert.Equal(100, record.Snapshot.Pid);
        Assert.Equal(8081, record.Snapshot.Port);
        Assert.Equal(T0, record.Snapshot.StartedAt);
        Assert.True(record.EverLaunched);
    }

    [Fact]
    public void Every_generation_after_a_launch_is_a_restart_that_keeps_the_port_and_counts_for_display()
    {
        var record = Launched(DaemonRecord.New(Spec, "s1"), pid: 100, port: 8081)
            .Apply(new DaemonProtocol.RunFailed("web", 1, Crash, 1, RunVerdict.Restart));
        var (next, plan) = record.NextGeneration();
        Assert.True(plan.IsRestart);
        Assert.Equal(8081, plan.PreferredPort);
        Assert.Equal(2, plan.Generation);
        Assert.Equal(1, next.Snapshot.Restarts);
    }

    [Fact]
    public void Healthy_news_makes_it_running_and_records_when()
    {
        var running = Launched(DaemonRecord.New(Spec, "s1"), 100).Apply(new DaemonProtocol.BecameRunning("web", 1, T0));
        Assert.Equal(DaemonState.Running, running.State);
        Assert.Equal(T0, running.Snapshot.LastHealth);

        var later = running.Apply(new DaemonProtocol.HealthOk("web", 1, T0.AddSeconds(5)));
        Assert.Equal(DaemonState.Running, later.State);
        Assert.Equal(T0.AddSeconds(5), later.Snapshot.LastHealth);
    }

    [Fact]
    public void A_failed_run_to_be_retried_is_restarting_without_a_process_and_carries_the_failure()
    {
        var record = Launched(DaemonRecord.New(Spec, "s1"), 100)
            .Apply(new DaemonProtocol.RunFailed("web", 1, Crash, 3, RunVerdict.Restart));
        Assert.Equal(DaemonState.Restarting, record.State);
        Assert.Equal(0, record.Snapshot.Pid);
        Assert.Equal(3, record.Snapshot.ConsecutiveFailures);
        Assert.Same(Crash, record.Snapshot.LastFailure);
        Assert.False(record.IsFinal);
    }

    [Fact]
    public void A_run_given_up_is_stopping_while_its_group_is_killed_then_failed()
    {
        var record = Launched(DaemonRecord.New(Spec, "s1"), 100)
            .Apply(new DaemonProtocol.RunFailed("web", 1, Crash, 6, RunVerdict.GiveUp));
        Assert.Equal(DaemonState.Stopping, record.State);
        Assert.Equal(100, record.Snapshot.Pid);

        var failed = record.Apply(new DaemonProtocol.Ended("web", 1, DaemonState.Failed));
        Assert.Equal(DaemonState.Failed, failed.State);
        Assert.Equal(0, failed.Snapshot.Pid);
        Assert.True(failed.IsFinal);
    }

    [Fact]
    public void A_launch_that_is_given_up_before_any_process_is_failed_without_passing_through_stopping()
    {
        var (next, _) = DaemonRecord.New(Spec, "s1").NextGeneration();
        var gaveUp = next.Apply(new DaemonProtocol.RunFailed("web", 1, Crash, 1, RunVerdict.GiveUp));
        Assert.Equal(DaemonState.Starting, gaveUp.State);
        Assert.Equal(DaemonState.Failed, gaveUp.Apply(new DaemonProtocol.Ended("web", 1, DaemonState.Failed)).State);
    }

    [Fact]
    public void A_stable_run_ends_the_run_of_failures()
    {
        var record = Launched(DaemonRecord.New(Spec, "s1"), 100)
            .Apply(new DaemonProtocol.RunFailed("web", 1, Crash, 2, RunVerdict.Restart));
        var again = Launched(record, 101).Apply(new DaemonProtocol.StableRun("web", 2));
        Assert.Equal(0, again.Snapshot.ConsecutiveFailures);
        Assert.Equal(1, again.Snapshot.Restarts); // the display count is never reset
    }

    [Fact]
    public void Once_a_stop_is_asked_for_whatever_ends_the_generation_ends_the_daemon_stopped()
    {
        var stopping = Launched(DaemonRecord.New(Spec, "s1"), 100).RequestStop();
        Assert.Equal(DaemonState.Stopping, stopping.State);
        Assert.True(stopping.StopRequested);
        Assert.Equal(DaemonState.Stopping, stopping.Apply(new DaemonProtocol.BecameRunning("web", 1, T0)).State);
        Assert.Equal(DaemonState.Stopping,
            stopping.Apply(new DaemonProtocol.RunFailed("web", 1, Crash, 1, RunVerdict.Restart)).State);
        Assert.Equal(DaemonState.Stopped, stopping.Apply(new DaemonProtocol.Ended("web", 1, DaemonState.Failed)).State);
        Assert.Equal(DaemonState.Stopped, stopping.SupervisorGone().State);
    }

    [Fact]
    public void A_final_daemon_ignores_stops_and_news()
    {
        var failed = Launched(DaemonRecord.New(Spec, "s1"), 100)
            .Apply(new DaemonProtocol.RunFailed("web", 1, Crash, 6, RunVerdict.GiveUp))
            .Apply(new DaemonProtocol.Ended("web", 1, DaemonState.Failed));
        Assert.Same(failed, failed.RequestStop());
        Assert.Same(failed, failed.SupervisorGone());
        Assert.False(failed.IsCurrent(new DaemonProtocol.HealthOk("web", 1, T0)));
    }

    [Fact]
    public void News_of_any_generation_but_the_current_one_is_late()
    {
        var record = Launched(Launched(DaemonRecord.New(Spec, "s1"), 100)
            .Apply(new DaemonProtocol.RunFailed("web", 1, Crash, 1, RunVerdict.Restart)), 101);
        Assert.False(record.IsCurrent(new DaemonProtocol.RunFailed("web", 1, Crash, 1, RunVerdict.GiveUp)));
        Assert.True(record.IsCurrent(new DaemonProtocol.HealthOk("web", 2, T0)));
        Assert.False(record.IsCurrent(new DaemonProtocol.HealthOk("web", 3, T0)));
    }

    [Fact]
    public void A_BackoffSupervisor_gone_without_a_final_report_is_a_failure_unless_a_stop_was_asked_for()
    {
        var restarting = Launched(DaemonRecord.New(Spec, "s1"), 100)
            .Apply(new DaemonProtocol.RunFailed("web", 1, Crash, 1, RunVerdict.Restart));
        Assert.Equal(DaemonState.Failed, restarting.SupervisorGone().State);
        Assert.Equal(DaemonState.Stopped, restarting.RequestStop().SupervisorGone().State);
    }

    [Fact]
    public void A_daemon_started_again_keeps_its_port_and_counters_and_its_first_generation_is_not_a_failure()
    {
        var stopped = Launched(DaemonRecord.New(Spec, "s1"), 100, port: 8081)
            .RequestStop()
            .Apply(new DaemonProtocol.Ended("web", 1, DaemonState.Stopped));
        var again = stopped.StartedAgain(Spec with { Args = ["--verbose"] });
        Assert.Equal(DaemonState.Starting, again.State);
        Assert.False(again.StopRequested);
        Assert.Equal(1, again.Snapshot.Restarts);
        Assert.Equal(["--verbose"], again.Snapshot.Spec.Args);

        var (next, plan) = again.NextGeneration();
        Assert.False(plan.IsRestart); // a missing binary now is refused at once, not retried
        Assert.Equal(8081, plan.PreferredPort);
        Assert.Equal(2, plan.Generation); // generations keep counting, so the old one's news stays late
        Assert.Equal(1, next.Snapshot.Restarts);
    }

    [Fact]
    public void A_refused_daemon_is_failed_with_the_reason()
    {
        var refused = DaemonRecord.New(Spec, "s1").Refused("owned by another supervisor (pid 7)", T0);
        Assert.Equal(DaemonState.Failed, refused.State);
        Assert.Equal("owned by another supervisor (pid 7)", refused.Snapshot.LastFailure!.Reason);
        Assert.Equal(T0, refused.Snapshot.LastFailure.At);
    }

    [Theory]
    [InlineData(0, 5, false, true, true)]
    [InlineData(4, 5, false, true, true)]
    [InlineData(5, 5, false, true, false)]
    [InlineData(0, 0, false, true, false)]
    [InlineData(0, 5, true, false, false)]
    [InlineData(0, 5, true, true, true)]
    public void A_failed_run_is_retried_until_MaxRestarts_and_a_first_launch_that_cannot_happen_is_not(
        int failuresBefore, int maxRestarts, bool cannotLaunch, bool everLaunched, bool restart) =>
        Assert.Equal(restart ? RunVerdict.Restart : RunVerdict.GiveUp,
            RestartRules.AfterFailure(failuresBefore, maxRestarts, cannotLaunch, everLaunched));
}
