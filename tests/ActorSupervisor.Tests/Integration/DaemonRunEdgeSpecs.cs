using System.Text.RegularExpressions;
using ActorSupervisor.Daemons;
using ActorSupervisor.Tests.Support;
using Microsoft.Extensions.Logging;

namespace ActorSupervisor.Tests.Integration;

/// <summary>
/// The edges of one run of a daemon, in real time with real processes: a generation torn down without a stop, a launch
/// whose PID file cannot be written, the log rotated before a launch, what the daemon's log is told, and how often a
/// starting daemon is probed.
/// </summary>
public sealed class DaemonRunEdgeSpecs : RealTimeSpecs
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(10);

    private string LogPath(string name) => Project.Store.LogPathFor(name, Project.SessionId);

    [Fact]
    public async Task An_actor_system_torn_down_without_a_stop_kills_the_daemon_and_its_group_removes_its_PID_file_and_says_so()
    {
        var sink = new CapturingLoggers();
        var supervisor = Supervisor.New(Project.Config(), loggers: sink);
        await supervisor.StartAsync(Project.Daemon("left", "--spawn-grandchildren", "2"));
        var running = await WaitFor(supervisor, "left", d => d.State == DaemonState.Running);
        await Until(() => Project.LiveProcesses().Count == 3, "the daemon and its two grandchildren are up");
        var pidPath = Project.Store.PathFor("left", Project.SessionId);
        Assert.Contains(pidPath, Project.PidFiles());

        // No StopAll, no Shutdown: the actors go with the system, and each generation's PostStop is all that is left.
        await supervisor.System.Terminate();

        await Until(() => Project.LiveProcesses().Count == 0, "nothing of the daemon is left");
        Assert.DoesNotContain(pidPath, Project.PidFiles());
        var tornDown = Assert.Single(sink.Entries, e => e.Message.Contains("torn down"));
        Assert.Equal(LogLevel.Warning, tornDown.Level);
        Assert.Equal($"left: torn down with its process still running; killing process group {running.Pid} (session {Project.SessionId}, generation 1)",
            tornDown.Message);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_daemon_stopped_before_its_actor_system_goes_is_not_reported_as_torn_down()
    {
        var sink = new CapturingLoggers();
        var supervisor = Supervisor.New(Project.Config(), loggers: sink);
        await supervisor.StartAsync(Project.Daemon("done"));
        var running = await WaitFor(supervisor, "done", d => d.State == DaemonState.Running);
        var stopped = await supervisor.StopAsync("done");
        Assert.Equal(DaemonState.Stopped, stopped.State);

        await supervisor.System.Terminate();

        Assert.DoesNotContain(sink.Entries, e => e.Message.Contains("torn down"));
        Project.Signals.AssertStoppedGracefully(running.Pid, "the stopped daemon");
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_log_over_its_limit_before_the_launch_is_rotated_before_the_daemon_writes_to_it()
    {
        var supervisor = NewSupervisor(c => c with { LogMaxBytes = 1000, LogKeep = 2 });
        var log = LogPath("chatty");
        Directory.CreateDirectory(Path.GetDirectoryName(log)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var earlier = string.Concat(Enumerable.Repeat("an earlier run's line\n", 100));
        File.WriteAllText(log, earlier);

        await supervisor.StartAsync(Project.Daemon("chatty"));
        await WaitFor(supervisor, "chatty", d => d.State == DaemonState.Running);

        Assert.Equal(earlier, File.ReadAllText(log + ".1"));
        Assert.DoesNotContain("an earlier run's line", File.ReadAllText(log));
    }

    [Fact]
    public async Task A_daemon_whose_PID_file_cannot_be_written_is_killed_and_its_run_fails_as_the_supervisors_fault()
    {
        var supervisor = NewSupervisor(c => c with { MaxRestarts = 1 });
        // A directory where the PID file goes: the write's final rename cannot replace it.
        var pidPath = Project.Store.PathFor("unrecorded", Project.SessionId);
        Directory.CreateDirectory(pidPath);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => supervisor.StartAsync(Project.Daemon("unrecorded")));

        Assert.Equal($"daemon 'unrecorded' ended failed before it launched: cannot write its PID file: cannot write {pidPath}: Is a directory", refused.Message);
        var failed = (await supervisor.GetDaemonAsync("unrecorded"))!;
        Assert.Equal(DaemonState.Failed, failed.State);
        // The supervisor's fault, not the command's: "cannot launch" would blame the spec.
        Assert.Equal(FailureKind.Supervisor, failed.LastFailure!.Kind);
        await Until(() => Project.LiveProcesses().Count == 0, "the process that was spawned is killed");
        Directory.Delete(pidPath);
    }

    [Fact]
    public async Task A_file_system_surprise_while_launching_fails_that_daemon_naming_it_and_nothing_else()
    {
        var supervisor = NewSupervisor(c => c with { LogMaxBytes = 10, LogKeep = 2 });
        var log = LogPath("surprised");
        Directory.CreateDirectory(Path.GetDirectoryName(log)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(log, "an earlier run's output, over the limit\n");
        Directory.CreateDirectory(log + ".2"); // the oldest copy, which the rotation must remove, cannot be removed

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => supervisor.StartAsync(Project.Daemon("surprised")));

        Assert.Equal($"daemon 'surprised' ended failed before it launched: supervisor error: cannot remove {log}.2: Is a directory", refused.Message);
        var failed = (await supervisor.GetDaemonAsync("surprised"))!;
        Assert.Equal((DaemonState.Failed, FailureKind.Supervisor), (failed.State, failed.LastFailure!.Kind));
        // The session and its other daemons carry on.
        await supervisor.StartAsync(Project.Daemon("bystander"));
        await WaitFor(supervisor, "bystander", d => d.State == DaemonState.Running);
        Directory.Delete(log + ".2");
    }

    [Fact]
    public async Task The_daemons_log_and_the_supervision_log_say_it_was_launched_with_its_pid_port_and_generation()
    {
        var sink = new CapturingLoggers();
        var supervisor = Supervisor.New(Project.Config(), loggers: sink);
        await supervisor.StartAsync(Project.HttpDaemon("web"));
        var running = await WaitFor(supervisor, "web", d => d.State == DaemonState.Running);
        var line = File.ReadLines(LogPath("web")).First(l => l.StartsWith("[supervisor] "));
        await GracefulStop.StopAllAndShutdown(supervisor, []);

        Assert.Contains($"web: pid {running.Pid} launched on port {running.Port} (session {Project.SessionId}, generation 1)",
            sink.Entries.Select(e => e.Message));
        Assert.Matches(new Regex(@"^\[supervisor\] \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z launched daemon web " +
                                 $@"\(pid={running.Pid} port={running.Port} generation=1\)$"), line);
    }

    [Fact]
    public async Task A_daemon_checked_by_a_command_is_probed_at_its_launch_not_one_interval_later()
    {
        var supervisor = NewSupervisor(c => c with { HealthInterval = Long, StartupProbeInterval = Long, StartupTimeout = Long });
        await supervisor.StartAsync(Project.Daemon("checked") with { HealthCmd = ["true"] });
        await WaitFor(supervisor, "checked", d => d.State == DaemonState.Running);
    }

    [Fact]
    public async Task A_starting_daemon_is_probed_at_the_startup_interval_when_that_is_the_shorter()
    {
        var supervisor = NewSupervisor(c => c with { HealthInterval = Long, StartupProbeInterval = TimeSpan.FromMilliseconds(100), StartupTimeout = Long });
        await supervisor.StartAsync(FailsFirstProbe("eager"));
        await WaitFor(supervisor, "eager", d => d.State == DaemonState.Running);
    }

    [Fact]
    public async Task A_starting_daemon_is_probed_at_the_health_interval_when_that_is_the_shorter()
    {
        var supervisor = NewSupervisor(c => c with { HealthInterval = TimeSpan.FromMilliseconds(100), StartupProbeInterval = Long, StartupTimeout = Long });
        await supervisor.StartAsync(FailsFirstProbe("steady"));
        await WaitFor(supervisor, "steady", d => d.State == DaemonState.Running);
    }

    [Fact]
    public async Task An_env_file_is_read_at_the_launch_into_the_daemons_environment()
    {
        var envFile = Path.Combine(Project.Dir, "daemon.env");
        File.WriteAllText(envFile, "FROM_FILE=yes\n");
        var supervisor = NewSupervisor();
        await supervisor.StartAsync(Project.Daemon("configured") with { EnvFile = envFile });
        var running = await WaitFor(supervisor, "configured", d => d.State == DaemonState.Running);

        Assert.Equal("yes", ProcessScan.Environment(running.Pid)["FROM_FILE"]);
    }

    [Fact]
    public async Task An_env_file_that_does_not_parse_fails_the_daemon_as_unlaunchable_naming_the_problem()
    {
        var envFile = Path.Combine(Project.Dir, "broken.env");
        File.WriteAllText(envFile, "TOKEN=\"never closed\n");
        var supervisor = NewSupervisor();

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => supervisor.StartAsync(Project.Daemon("misconfigured") with { EnvFile = envFile }));

        Assert.Contains("the double quote is not closed", refused.Message);
        var failed = (await supervisor.GetDaemonAsync("misconfigured"))!;
        Assert.Equal((DaemonState.Failed, FailureKind.CannotLaunch), (failed.State, failed.LastFailure!.Kind));
        Assert.Empty(Project.LiveProcesses());
    }

    [Fact]
    public async Task An_ephemeral_daemon_is_launched_and_one_whose_command_is_missing_fails_as_unlaunchable_naming_it()
    {
        var supervisor = NewSupervisor();
        await supervisor.StartAsync(Project.Daemon("brief") with { Lifetime = DaemonLifetime.Ephemeral });
        await WaitFor(supervisor, "brief", d => d.State == DaemonState.Running);

        var missing = Path.Combine(Project.Dir, "no-such-command");
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            supervisor.StartAsync(Project.Daemon("ghost") with { Command = missing, Lifetime = DaemonLifetime.Ephemeral }));

        Assert.Contains(missing, refused.Message);
        Assert.DoesNotContain("One or more errors", refused.Message);
        var failed = (await supervisor.GetDaemonAsync("ghost"))!;
        Assert.Equal((DaemonState.Failed, FailureKind.CannotLaunch), (failed.State, failed.LastFailure!.Kind));
    }

    /// <summary>A daemon whose health command fails the first time it runs and passes every time after.</summary>
    private DaemonSpec FailsFirstProbe(string name)
    {
        var marker = Path.Combine(Project.Dir, $"{name}.probed");
        return Project.Daemon(name) with { HealthCmd = ["/bin/sh", "-c", $"test -e '{marker}' || {{ touch '{marker}'; exit 1; }}"] };
    }
}
