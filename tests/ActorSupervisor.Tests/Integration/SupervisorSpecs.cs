using System.Diagnostics;
using System.Net.Http;
using ActorSupervisor.Daemons;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Integration;

/// <summary>The Supervisor facade in real time, with real daemons, real ports and real HTTP.</summary>
public sealed class SupervisorSpecs(Xunit.Abstractions.ITestOutputHelper output) : RealTimeSpecs
{
    [Fact]
    public async Task A_crashed_daemon_comes_back_with_a_new_pid_on_the_same_port()
    {
        var supervisor = NewSupervisor();
        await supervisor.StartAsync(Project.HttpDaemon("web"));
        var before = await WaitFor(supervisor, "web", d => d.State == DaemonState.Running);

        Native.kill(before.Pid, Native.SIGKILL);
        var after = await WaitFor(supervisor, "web", d => d.State == DaemonState.Running && d.Pid != before.Pid);

        Assert.Equal(before.Port, after.Port);
        Assert.Equal(1, after.Restarts);
        using var http = new HttpClient();
        Assert.Equal("ok", await http.GetStringAsync($"http://127.0.0.1:{after.Port}/health"));
        Assert.Equal(9, after.LastFailure!.Signal);
        Assert.Null(after.LastFailure.ProbeError); // it was healthy: start-up probe errors are not part of this story
        var pidFile = Project.Store.Read("web", Project.SessionId)!;
        Assert.Equal(after.Pid, pidFile.Pid);
        Assert.Equal(after.Port, pidFile.Port);
    }

    [Fact]
    public async Task A_daemon_whose_health_turns_bad_is_restarted()
    {
        var supervisor = NewSupervisor();
        await supervisor.StartAsync(Project.HttpDaemon("sick", "--unhealthy-after", "1s"));
        var first = await WaitFor(supervisor, "sick", d => d.State == DaemonState.Running);
        var second = await WaitFor(supervisor, "sick", d => d.Restarts >= 1 && d.Pid > 0 && d.Pid != first.Pid);
        var record = (await supervisor.GetDaemonAsync("sick"))!.LastFailure!;
        Assert.Contains("health check failed 3 times", record.Reason);
        Assert.Contains("503", record.ProbeError);
        Assert.False(ProcessScan.IsAlive(first.Pid));
        Project.Signals.AssertStoppedGracefully(first.Pid, "the unhealthy run");
        Assert.NotEqual(first.Pid, second.Pid);
    }

