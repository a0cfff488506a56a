using System.Text.RegularExpressions;
using ActorSupervisor.Daemons;
using ActorSupervisor.Tests.Support;
using Microsoft.Extensions.Logging;

namespace ActorSupervisor.Tests.Integration;

/// <summary>
/// How a run ends, in real time with real processes: an exit 0 that completes a one-shot task, a failure by exit code
/// or by signal, a stop, a daemon that cannot be launched, and a launch that fails as the supervisor's fault but is
/// retried; with what the daemon's log and the supervision log say of each.
/// </summary>
public sealed class DaemonRunExitSpecs : RealTimeSpecs
{
    private List<string> Notes(string name) =>
        File.ReadLines(Project.Store.LogPathFor(name, Project.SessionId))
            .Where(l => l.StartsWith("[supervisor] ", StringComparison.Ordinal)).ToList();

    private static Regex Note(string text) =>
        new(@"^\[supervisor\] \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z " + text + "$");

    [Theory]
    [InlineData(RestartPolicy.OnFailure, "on-failure")]
    [InlineData(RestartPolicy.Never, "never")]
    public async Task An_exit_0_under_a_policy_that_completes_is_noted_with_the_policy_and_is_no_failure(RestartPolicy policy, string word)
    {
        var supervisor = NewSupervisor();
        await supervisor.StartAsync(Project.Daemon("once", "--exit-after", "300ms", "--exit-code", "0") with { Restart = policy });
        var done = await WaitFor(supervisor, "once", d => d.State == DaemonState.Stopped);

        Assert.True(done.Completed);
        Assert.Equal((0, 0, null), (done.Restarts, done.ConsecutiveFailures, done.LastFailure));
        var notes = Notes("once");
        var pid = Regex.Match(notes[0], @"\(pid=(\d+) ").Groups[1].Value;
        Assert.Single(notes, l => Note(Regex.Escape($"daemon once (pid={pid}) exited with code 0; completed (restart: {word})")).IsMatch(l));
        Assert.DoesNotContain(notes, l => l.Contains("run failed"));
    }

    [Fact]
    public async Task A_run_that_ends_with_an_exit_code_fails_as_an_exit_and_one_ended_by_a_signal_as_a_signal()
    {
        var supervisor = NewSupervisor();
        await supervisor.StartAsync(Project.Daemon("exits", "--exit-after", "0", "--exit-code", "3") with { Restart = RestartPolicy.Never });
        await supervisor.StartAsync(Project.Daemon("killed", "--exit-after", "0", "--crash-signal", "KILL") with { Restart = RestartPolicy.Never });
        var exited = await WaitFor(supervisor, "exits", d => d.State == DaemonState.Failed);
        var killed = await WaitFor(supervisor, "killed", d => d.State == DaemonState.Failed);

        Assert.Equal((FailureKind.Exit, 3, null), (exited.LastFailure!.Kind, exited.LastFailure.ExitCode, exited.LastFailure.Signal));
        Assert.Equal((FailureKind.Signal, 9), (killed.LastFailure!.Kind, killed.LastFailure.Signal));
    }

    [Fact]
    public async Task A_stop_is_noted_with_the_signal_by_name_and_the_grace_before_SIGKILL()
    {
        var supervisor = NewSupervisor();
        await supervisor.StartAsync(Project.Daemon("calm"));
        var running = await WaitFor(supervisor, "calm", d => d.State == DaemonState.Running);
        await Project.Signals.WaitFor(running.Pid, "start"); // its handlers are in place
        await supervisor.StopAsync("calm");

        Assert.Single(Notes("calm"), l => Note(Regex.Escape($"stopping daemon calm (pid={running.Pid}): SIGTERM, then SIGKILL after 10s")).IsMatch(l));
    }

    [Fact]
    public async Task A_daemon_that_cannot_be_launched_is_an_error_in_the_supervision_log()
    {
        var sink = new CapturingLoggers();
        var supervisor = Supervisor.New(Project.Config(), loggers: sink);
        var missing = Path.Combine(Project.Dir, "no-such-command");

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => supervisor.StartAsync(Project.Daemon("ghost") with { Command = missing }));
        await GracefulStop.StopAllAndShutdown(supervisor, []);

        var entry = Assert.Single(sink.Entries, e => e.Message.StartsWith("ghost: cannot launch: ", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Contains(missing, entry.Message);
        Assert.EndsWith($" (session {Project.SessionId}, generation 1)", entry.Message);
        Assert.Contains(missing, refused.Message);
    }

    [Fact]
    public async Task A_launch_that_fails_as_the_supervisors_fault_is_retried_up_to_MaxRestarts()
    {
        var supervisor = NewSupervisor(c => c with { MaxRestarts = 2 });
        var states = new List<DaemonState>();
        using var subscription = supervisor.Subscribe(e =>
        {
            if (e.Name == "unrecorded") lock (states) states.Add(e.State);
        });
        // A directory where the PID file goes: no launch can record its process, and each is retried as a failed run.
        var pidPath = Project.Store.PathFor("unrecorded", Project.SessionId);
        Directory.CreateDirectory(pidPath);

        await Assert.ThrowsAsync<InvalidOperationException>(() => supervisor.StartAsync(Project.Daemon("unrecorded")));
        var failed = await WaitFor(supervisor, "unrecorded", d => d.State == DaemonState.Failed);

        Assert.Equal((FailureKind.Supervisor, 3), (failed.LastFailure!.Kind, failed.ConsecutiveFailures));
        lock (states) Assert.Contains(DaemonState.Restarting, states);
        await Until(() => Project.LiveProcesses().Count == 0, "every process spawned is killed");
        Directory.Delete(pidPath);
    }
}
