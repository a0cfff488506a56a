using System.Diagnostics;
using ActorSupervisor.Daemons;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Ports;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Integration;

/// <summary>PID files as a contract between supervisors: adopt our own, drop stale ones, never touch anyone else's.</summary>
public sealed class AdoptionSpecs : IAsyncLifetime
{
    private readonly TestProject _project = new();
    private readonly List<Supervisor> _supervisors = [];
    private readonly List<DaemonProcess> _orphans = [];

    private Supervisor NewSupervisor(string? session = null)
    {
        var supervisor = Supervisor.New(_project.Config(c => c with { SessionId = session ?? c.SessionId }));
        _supervisors.Add(supervisor);
        return supervisor;
    }

    /// <summary>The identity of a process that existed and is now gone: a supervisor that died.</summary>
    private static ProcessIdentity DeadProcess()
    {
        using var p = Process.Start(new ProcessStartInfo("sleep", "30"))!;
        var identity = ProcessIdentity.Of(p.Id)!.Value;
        p.Kill();
        p.WaitForExit();
        return identity;
    }

    /// <summary>What a supervisor killed with SIGKILL leaves: a running daemon and its PID file naming a dead owner.</summary>
    private DaemonProcess LeaveOrphan(DaemonSpec spec, int port, ProcessIdentity? identityOverride = null)
    {
        var store = _project.Store;
        store.EnsureDirectories();
        var process = DaemonProcess.Launch(new LaunchRequest
        {
            Argv = spec.Argv(port),
            WorkDir = _project.Dir,
            LogPath = store.LogPathFor(spec.Name, _project.SessionId),
            Environment = [new(TestProject.TagVariable, _project.Tag), new("PORT", port.ToString())],
        });
        _orphans.Add(process);
        var dead = DeadProcess();
        store.Write(spec.Name, new PidFileInfo
        {
            Pid = process.Pid, Port = port, OwnerId = _project.SessionId, Command = spec.Command, StartedAt = process.StartedAt,
            Name = spec.Name, ProcessStartTime = (identityOverride ?? process.Identity).StartTime, ProcessGroup = process.ProcessGroup,
            SupervisorPid = dead.Pid, SupervisorStartTime = dead.StartTime,
        });
        _project.RememberPort(port);
        return process;
    }

