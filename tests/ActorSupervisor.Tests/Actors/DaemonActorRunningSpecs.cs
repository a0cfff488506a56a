using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Event;
using ActorSupervisor.Actors;
using ActorSupervisor.Daemons;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;
using Xunit.Abstractions;

namespace ActorSupervisor.Tests.Actors;

/// <summary>
/// A daemon once it is up, on virtual time: the health ticks of a daemon checked by a command (each pass is its last
/// health, and each tick checks its log), on_unhealthy = mark (probes go on; one that passes makes it running again),
/// the last healthy time of a watched daemon, and late news that must be dropped quietly.
/// </summary>
public sealed class DaemonActorRunningSpecs(ITestOutputHelper output) : VirtualTimeSpecs(output)
{
    private static readonly TimeSpan HealthInterval = TimeSpan.FromSeconds(5); // VirtualTimeSpecs' own

    private string LogPath(string name) => Project.Store.LogPathFor(name, Project.SessionId);

    /// <summary>The supervisor's own lines in the daemon's log, its rotated copy first.</summary>
    private List<string> Notes(string name) =>
        new[] { LogPath(name) + ".1", LogPath(name) }.Where(File.Exists).SelectMany(File.ReadLines)
            .Where(l => l.StartsWith("[supervisor] ", StringComparison.Ordinal)).ToList();

    private static Regex Note(string text) =>
        new(@"^\[supervisor\] \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z " + Regex.Escape(text) + "$");

    /// <summary>Advances the clock one step at a time until <paramref name="condition"/> holds (for waits on real probes).</summary>
    private void AdvanceUntilTrue(Func<bool> condition, TimeSpan step, string what) =>
        AwaitCondition(() =>
        {
            if (condition()) return true;
            Clock.Advance(step);
            return false;
        }, Patience, TimeSpan.FromMilliseconds(50), what);

    [Fact]
    public async Task A_daemon_marked_unhealthy_by_its_command_keeps_being_probed_and_runs_again_once_a_probe_passes()
    {
        var supervisor = Supervise(c => c with { FailureThreshold = 1 });
        var count = Path.Combine(Project.Dir, "probes");
        var healed = Path.Combine(Project.Dir, "healed");
        int Probes() => int.TryParse(File.Exists(count) ? File.ReadAllText(count).Trim() : "", out var n) ? n : 0;
        // Each run counts itself; the first (at the launch) passes, the later ones only once the test has healed it.
        var spec = Project.Daemon("sick") with
        {
            OnUnhealthy = UnhealthyAction.Mark,
            HealthCmd = ["/bin/sh", "-c", $"n=$(( $(cat '{count}' 2>/dev/null || echo 0) + 1 )); echo $n > '{count}'; [ $n -eq 1 ] || [ -e '{healed}' ]"],
        };
        var started = Start(supervisor, spec);
        var running = ExpectState("sick", DaemonState.Running);

        var unhealthy = AdvanceUntil("sick", DaemonState.Unhealthy, HealthInterval);
        Assert.Equal(started.Pid, unhealthy.Pid);
        Assert.Equal("health check failing: health command '/bin/sh' exited with code 1", unhealthy.Reason);

        // Probes go on while it is unhealthy, each when the last is done: the fourth starts only after the third, a
        // failure, was taken in. That failure did not make it running: nothing says so in its log.
        AdvanceUntilTrue(() => Probes() >= 4, HealthInterval, "a fourth probe, the second while unhealthy");
        Assert.DoesNotContain(Notes("sick"), l => l.Contains("unhealthy -> running"));
        Assert.Equal(DaemonState.Unhealthy, Query(supervisor, "sick").State);

        File.WriteAllText(healed, "");
        var again = AdvanceUntil("sick", DaemonState.Running, HealthInterval);
        Assert.Equal(running.Pid, again.Pid);
        Assert.True(ProcessScan.IsAlive(running.Pid));
        Assert.Equal(0, again.Restarts);

        var notes = Notes("sick");
        Assert.Single(notes, l => Note($"daemon sick (pid={running.Pid}) health check failing: health command '/bin/sh' exited with code 1; marked unhealthy, process kept").IsMatch(l));
        Assert.Single(notes, l => Note($"daemon sick (pid={running.Pid}) health probe passed; unhealthy -> running").IsMatch(l));
        Assert.Single(notes, l => l.Contains("marked unhealthy"));
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task An_unhealthy_daemon_checked_by_a_command_still_has_its_log_rotated_at_each_tick()
    {
        // Unhealthy straight from starting (never healthy within the startup timeout), where no tick rotated the log.
        var supervisor = Supervise(c => c with { StartupTimeout = TimeSpan.FromSeconds(2), LogMaxBytes = 2000, LogKeep = 1 });
        var spec = Project.Daemon("noisy", "--log-every", "20ms") with { OnUnhealthy = UnhealthyAction.Mark, HealthCmd = ["/bin/false"] };
        var started = Start(supervisor, spec);
        var unhealthy = AdvanceUntil("noisy", DaemonState.Unhealthy, TimeSpan.FromMilliseconds(500));
        Assert.Equal(started.Pid, unhealthy.Pid);
        Assert.False(File.Exists(LogPath("noisy") + ".1"));

        AdvanceUntilTrue(() => File.Exists(LogPath("noisy") + ".1"), HealthInterval, "the unhealthy daemon's log rotated");
        Assert.Single(Notes("noisy"), l => Note($"daemon noisy (pid={started.Pid}) health check failing: health command '/bin/false' exited with code 1; marked unhealthy, process kept").IsMatch(l));
        Assert.Equal(DaemonState.Unhealthy, Query(supervisor, "noisy").State);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_running_daemon_checked_by_a_command_is_probed_each_interval_each_pass_is_its_last_health_and_its_log_is_rotated()
    {
        var supervisor = Supervise(c => c with { LogMaxBytes = 2000, LogKeep = 1 });
        Start(supervisor, Project.Daemon("steady", "--log-every", "20ms") with { HealthCmd = ["/bin/true"] });
        var running = ExpectState("steady", DaemonState.Running);
        Assert.NotNull(running.LastHealth);

        AdvanceUntilTrue(() => Query(supervisor, "steady").LastHealth > running.LastHealth, HealthInterval, "a later pass as its last health");
        // A daemon checked by a command has no log timer of its own: its health tick checks the log.
        AdvanceUntilTrue(() => File.Exists(LogPath("steady") + ".1"), HealthInterval, "the running daemon's log rotated");
        Assert.Equal(DaemonState.Running, Query(supervisor, "steady").State);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_watched_daemons_last_health_is_passed_on_at_its_log_check()
    {
        // The prober checks it every 200 ms on its own clock; only the log check (every 10 s here) tells the session.
        var supervisor = Supervise(c => c with { HealthInterval = TimeSpan.FromMilliseconds(200) });
        Start(supervisor, Project.HttpDaemon("web"));
        var running = ExpectState("web", DaemonState.Running);
        Assert.NotNull(running.LastHealth);

        AdvanceUntilTrue(() => Query(supervisor, "web").LastHealth > running.LastHealth, TimeSpan.FromSeconds(10), "a later healthy probe passed on");
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }
}