    [Fact]
    public async Task A_daemon_that_ignores_SIGTERM_is_killed_after_the_grace_period()
    {
        var supervisor = NewSupervisor(c => c with { StopGrace = TimeSpan.FromMilliseconds(700) });
        KillExpected.Add("stubborn");
        await supervisor.StartAsync(Project.Daemon("stubborn", "--ignore-sigterm", "--spawn-grandchildren", "2"));
        var running = await WaitFor(supervisor, "stubborn", d => d.State == DaemonState.Running);
        await Project.Signals.WaitForStart(running.Pid); // its handler ignores SIGTERM from here on

        var clock = Stopwatch.StartNew();
        var stopped = await supervisor.StopAsync("stubborn");

        Assert.Equal(DaemonState.Stopped, stopped.State);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(650), $"stopped after {clock.ElapsedMilliseconds} ms, before the grace period ran out");
        Assert.False(ProcessScan.IsAlive(running.Pid));
        Assert.Equal(["start", "SIGTERM"], Project.Signals.EventsOf(running.Pid)); // asked first, then killed
        Assert.Empty(Project.LiveProcesses());
    }

    [Fact]
    public async Task Shutdown_stops_fifty_daemons_in_parallel_within_about_one_grace_period()
    {
        var grace = TimeSpan.FromSeconds(1);
        var supervisor = NewSupervisor(c => c with { StopGrace = grace });
        // Every one ignores SIGTERM, so each stop takes the whole grace period: serial would be 50 s.
        var starts = Enumerable.Range(0, 50).Select(i => supervisor.StartAsync(Project.HttpDaemon($"d{i:00}", "--ignore-sigterm")));
        await Task.WhenAll(starts);
        // Running means listening, so each one's signal handlers are in place: each stop must wait out the grace.
        for (var i = 0; i < 50; i++) await WaitFor(supervisor, $"d{i:00}", d => d.State == DaemonState.Running, seconds: 60);
        var status = await supervisor.StatusAsync();
        Assert.Equal(50, status.Values.Select(d => d.Port).Distinct().Count());
        foreach (var d in status.Values) Project.RememberPort(d.Port);

        var clock = Stopwatch.StartNew();
        await supervisor.ShutdownAsync();
        clock.Stop();

        Assert.Empty(Project.LiveProcesses());
        output.WriteLine($"shutdown of 50 daemons that ignore SIGTERM, grace {grace.TotalMilliseconds} ms: {clock.ElapsedMilliseconds} ms");
        // Each one was asked with SIGTERM, waited for, and killed: the grace period was really spent, in parallel.
        foreach (var d in status.Values) Assert.Equal(["start", "SIGTERM"], Project.Signals.EventsOf(d.Pid));
        Assert.True(clock.Elapsed >= grace, $"50 daemons stopped in {clock.ElapsedMilliseconds} ms, before their grace period");
        // About one grace period: the grace itself, then the SIGKILLs, reaping, and 50 actors' messages, which take
        // ~0.1-0.3 s on an idle 2-core machine. The margin of 1.5 s is for the same machine shared with other builds;
        // anything serial in the stop (even 50 ms per daemon) would need at least 2.5 s more.
        Assert.True(clock.Elapsed < grace + TimeSpan.FromSeconds(1.5), $"50 daemons took {clock.ElapsedMilliseconds} ms to stop");
        await Assert.ThrowsAsync<InvalidOperationException>(() => supervisor.StartAsync(Project.Daemon("late")));
    }

    [Fact]
    public async Task A_health_command_runs_in_the_daemons_work_dir_with_its_environment_and_exit_0_is_healthy()
    {
        var supervisor = NewSupervisor();
        var workDir = Directory.CreateDirectory(Path.Combine(Project.Dir, "work")).FullName;
        // Relative path: resolved in the daemon's work dir. printenv exits 0 only if the variable is set.
        await supervisor.StartAsync(Project.Daemon("gated") with { WorkDir = workDir, HealthCmd = ["/usr/bin/test", "-f", "healthy"] });
        await supervisor.StartAsync(Project.Daemon("env") with { NeedsPort = true, Env = [.. Project.Daemon("x").Env, "GREETING=hi"], HealthCmd = ["/usr/bin/printenv", "GREETING", "PORT"] });

        var env = await WaitFor(supervisor, "env", d => d.State == DaemonState.Running);
        Assert.NotNull(env.LastHealth);
        Assert.Equal(DaemonState.Starting, (await supervisor.GetDaemonAsync("gated"))!.State);

        await File.WriteAllTextAsync(Path.Combine(workDir, "healthy"), "");
        var gated = await WaitFor(supervisor, "gated", d => d.State == DaemonState.Running);

        File.Delete(Path.Combine(workDir, "healthy"));
        var failed = await WaitFor(supervisor, "gated", d => d.Restarts >= 1);
        Assert.Contains("health check failed 3 times", failed.LastFailure!.Reason);
        Assert.Contains("exited with code 1", failed.LastFailure.ProbeError);
        Assert.NotEqual(gated.Pid, failed.Pid);
    }

    [Fact]
    public async Task Status_returns_deep_copies_the_caller_may_change()
    {
        var supervisor = NewSupervisor();
        await supervisor.StartAsync(Project.Daemon("d", "--stdout-lines", "1"));
        var status = await supervisor.StatusAsync();
        ((string[])status["d"].Spec.Args)[0] = "--tampered";
        var (again, found) = supervisor.GetDaemon("d");
        Assert.True(found);
        Assert.Equal("--stdout-lines", again!.Spec.Args[0]);
        Assert.False(supervisor.GetDaemon("nope").Found);
        Assert.Single(supervisor.Status());
    }

    [Fact]
    public async Task A_bad_config_or_spec_is_refused_before_anything_is_created()
    {
        var supervisor = NewSupervisor();
        var e = Assert.Throws<InvalidSpecException>(() => Supervisor.New(new SupervisorConfig { SessionId = "x y", ProjectDir = Project.Dir }));
        Assert.Contains("SessionId", e.Message);
        Assert.Contains("x y", e.Message);
        var bad = await Assert.ThrowsAsync<InvalidSpecException>(() => supervisor.StartAsync(Project.Daemon("d") with { DefaultPort = -1 }));
        Assert.Contains("default_port", bad.Message);
        Assert.Empty(await supervisor.StatusAsync());
        Assert.False(Directory.Exists(Path.Combine(Project.Dir, ".ntm")));
    }
}