    private static async Task<ManagedDaemon> WaitFor(Supervisor supervisor, string name, Func<ManagedDaemon, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var d = await supervisor.GetDaemonAsync(name);
            if (d is not null && condition(d)) return d;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{name}: last seen {d?.State.ToWord()} pid {d?.Pid}");
            await Task.Delay(25);
        }
    }

    [Fact]
    public async Task A_daemon_left_running_by_a_dead_supervisor_is_adopted_with_its_pid_and_port_then_watched_like_our_own()
    {
        var spec = _project.HttpDaemon("web");
        var port = PortAllocator.Allocate(spec, 0, new HashSet<int>());
        var orphan = LeaveOrphan(spec, port);

        var supervisor = NewSupervisor();
        var adopted = await supervisor.StartAsync(spec);

        Assert.True(adopted.Adopted);
        Assert.Equal(orphan.Pid, adopted.Pid);
        Assert.Equal(port, adopted.Port);
        var running = await WaitFor(supervisor, "web", d => d.State == DaemonState.Running);
        Assert.NotNull(running.LastHealth); // health-checked like one we launched
        var pidFile = _project.Store.Read("web", _project.SessionId)!;
        Assert.Equal(Environment.ProcessId, pidFile.SupervisorPid); // the file now names its new owner
        Assert.Single(_project.LiveProcesses()); // never doubled

        // Its exit is noticed (it is not our child) and handled as a crash: a new process on the same port.
        Native.kill(orphan.Pid, Native.SIGKILL);
        var replaced = await WaitFor(supervisor, "web", d => d.State == DaemonState.Running && d.Pid != orphan.Pid);
        Assert.Equal(port, replaced.Port);
        Assert.False(replaced.Adopted);
        Assert.Equal("exited unexpectedly", replaced.LastFailure!.Reason);
    }

    [Fact]
    public async Task A_stale_pid_file_of_a_dead_daemon_is_removed_and_the_daemon_started_fresh()
    {
        var spec = _project.Daemon("worker");
        var dead = DeadProcess();
        _project.Store.EnsureDirectories();
        _project.Store.Write("worker", new PidFileInfo
        {
            Pid = dead.Pid, OwnerId = _project.SessionId, Command = spec.Command, ProcessStartTime = dead.StartTime, Name = "worker",
        });

        var started = await NewSupervisor().StartAsync(spec);

        Assert.False(started.Adopted);
        Assert.NotEqual(dead.Pid, started.Pid);
        Assert.Equal(started.Pid, _project.Store.Read("worker", _project.SessionId)!.Pid);
    }

    [Fact]
    public async Task A_pid_file_whose_pid_now_belongs_to_another_process_is_stale_and_that_process_is_never_signalled()
    {
        using var bystander = Process.Start(new ProcessStartInfo("sleep", "60"))!;
        try
        {
            var spec = _project.Daemon("worker");
            var identity = ProcessIdentity.Of(bystander.Id)!.Value;
            _project.Store.EnsureDirectories();
            _project.Store.Write("worker", new PidFileInfo
            {
                Pid = bystander.Id, OwnerId = _project.SessionId, Command = spec.Command, Name = "worker",
                ProcessStartTime = identity.StartTime + 1, ProcessGroup = bystander.Id,
            });

            var supervisor = NewSupervisor();
            var started = await supervisor.StartAsync(spec);
            Assert.NotEqual(bystander.Id, started.Pid);
            await supervisor.ShutdownAsync();

            Assert.False(bystander.HasExited);
            Assert.Equal(identity, ProcessIdentity.Of(bystander.Id));
        }
        finally
        {
            bystander.Kill();
        }
    }

    [Fact]
    public async Task A_daemon_of_another_session_is_left_alone_its_port_avoided_and_listed_as_foreign()
    {
        var spec = _project.HttpDaemon("api");
        var port = PortAllocator.Allocate(spec, 0, new HashSet<int>());
        var theirs = NewSupervisor("other-session");
        var their = await theirs.StartAsync(spec with { DefaultPort = port });
        await WaitFor(theirs, "api", d => d.State == DaemonState.Running);
        _project.RememberPort(their.Port);

        var ours = NewSupervisor();
        var our = await ours.StartAsync(spec with { DefaultPort = port });
        _project.RememberPort(our.Port);

        Assert.Equal(port, their.Port);
        Assert.NotEqual(port, our.Port); // the other session's live PID file holds it
        var foreign = Assert.Single(await ours.ForeignAsync());
        Assert.Equal(("api", "other-session", their.Pid, port, true, true), (foreign.Name, foreign.OwnerId, foreign.Pid, foreign.Port, foreign.Alive, foreign.SupervisorAlive));
        await ours.ShutdownAsync();
        Assert.True(ProcessScan.IsAlive(their.Pid));
        Assert.Equal(DaemonState.Running, (await theirs.GetDaemonAsync("api"))!.State);
    }

    [Fact]
    public async Task Two_supervisors_of_one_session_racing_to_start_a_daemon_end_with_exactly_one_process()
    {
        var spec = _project.Daemon("solo");
        var first = NewSupervisor();
        var second = NewSupervisor();

        var results = await Task.WhenAll(
            first.StartAsync(spec).ContinueWith(t => t.Exception?.InnerException),
            second.StartAsync(spec).ContinueWith(t => t.Exception?.InnerException));

        var refusal = Assert.Single(results, e => e is not null);
        Assert.Contains("owned by another supervisor", refusal!.Message);
        Assert.Single(results, e => e is null);
        Assert.Single(_project.LiveProcesses());
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var supervisor in _supervisors) await supervisor.ShutdownAsync();
        foreach (var orphan in _orphans.Where(o => !o.HasExited)) await orphan.StopAsync(TimeSpan.FromSeconds(2));
        await _project.AssertNothingLeftBehind();
        _project.Dispose();
    }
}
