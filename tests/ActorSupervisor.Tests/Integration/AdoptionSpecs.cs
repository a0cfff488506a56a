using System.Diagnostics;
using ActorSupervisor.Daemons;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Integration;

/// <summary>PID files as a contract between supervisors: adopt our own, drop stale ones, never touch anyone else's.</summary>
public sealed class AdoptionSpecs : RealTimeSpecs
{
    private readonly List<DaemonProcess> _orphans = [];

    private string ReadyFile(string name) => Path.Combine(Project.Dir, $"{name}.ready");

    /// <summary>What a supervisor killed with SIGKILL leaves: a running daemon and its PID file naming a dead owner.</summary>
    private Task<(DaemonProcess Process, int Port)> LeaveOrphan(DaemonSpec spec) =>
        Orphans.LeaveUntaggedAsync(Project, spec, ReadyFile(spec.Name), _orphans.Add);

    [Fact]
    public async Task A_daemon_left_running_by_a_dead_supervisor_is_adopted_with_its_pid_and_port_then_watched_like_our_own()
    {
        var spec = Project.HttpDaemon("web", "--ready-file", ReadyFile("web"));
        var (orphan, port) = await LeaveOrphan(spec);

        var supervisor = NewSupervisor();
        var adopted = await supervisor.StartAsync(spec);

        Assert.True(adopted.Adopted);
        Assert.Equal(orphan.Pid, adopted.Pid);
        Assert.Equal(port, adopted.Port);
        var running = await WaitFor(supervisor, "web", d => d.State == DaemonState.Running);
        Assert.NotNull(running.LastHealth); // health-checked like one we launched
        var pidFile = Project.Store.Read("web", Project.SessionId)!;
        Assert.Equal(Environment.ProcessId, pidFile.SupervisorPid); // the file now names its new owner
        Assert.Single(Project.LiveProcesses()); // never doubled
        Assert.Equal(["start"], Project.Signals.EventsOf(orphan.Pid)); // adopting signals nothing
        Assert.Contains(File.ReadLines(Project.Store.LogPathFor("web", Project.SessionId)),
            l => System.Text.RegularExpressions.Regex.IsMatch(l, $@"^\[supervisor\] \S+ adopted daemon web \(pid={orphan.Pid} port={port} generation=\d+\)$"));

        // Its exit is noticed (it is not our child) and handled as a crash: a new process on the same port.
        Native.kill(orphan.Pid, Native.SIGKILL);
        var replaced = await WaitFor(supervisor, "web", d => d.State == DaemonState.Running && d.Pid != orphan.Pid);
        Assert.Equal(port, replaced.Port);
        Assert.False(replaced.Adopted);
        Assert.Equal("exited unexpectedly", replaced.LastFailure!.Reason);
    }

    [Fact]
    public async Task An_adopted_daemons_health_command_sees_its_env_file_as_a_launched_daemons_does()
    {
        var envFile = Path.Combine(Project.Dir, "web.env");
        await File.WriteAllTextAsync(envFile, "TOKEN=secret\n");
        var spec = Project.Daemon("web", "--ready-file", ReadyFile("web")) with
        {
            EnvFile = envFile,
            HealthCmd = ["/bin/sh", "-c", "test \"$TOKEN\" = secret"],
        };
        var (orphan, _) = await LeaveOrphan(spec);

        var supervisor = NewSupervisor();
        Assert.True((await supervisor.StartAsync(spec)).Adopted);

        var running = await WaitFor(supervisor, "web", d => d.State == DaemonState.Running);
        Assert.Equal(orphan.Pid, running.Pid);
        Assert.NotNull(running.LastHealth); // a probe passed
        Assert.Equal(0, running.ConsecutiveFailures);
        Assert.Equal(0, running.Restarts);
    }

    [Fact]
    public async Task An_adopted_daemon_is_stopped_gracefully_like_one_we_launched()
    {
        var spec = Project.HttpDaemon("web", "--ready-file", ReadyFile("web"));
        var (orphan, _) = await LeaveOrphan(spec);
        var supervisor = NewSupervisor();
        Assert.True((await supervisor.StartAsync(spec)).Adopted);

        var stopped = await supervisor.StopAsync("web");

        Assert.Equal(DaemonState.Stopped, stopped.State);
        Project.Signals.AssertStoppedGracefully(orphan.Pid, "the adopted daemon");
        Assert.Empty(Project.PidFiles());
    }

    [Fact]
    public async Task A_stale_pid_file_of_a_dead_daemon_is_removed_and_the_daemon_started_fresh()
    {
        var spec = Project.Daemon("worker");
        var dead = Orphans.DeadProcess();
        Project.Store.EnsureDirectories();
        Project.Store.Write("worker", new PidFileInfo
        {
            Pid = dead.Pid, OwnerId = Project.SessionId, Command = spec.Command, ProcessStartTime = dead.StartTime, Name = "worker",
        });

        var started = await NewSupervisor().StartAsync(spec);

        Assert.False(started.Adopted);
        Assert.NotEqual(dead.Pid, started.Pid);
        Assert.Equal(started.Pid, Project.Store.Read("worker", Project.SessionId)!.Pid);
    }

