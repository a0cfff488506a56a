using ActorSupervisor.Daemons;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Ports;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;
using Xunit.Abstractions;

namespace ActorSupervisor.Tests.Hostile;

/// <summary>
/// `up` (the session actor) meeting PID files it did not write, or that were tampered with: it adopts a process only
/// when the identity rules prove it is this spec's daemon of this session, and never signals anything else.
/// Findings 2 (adoption on the file's word), 3 (colliding file names), 7 (untracked daemons) and 14 (NTM's files).
/// </summary>
public sealed class ForgedAdoptionSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestProject _project = new();
    private readonly List<Supervisor> _supervisors = [];
    private readonly List<TargetProcess> _bystanders = [];
    private readonly List<DaemonProcess> _orphans = [];

    private Supervisor NewSupervisor(string? session = null)
    {
        var supervisor = Supervisor.New(_project.Config(c => c with { SessionId = session ?? c.SessionId }));
        _supervisors.Add(supervisor);
        return supervisor;
    }

    private async Task<TargetProcess> NewBystander()
    {
        var b = await TargetProcess.StartAsync(_project.Tag);
        _bystanders.Add(b);
        return b;
    }

    /// <summary>What a forger writes to pass <paramref name="target"/> off as this session's <paramref name="spec"/>, supervisor dead.</summary>
    private PidFileInfo Forged(TargetProcess target, DaemonSpec spec)
    {
        var dead = Orphans.DeadProcess();
        return new PidFileInfo
        {
            Pid = target.Pid, OwnerId = _project.SessionId, Command = spec.Command, StartedAt = DateTimeOffset.UtcNow, Name = spec.Name,
            ProcessStartTime = target.Identity.StartTime, ProcessGroup = target.Pid, SupervisorPid = dead.Pid, SupervisorStartTime = dead.StartTime,
        };
    }

    [Theory]
    [InlineData("another process's group")]
    [InlineData("a process running another command line")]
    [InlineData("another session as its owner")]
    [InlineData("another daemon's name")]
    [InlineData("NTM's format and a process running another command line")]
    public async Task A_pid_file_naming_a_live_process_with_its_real_start_time_is_not_adopted_when_it_records(string forgery)
    {
        var target = await NewBystander();
        var group = await NewBystander();
        var spec = _project.Daemon("web");
        var forged = Forged(target, spec);
        forged = forgery switch
        {
            "another process's group" => forged with { ProcessGroup = group.Pid },
            "a process running another command line" => forged, // the bystander's argv is not the spec's launch
            "another session as its owner" => forged with { OwnerId = "other" },
            "another daemon's name" => forged with { Name = "api" },
            _ => new PidFileInfo
            {
                Pid = target.Pid, OwnerId = _project.SessionId, Command = spec.Command,
                StartedAt = target.Identity.StartedAtWallClock()!.Value,
            },
        };
        _project.Store.EnsureDirectories();
        File.WriteAllBytes(_project.Store.PathFor("web", _project.SessionId), System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(forged, PidFileStore.Json));

        var supervisor = NewSupervisor();
        var started = await supervisor.StartAsync(spec);
        Assert.False(started.Adopted);
        Assert.NotEqual(target.Pid, started.Pid);
        Assert.Equal(started.Pid, _project.Store.Read("web", _project.SessionId)!.Pid); // the forged file is gone, ours is there
        await supervisor.ShutdownAsync();

        Assert.True(target.Untouched, target.Describe());
        Assert.True(group.Untouched, group.Describe());
        output.WriteLine($"hostile: forged PID file recording {forgery}: tried 1, refused correctly 1, wrongly signalled 0");
    }

    [Fact]
    public async Task A_live_daemon_started_by_NTM_in_this_session_is_adopted_and_not_started_a_second_time()
    {
        var spec = _project.HttpDaemon("web");
        var port = PortAllocator.Allocate(spec, 0, new HashSet<int>());
        _project.RememberPort(port);
        _project.Store.EnsureDirectories();
        // As NTM's Go supervisor runs it: argv = command, args, port flag and port; its own group; no launch tag.
        var ntm = DaemonProcess.Launch(new LaunchRequest
        {
            Argv = spec.Argv(port), WorkDir = _project.Dir, LogPath = _project.Store.LogPathFor("web", _project.SessionId),
            Environment = [new(TestProject.TagVariable, _project.Tag)],
        });
        _orphans.Add(ntm);
        // NTM's five fields, nothing else.
        await File.WriteAllTextAsync(_project.Store.PathFor("web", _project.SessionId),
            $$"""{"pid": {{ntm.Pid}}, "port": {{port}}, "owner_id": "{{_project.SessionId}}", "command": "{{spec.Command}}", "started_at": "{{ntm.StartedAt:O}}"}""");

        var supervisor = NewSupervisor();
        var adopted = await supervisor.StartAsync(spec);

        Assert.True(adopted.Adopted);
        Assert.Equal(ntm.Pid, adopted.Pid);
        Assert.Equal(port, adopted.Port);
        Assert.Single(_project.LiveProcesses());
        var ours = _project.Store.Read("web", _project.SessionId)!;
        Assert.Equal(Environment.ProcessId, ours.SupervisorPid); // rewritten in our format, with its real start time
        Assert.Equal(ntm.Identity.StartTime, ours.ProcessStartTime);
        await supervisor.ShutdownAsync();
        await ntm.Exit.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_daemon_left_without_a_pid_file_by_a_killed_supervisor_is_adopted_by_the_next_one_of_its_session()
    {
        var spec = _project.Daemon("worker");
        var untracked = Orphans.Launch(_project, _project.Store, spec, 0, supervisor: Orphans.DeadProcess());
        _orphans.Add(untracked);
        await WaitForTag(untracked.Pid);

        var supervisor = NewSupervisor();
        var started = await supervisor.StartAsync(spec);

        Assert.True(started.Adopted);
        Assert.Equal(untracked.Pid, started.Pid);
        Assert.Equal(untracked.LaunchId, _project.Store.Read("worker", _project.SessionId)!.LaunchId);
        Assert.Single(_project.LiveProcesses());
    }

    [Fact]
    public async Task An_untracked_daemon_of_an_older_spec_is_killed_and_the_daemon_started_once()
    {
        var untracked = Orphans.Launch(_project, _project.Store, _project.Daemon("worker", "--stdout-lines", "1"), 0,
            supervisor: Orphans.DeadProcess());
        _orphans.Add(untracked);
        await WaitForTag(untracked.Pid);

        var started = await NewSupervisor().StartAsync(_project.Daemon("worker"));

        Assert.False(started.Adopted);
        await untracked.Exit.WaitAsync(TimeSpan.FromSeconds(30));
        await WaitForTag(started.Pid); // counted by its environment, which shows a moment after the spawn returns
        Assert.Equal([started.Pid], _project.LiveProcesses());
    }

    [Fact]
    public async Task Daemons_whose_file_names_would_collide_across_sessions_run_side_by_side()
    {
        // <name>-<session>: "a-b" of session "c" and "a" of session "b-c" are both a-b-c.
        var first = await NewSupervisor("c").StartAsync(_project.Daemon("a-b"));
        var second = await NewSupervisor("b-c").StartAsync(_project.Daemon("a"));

        Assert.NotEqual(first.Pid, second.Pid);
        var store = _project.Store;
        Assert.NotEqual(store.PathFor("a-b", "c"), store.PathFor("a", "b-c"));
        Assert.EndsWith("a-b-c.pid", store.PathFor("a", "b-c")); // NTM's name, where it is unambiguous
        Assert.Equal(first.Pid, store.Read("a-b", "c")!.Pid);
        Assert.Equal(second.Pid, store.Read("a", "b-c")!.Pid);
        await WaitForTag(first.Pid);
        await WaitForTag(second.Pid);
        Assert.Equal(2, _project.LiveProcesses().Count);
    }

    private static async Task WaitForTag(int pid)
    {
        // posix_spawn returns as the child execs, a moment before its environment can be read from /proc.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (LaunchTag.Of(pid) is null && DateTime.UtcNow < deadline) await Task.Delay(10);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var supervisor in _supervisors) await supervisor.ShutdownAsync();
        foreach (var orphan in _orphans.Where(o => !o.HasExited)) await orphan.StopAsync(TimeSpan.FromSeconds(2));
        foreach (var b in _bystanders) b.Dispose();
        try { await _project.AssertNothingLeftBehind(); }
        finally { _project.Dispose(); } // kills whatever a failed test left, so it cannot cascade
    }
}
