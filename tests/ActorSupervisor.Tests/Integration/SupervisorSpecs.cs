using System.Diagnostics;
using System.Net.Http;
using ActorSupervisor.Daemons;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Integration;

/// <summary>The Supervisor facade in real time, with real daemons, real ports and real HTTP.</summary>
public sealed class SupervisorSpecs(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestProject _project = new();
    private Supervisor _supervisor = null!;

    public Task InitializeAsync()
    {
        _supervisor = Supervisor.New(_project.Config());
        return Task.CompletedTask;
    }

    private async Task<ManagedDaemon> WaitFor(string name, Func<ManagedDaemon, bool> condition, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var d = await _supervisor.GetDaemonAsync(name);
            if (d is not null && condition(d))
            {
                _project.RememberPort(d.Port);
                return d;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{name}: condition not met; last seen {d?.State.ToWord()} pid {d?.Pid}");
            await Task.Delay(25);
        }
    }

    [Fact]
    public async Task A_crashed_daemon_comes_back_with_a_new_pid_on_the_same_port()
    {
        await _supervisor.StartAsync(_project.HttpDaemon("web"));
        var before = await WaitFor("web", d => d.State == DaemonState.Running);

        Native.kill(before.Pid, Native.SIGKILL);
        var after = await WaitFor("web", d => d.State == DaemonState.Running && d.Pid != before.Pid);

        Assert.Equal(before.Port, after.Port);
        Assert.Equal(1, after.Restarts);
        using var http = new HttpClient();
        Assert.Equal("ok", await http.GetStringAsync($"http://127.0.0.1:{after.Port}/health"));
        Assert.Equal(9, after.LastFailure!.Signal);
        Assert.Null(after.LastFailure.ProbeError); // it was healthy: start-up probe errors are not part of this story
        var pidFile = _project.Store.Read("web", _project.SessionId)!;
        Assert.Equal(after.Pid, pidFile.Pid);
        Assert.Equal(after.Port, pidFile.Port);
    }

    [Fact]
    public async Task A_daemon_whose_health_turns_bad_is_restarted()
    {
        await _supervisor.StartAsync(_project.HttpDaemon("sick", "--unhealthy-after", "1s"));
        var first = await WaitFor("sick", d => d.State == DaemonState.Running);
        var second = await WaitFor("sick", d => d.Restarts >= 1 && d.Pid > 0 && d.Pid != first.Pid);
        var record = (await _supervisor.GetDaemonAsync("sick"))!.LastFailure!;
        Assert.Contains("health check failed 3 times", record.Reason);
        Assert.Contains("503", record.ProbeError);
        Assert.False(ProcessScan.IsAlive(first.Pid));
        Assert.NotEqual(first.Pid, second.Pid);
    }

    [Fact]
    public async Task A_daemon_that_never_becomes_healthy_fails_its_run_at_the_startup_timeout()
    {
        await _supervisor.ShutdownAsync();
        _supervisor = Supervisor.New(_project.Config(c => c with { StartupTimeout = TimeSpan.FromSeconds(2), ProbeTimeout = TimeSpan.FromMilliseconds(300) }));
        await _supervisor.StartAsync(_project.HttpDaemon("mute", "--hang-health"));
        var restarted = await WaitFor("mute", d => d.Restarts >= 1);
        Assert.Contains("startup timeout", restarted.LastFailure!.Reason);
        Assert.Contains("timed out", restarted.LastFailure.ProbeError);
    }

    [Fact]
    public async Task A_daemon_that_ignores_SIGTERM_is_killed_after_the_grace_period()
    {
        await _supervisor.ShutdownAsync();
        _supervisor = Supervisor.New(_project.Config(c => c with { StopGrace = TimeSpan.FromMilliseconds(700) }));
        await _supervisor.StartAsync(_project.Daemon("stubborn", "--ignore-sigterm", "--spawn-grandchildren", "2"));
        var running = await WaitFor("stubborn", d => d.State == DaemonState.Running);

        var clock = Stopwatch.StartNew();
        var stopped = await _supervisor.StopAsync("stubborn");

        Assert.Equal(DaemonState.Stopped, stopped.State);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(650), $"stopped after {clock.ElapsedMilliseconds} ms, before the grace period ran out");
        Assert.False(ProcessScan.IsAlive(running.Pid));
        Assert.Empty(_project.LiveProcesses());
    }

    [Fact]
    public async Task Shutdown_stops_fifty_daemons_in_parallel_within_about_one_grace_period()
    {
        await _supervisor.ShutdownAsync();
        var grace = TimeSpan.FromSeconds(1);
        _supervisor = Supervisor.New(_project.Config(c => c with { StopGrace = grace }));
        // Every one ignores SIGTERM, so each stop takes the whole grace period: serial would be 50 s.
        var starts = Enumerable.Range(0, 50).Select(i => _supervisor.StartAsync(_project.HttpDaemon($"d{i:00}", "--ignore-sigterm")));
        await Task.WhenAll(starts);
        var status = await _supervisor.StatusAsync();
        Assert.Equal(50, status.Values.Select(d => d.Port).Distinct().Count());
        foreach (var d in status.Values) _project.RememberPort(d.Port);

        var clock = Stopwatch.StartNew();
        await _supervisor.ShutdownAsync();
        clock.Stop();

        Assert.Empty(_project.LiveProcesses());
        output.WriteLine($"shutdown of 50 daemons that ignore SIGTERM, grace {grace.TotalMilliseconds} ms: {clock.ElapsedMilliseconds} ms");
        // Parallel means about one grace period; the bound is loose (a slow CI machine), but far below serial.
        Assert.True(clock.Elapsed < grace * 10, $"50 daemons took {clock.ElapsedMilliseconds} ms to stop");
        await Assert.ThrowsAsync<InvalidOperationException>(() => _supervisor.StartAsync(_project.Daemon("late")));
    }

    [Fact]
    public async Task A_health_command_runs_in_the_daemons_work_dir_with_its_environment_and_exit_0_is_healthy()
    {
        var workDir = Directory.CreateDirectory(Path.Combine(_project.Dir, "work")).FullName;
        // Relative path: resolved in the daemon's work dir. printenv exits 0 only if the variable is set.
        await _supervisor.StartAsync(_project.Daemon("gated") with { WorkDir = workDir, HealthCmd = ["/usr/bin/test", "-f", "healthy"] });
        await _supervisor.StartAsync(_project.Daemon("env") with { NeedsPort = true, Env = [.. _project.Daemon("x").Env, "GREETING=hi"], HealthCmd = ["/usr/bin/printenv", "GREETING", "PORT"] });

        var env = await WaitFor("env", d => d.State == DaemonState.Running);
        Assert.NotNull(env.LastHealth);
        Assert.Equal(DaemonState.Starting, (await _supervisor.GetDaemonAsync("gated"))!.State);

        await File.WriteAllTextAsync(Path.Combine(workDir, "healthy"), "");
        var gated = await WaitFor("gated", d => d.State == DaemonState.Running);

        File.Delete(Path.Combine(workDir, "healthy"));
        var failed = await WaitFor("gated", d => d.Restarts >= 1);
        Assert.Contains("health check failed 3 times", failed.LastFailure!.Reason);
        Assert.Contains("exited with code 1", failed.LastFailure.ProbeError);
        Assert.NotEqual(gated.Pid, failed.Pid);
    }

    [Fact]
    public async Task Status_returns_deep_copies_the_caller_may_change()
    {
        await _supervisor.StartAsync(_project.Daemon("d", "--stdout-lines", "1"));
        var status = await _supervisor.StatusAsync();
        ((string[])status["d"].Spec.Args)[0] = "--tampered";
        var (again, found) = _supervisor.GetDaemon("d");
        Assert.True(found);
        Assert.Equal("--stdout-lines", again!.Spec.Args[0]);
        Assert.False(_supervisor.GetDaemon("nope").Found);
        Assert.Single(_supervisor.Status());
    }

    [Fact]
    public async Task A_bad_config_or_spec_is_refused_before_anything_is_created()
    {
        var e = Assert.Throws<InvalidSpecException>(() => Supervisor.New(new SupervisorConfig { SessionId = "x y", ProjectDir = _project.Dir }));
        Assert.Contains("SessionId", e.Message);
        Assert.Contains("x y", e.Message);
        var bad = await Assert.ThrowsAsync<InvalidSpecException>(() => _supervisor.StartAsync(_project.Daemon("d") with { DefaultPort = -1 }));
        Assert.Contains("default_port", bad.Message);
        Assert.Empty(await _supervisor.StatusAsync());
        Assert.False(Directory.Exists(Path.Combine(_project.Dir, ".ntm")));
    }

    public async Task DisposeAsync()
    {
        await _supervisor.ShutdownAsync();
        await _project.AssertNothingLeftBehind();
        _project.Dispose();
    }
}
