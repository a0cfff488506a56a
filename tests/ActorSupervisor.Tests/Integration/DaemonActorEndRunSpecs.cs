using ActorSupervisor.Daemons;
using ActorSupervisor.Tests.Support;
using Microsoft.Extensions.Logging;

namespace ActorSupervisor.Tests.Integration;

/// <summary>
/// The end of a generation in real time where the state dir fights back: a PID file that can be neither written nor
/// removed is warned about once per generation, never again when the generation's actor stops.
/// </summary>
public sealed class DaemonActorEndRunSpecs : RealTimeSpecs
{
    [Fact]
    public async Task A_PID_file_that_cannot_be_removed_is_warned_about_once_per_generation()
    {
        var sink = new CapturingLoggers();
        var supervisor = Supervisor.New(Project.Config(c => c with { MaxRestarts = 1 }), loggers: sink);
        // A directory where the PID file goes: it can be neither written nor removed.
        var pidPath = Project.Store.PathFor("blocked", Project.SessionId);
        Directory.CreateDirectory(pidPath);
        IReadOnlyList<LogEntry> Warnings() =>
            sink.Entries.Where(e => e.Message.StartsWith("blocked: could not remove its PID file: ", StringComparison.Ordinal)).ToList();

        await Assert.ThrowsAsync<InvalidOperationException>(() => supervisor.StartAsync(Project.Daemon("blocked")));
        var failed = await WaitFor(supervisor, "blocked", d => d.State == DaemonState.Failed);

        Assert.Equal((FailureKind.Supervisor, 2), (failed.LastFailure!.Kind, failed.ConsecutiveFailures));
        Assert.Equal(2, Warnings().Count);
        Assert.All(Warnings(), w =>
        {
            Assert.Equal(LogLevel.Warning, w.Level);
            Assert.Contains(pidPath, w.Message);
            Assert.EndsWith($" (session {Project.SessionId})", w.Message);
        });
        await Until(() => Project.LiveProcesses().Count == 0, "every process spawned is killed");

        await GracefulStop.StopAllAndShutdown(supervisor, []);
        Assert.Equal(2, Warnings().Count); // the final generation's actor stopping removes nothing twice
        Assert.True(Directory.Exists(pidPath));
        Directory.Delete(pidPath);
    }

    [Fact]
    public async Task An_error_while_a_run_without_its_PID_file_ends_is_left_to_its_backoff_supervisor_not_made_a_second_failure()
    {
        var loggers = new FailingLoggers((id, _) => id.Id == 7); // "could not remove its PID file"
        var supervisor = Supervisor.New(Project.Config(c => c with { MaxRestarts = 1 }), loggers: loggers);
        var pidPath = Project.Store.PathFor("blocked", Project.SessionId);
        Directory.CreateDirectory(pidPath);

        var refused = await Record.ExceptionAsync(() => supervisor.StartAsync(Project.Daemon("blocked")));
        var failed = await WaitFor(supervisor, "blocked", d => d.State == DaemonState.Failed);
        await Until(() => Project.LiveProcesses().Count == 0, "every process spawned is killed");

        // Each generation failed once, for its PID file; the error while it ended was left to its backoff supervisor.
        Assert.Contains("cannot write its PID file", refused?.Message);
        Assert.StartsWith("cannot write its PID file: ", failed.LastFailure!.Reason);
        Assert.True(loggers.Thrown >= 1);
        var runsFailed = loggers.Seen.Entries.Where(e => e.Message.StartsWith("blocked: run failed: ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(runsFailed);
        Assert.All(runsFailed, e => Assert.StartsWith("blocked: run failed: cannot write its PID file: ", e.Message));
        await GracefulStop.StopAllAndShutdown(supervisor, []);
        Directory.Delete(pidPath);
    }
}
