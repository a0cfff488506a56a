using ActorSupervisor.Daemons;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Integration;

/// <summary>
/// Health checks through the facade, in real time, against a test daemon whose HTTP health endpoint misbehaves on
/// cue: refused while it boots, failing now and then, hanging, or gone while the process lives on.
/// </summary>
public sealed class HealthCheckSpecs : RealTimeSpecs
{
    private static int Count(string path, string fragment) =>
        File.Exists(path) ? File.ReadLines(path).Count(l => l.Contains(fragment, StringComparison.Ordinal)) : 0;

    [Fact]
    public async Task A_daemon_with_a_health_check_stays_starting_until_its_first_healthy_probe()
    {
        var supervisor = NewSupervisor();
        using var changes = StateChanges.Of(supervisor);
        var listenAfter = TimeSpan.FromSeconds(1);

        // Probed every 100 ms while starting; every probe before it listens is refused.
        var started = await supervisor.StartAsync(Project.HttpDaemon("slow", "--sleep-before-listen", "1s"));
        var becameRunning = await changes.WaitFor("slow", d => d.State == DaemonState.Running);
        var running = (await supervisor.GetDaemonAsync("slow"))!;

        // It became running when a probe succeeded, which cannot be before the daemon listened.
        Assert.True(becameRunning.LastHealth - started.StartedAt >= listenAfter,
            $"running {(becameRunning.LastHealth - started.StartedAt)?.TotalMilliseconds} ms after launch, before the daemon listened");
        // Until then only starting: the refused probes while starting counted for nothing.
        Assert.All(changes.For("slow").TakeWhile(d => d.State != DaemonState.Running), d => Assert.Equal(DaemonState.Starting, d.State));
        Assert.Equal((started.Pid, 0, null), (running.Pid, running.Restarts, running.LastFailure));
    }

    [Fact]
    public async Task Probe_failures_that_never_come_threshold_in_a_row_never_fail_the_run()
    {
        // Every second probe is answered 503; a healthy answer in between resets the count each time.
        var supervisor = NewSupervisor(c => c with { HealthInterval = TimeSpan.FromMilliseconds(100), FailureThreshold = 3 });
        var started = await supervisor.StartAsync(Project.HttpDaemon("flaky", "--unhealthy-every", "2"));
        await WaitFor(supervisor, "flaky", d => d.State == DaemonState.Running);

        // A probe is sent only once the last result is handled, so by the 6th failed answer (twice the threshold) the
        // supervisor has judged at least five failures, the 3rd of which would end a run counting non-consecutive ones.
        await Until(() => Count(started.LogPath!, "answered 503") >= 6, "fewer than 6 failed probes were answered");

        var now = (await supervisor.GetDaemonAsync("flaky"))!;
        Assert.Equal((DaemonState.Running, started.Pid, 0, 0), (now.State, now.Pid, now.Restarts, now.ConsecutiveFailures));
        Assert.Null(now.LastFailure);
    }

    [Fact]
    public async Task A_running_daemon_whose_probe_times_out_threshold_times_in_a_row_is_restarted_naming_the_timeout()
    {
        var supervisor = NewSupervisor(c => c with { HealthInterval = TimeSpan.FromMilliseconds(100), ProbeTimeout = TimeSpan.FromMilliseconds(300) });
        using var changes = StateChanges.Of(supervisor);
        // Answers two probes (so it runs), then holds every later one open without a byte.
        var first = await supervisor.StartAsync(Project.HttpDaemon("hung", "--hang-health-after", "2"));

        var failed = await changes.WaitFor("hung", d => d.LastFailure is not null);
        Assert.Contains(changes.For("hung"), d => d.State == DaemonState.Running && d.Pid == first.Pid);

        Assert.Equal("health check failed 3 times in a row", failed.LastFailure!.Reason);
        Assert.Contains("timed out after 300 ms", failed.LastFailure.ProbeError);
        await Until(() => !ProcessScan.IsAlive(first.Pid), "the failed run's process is still alive");
        Project.Signals.AssertStoppedGracefully(first.Pid, "the failed run"); // a live but unhealthy run is stopped, not killed
        await changes.WaitFor("hung", d => d.Restarts >= 1 && d.Pid > 0 && d.Pid != first.Pid);
    }

    [Fact]
    public async Task A_running_daemon_that_stops_listening_is_restarted_naming_the_refused_connection()
    {
        var supervisor = NewSupervisor(c => c with { HealthInterval = TimeSpan.FromMilliseconds(100) });
        using var changes = StateChanges.Of(supervisor);
        // Answers two probes, then closes its listening socket but stays alive.
        var first = await supervisor.StartAsync(Project.HttpDaemon("deaf", "--close-listener-after", "2"));

        var failed = await changes.WaitFor("deaf", d => d.LastFailure is not null);
        Assert.Contains(changes.For("deaf"), d => d.State == DaemonState.Running && d.Pid == first.Pid);

        Assert.Equal("health check failed 3 times in a row", failed.LastFailure!.Reason);
        Assert.Contains("Connection refused", failed.LastFailure.ProbeError);
        Assert.Null(failed.LastFailure.ExitCode); // it did not exit: it was stopped for its health
        await Until(() => !ProcessScan.IsAlive(first.Pid), "the failed run's process is still alive");
        Project.Signals.AssertStoppedGracefully(first.Pid, "the failed run");
        var second = await changes.WaitFor("deaf", d => d.Pid > 0 && d.Pid != first.Pid);
        Assert.Equal(first.Port, second.Port);
    }

    [Fact]
    public async Task A_run_that_is_never_healthy_fails_about_one_startup_timeout_after_its_launch()
    {
        var timeout = TimeSpan.FromSeconds(1);
        var supervisor = NewSupervisor(c => c with { StartupTimeout = timeout, ProbeTimeout = TimeSpan.FromMilliseconds(200) });
        var started = await supervisor.StartAsync(Project.HttpDaemon("mute", "--hang-health"));

        var failed = await WaitFor(supervisor, "mute", d => d.LastFailure is not null);

        Assert.Contains("startup timeout", failed.LastFailure!.Reason);
        Assert.Contains("timed out after 200 ms", failed.LastFailure.ProbeError);
        // Both times are the supervisor's own (launch, and the failure record), so no polling lag is in the figure.
        // The margin is for a 2-core machine busy with other builds: a timer and two actor messages late by up to 1.5 s.
        var took = failed.LastFailure.At - started.StartedAt!.Value;
        Assert.InRange(took, timeout - TimeSpan.FromMilliseconds(20), timeout + TimeSpan.FromSeconds(1.5));
    }
}