    [Fact]
    public async Task A_pid_file_whose_pid_now_belongs_to_another_process_is_stale_and_that_process_is_never_signalled()
    {
        // It leads its own group, so a signal to the group the file names would reach it; it records every signal.
        using var bystander = await Bystander.StartAsync(Project);
        var spec = Project.Daemon("worker");
        Project.Store.EnsureDirectories();
        Project.Store.Write("worker", new PidFileInfo
        {
            Pid = bystander.Pid, OwnerId = Project.SessionId, Command = spec.Command, Name = "worker",
            ProcessStartTime = bystander.Identity.StartTime + 1, ProcessGroup = bystander.Pid,
        });

        var supervisor = NewSupervisor();
        var started = await supervisor.StartAsync(spec);
        Assert.False(started.Adopted);
        Assert.NotEqual(bystander.Pid, started.Pid);
        // Every path that signals: a stop, a restart after a crash, and the final shutdown.
        await WaitFor(supervisor, "worker", d => d.State == DaemonState.Running);
        Native.kill(started.Pid, Native.SIGKILL);
        await WaitFor(supervisor, "worker", d => d.State == DaemonState.Running && d.Pid != started.Pid);
        await supervisor.StopAsync("worker");
        await GracefulStop.StopAllAndShutdown(supervisor);

        bystander.AssertNeverSignalled();
    }

    [Fact]
    public async Task A_port_recorded_but_not_bound_by_another_sessions_live_daemon_is_not_handed_out_and_that_daemon_is_left_alone()
    {
        var theirs = NewSupervisor(c => c with { SessionId = "other-session" });
        // Their daemon has its port in its PID file but does not listen on it (yet): only the PID file says it is taken.
        var their = await theirs.StartAsync(Project.Daemon("api", "--sleep-before-listen", "10m") with { PortFlag = "--port", NeedsPort = true });
        await WaitFor(theirs, "api", d => d.State == DaemonState.Running);
        await Project.Signals.WaitForStart(their.Pid);
        Assert.True(their.Port > 0);

        var ours = NewSupervisor();
        var our = await ours.StartAsync(Project.HttpDaemon("api") with { DefaultPort = their.Port });
        Project.RememberPort(our.Port);

        Assert.NotEqual(their.Port, our.Port); // their live PID file holds it, though nothing is bound to it
        var foreign = Assert.Single(await ours.ForeignAsync());
        Assert.Equal(("api", "other-session", their.Pid, their.Port, true, true),
            (foreign.Name, foreign.OwnerId, foreign.Pid, foreign.Port, foreign.Alive, foreign.SupervisorAlive));
        await GracefulStop.StopAllAndShutdown(ours);
        Assert.Equal(["start"], Project.Signals.EventsOf(their.Pid)); // our session never signalled it
        Assert.True(ProcessScan.IsAlive(their.Pid));
        Assert.Equal(DaemonState.Running, (await theirs.GetDaemonAsync("api"))!.State);
    }

    [Fact]
    public async Task A_port_only_the_pid_file_of_another_sessions_live_orphan_records_is_not_handed_out()
    {
        // What a killed supervisor of another session leaves (its port claims die with it), or what NTM writes (it
        // takes none): a live daemon whose PID file records a port it has not bound. Only the file says it is taken.
        using var orphan = await Bystander.StartAsync(Project, "orphan");
        var port = TestPorts.Unbound();
        Project.Store.Write("api", new PidFileInfo
        {
            Pid = orphan.Pid, Port = port, OwnerId = "other-session", Command = TestDaemon.Path, Name = "api",
            StartedAt = DateTimeOffset.UtcNow, ProcessStartTime = orphan.Identity.StartTime, ProcessGroup = orphan.Pid,
        });

        var ours = NewSupervisor();
        var our = await ours.StartAsync(Project.HttpDaemon("api") with { DefaultPort = port });
        Project.RememberPort(our.Port);

        Assert.NotEqual(port, our.Port);
        Assert.Equal(orphan.Pid, Assert.Single(await ours.ForeignAsync()).Pid);
        await GracefulStop.StopAllAndShutdown(ours);
        orphan.AssertNeverSignalled();
        File.Delete(Project.Store.PathFor("api", "other-session"));
    }

    [Fact]
    public async Task Two_supervisors_of_one_session_racing_to_start_a_daemon_end_with_exactly_one_process()
    {
        var spec = Project.Daemon("solo");
        var first = NewSupervisor();
        var second = NewSupervisor();

        var results = await Task.WhenAll(
            first.StartAsync(spec).ContinueWith(t => t.Exception?.InnerException),
            second.StartAsync(spec).ContinueWith(t => t.Exception?.InnerException));

        var refusal = Assert.Single(results, e => e is not null);
        Assert.Contains("owned by another supervisor", refusal!.Message);
        Assert.Single(results, e => e is null);
        // Counted by its environment, which /proc shows a moment after the spawn returns.
        await Until(() => Project.LiveProcesses().Count > 0, "the daemon's environment never showed in /proc");
        Assert.Single(Project.LiveProcesses());
    }

    public override async Task DisposeAsync()
    {
        foreach (var orphan in _orphans.Where(o => !o.HasExited)) await orphan.StopAsync(TimeSpan.FromSeconds(2));
        await base.DisposeAsync();
    }
}
