using ActorSupervisor.PidFiles;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.PidFiles;

/// <summary>
/// `stop` without the supervisor, in-process: every outcome with its exact words, on real test daemons left with
/// real PID files. A daemon that must not be stopped is checked alive and unsignalled afterwards.
/// </summary>
public sealed class OrphanStopperSpecs : IAsyncLifetime
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);
    private readonly TestProject _project = new();
    private readonly List<DaemonProcess> _daemons = [];
    private PidFileStore Store => _project.Store;

    /// <summary>A test daemon of this project's session, recorded as the supervisor given (a dead one unless said).</summary>
    private async Task<(DaemonProcess Process, PidFileReport Entry)> Left(string name, ProcessIdentity? supervisor = null)
    {
        var spec = _project.Daemon(name);
        var process = Orphans.Launch(_project, Store, spec, 0);
        _daemons.Add(process);
        Store.Write(name, Orphans.Describe(process, spec, _project.SessionId, 0, supervisor ?? Orphans.DeadProcess()));
        await _project.Signals.WaitForStart(process.Pid);
        return (process, Assert.Single(Store.Inspect(), r => r.Name == name));
    }

    private string Who(string name, int pid) => $"{name} (session {_project.SessionId}, pid {pid})";

    private void AssertUntouched(DaemonProcess process)
    {
        Assert.True(ProcessScan.IsAlive(process.Pid));
        Assert.Equal(["start"], _project.Signals.EventsOf(process.Pid));
    }

    [Fact]
    public async Task An_orphan_whose_supervisor_died_is_stopped_gracefully_and_its_file_removed()
    {
        var (process, entry) = await Left("web");

        var outcome = await OrphanStopper.StopAsync(Store, entry, Grace, force: false);

        Assert.Equal(new StopOutcome("web", _project.SessionId, process.Pid, StopResult.Stopped, $"{Who("web", process.Pid)}: stopped"), outcome);
        Assert.Empty(_project.PidFiles());
        Assert.Contains("SIGTERM", _project.Signals.EventsOf(process.Pid));
        Assert.False(File.Exists(Store.LockPathFor("web", _project.SessionId)));
    }

    [Fact]
    public async Task A_daemon_whose_supervisor_runs_is_refused_unless_forced_and_then_its_file_is_left_to_that_supervisor()
    {
        var (process, entry) = await Left("web", ProcessIdentity.Self);

        var refused = await OrphanStopper.StopAsync(Store, entry, Grace, force: false);
        Assert.Equal(StopResult.Refused, refused.Kind);
        Assert.Equal($"{Who("web", process.Pid)}: not stopped: it is owned by a running supervisor (pid {Environment.ProcessId}, session {_project.SessionId}), " +
                     "which would restart it; stop that supervisor with SIGINT or SIGTERM, or use --force", refused.Message);
        AssertUntouched(process);

        var forced = await OrphanStopper.StopAsync(Store, entry, Grace, force: true);
        Assert.Equal(StopResult.Stopped, forced.Kind);
        Assert.Equal($"{Who("web", process.Pid)}: stopped (its supervisor, pid {Environment.ProcessId}, is running and may restart it)", forced.Message);
        Assert.Empty(_project.PidFiles()); // the lock was free, so the file went with the daemon
    }

    [Fact]
    public async Task A_daemon_whose_lock_a_live_supervisor_holds_is_refused_naming_the_holder_unless_forced()
    {
        var (process, entry) = await Left("web");
        using (var held = DaemonLock.TryAcquire(Store.LockPathFor("web", _project.SessionId))!)
        {
            var refused = await OrphanStopper.StopAsync(Store, entry, Grace, force: false);
            Assert.Equal($"{Who("web", process.Pid)}: not stopped: a running supervisor (pid {Environment.ProcessId}) holds its lock and would restart it; " +
                         "stop that supervisor with SIGINT or SIGTERM, or use --force", refused.Message);
            Assert.Equal(StopResult.Refused, refused.Kind);
            AssertUntouched(process);

            var forced = await OrphanStopper.StopAsync(Store, entry, Grace, force: true);
            Assert.Equal($"{Who("web", process.Pid)}: stopped (its supervisor, pid {Environment.ProcessId}, is running and may restart it)", forced.Message);
            Assert.Single(_project.PidFiles(), f => f.EndsWith(".pid", StringComparison.Ordinal)); // the lock holder's to remove, not ours
            Assert.True(File.Exists(held.Path));
        }
        foreach (var f in _project.PidFiles()) File.Delete(f);
    }

    [Fact]
    public async Task A_lock_whose_holder_wrote_nothing_is_named_as_held_by_a_supervisor_of_unknown_pid()
    {
        var (process, entry) = await Left("web");
        var lockPath = Store.LockPathFor("web", _project.SessionId);
        using (DaemonLock.TryAcquire(lockPath)!)
        {
            EmptyHeldLock(lockPath);

            var refused = await OrphanStopper.StopAsync(Store, entry, Grace, force: false);
            Assert.Equal($"{Who("web", process.Pid)}: not stopped: a running supervisor (pid unknown) holds its lock and would restart it; " +
                         "stop that supervisor with SIGINT or SIGTERM, or use --force", refused.Message);
            AssertUntouched(process);

            var forced = await OrphanStopper.StopAsync(Store, entry, Grace, force: true);
            Assert.Equal($"{Who("web", process.Pid)}: stopped (its supervisor is running and may restart it)", forced.Message);
        }
        foreach (var f in _project.PidFiles()) File.Delete(f);
    }

    [Fact]
    public async Task An_untracked_launch_under_a_lock_whose_holder_wrote_nothing_names_the_holder_as_unknown()
    {
        var process = Orphans.Launch(_project, Store, _project.Daemon("web"), 0, supervisor: Orphans.DeadProcess());
        _daemons.Add(process);
        await _project.Signals.WaitForStart(process.Pid);
        var launch = Assert.Single(Store.Untracked([]));
        var lockPath = Store.LockPathFor("web", _project.SessionId);
        using (DaemonLock.TryAcquire(lockPath)!)
        {
            EmptyHeldLock(lockPath);
            var refused = await OrphanStopper.StopAsync(Store, launch, Grace, force: false);
            Assert.Equal($"web (session {_project.SessionId}, pid {process.Pid}, no PID file): not stopped: a running supervisor (pid unknown) holds its lock; " +
                         "use --force to stop it anyway", refused.Message);
        }
        AssertUntouched(process);
    }

    /// <summary>The holder's text is best effort (a full disk): empty it under the held lock, as .NET's File API cannot.</summary>
    private static void EmptyHeldLock(string lockPath)
    {
        var fd = Native.open(lockPath, Native.O_WRONLY, 0);
        Assert.True(fd >= 0);
        Native.ftruncate(fd, 0);
        Native.close(fd);
    }

    [Fact]
    public async Task A_daemon_in_a_file_NTM_wrote_is_refused_unless_forced()
    {
        var (process, _) = await Left("web");
        var ntm = new PidFileInfo
        {
            Pid = process.Pid, OwnerId = _project.SessionId, Command = TestDaemon.Path, StartedAt = process.StartedAt,
        };
        Store.Write("web", ntm);
        var entry = Assert.Single(Store.Inspect());

        var refused = await OrphanStopper.StopAsync(Store, entry, Grace, force: false);
        Assert.Equal(StopResult.Refused, refused.Kind);
        Assert.Equal($"{Who("web", process.Pid)}: not stopped: its PID file was written by NTM's supervisor, which may still own it (its owner is unknown); use --force to stop it anyway", refused.Message);
        AssertUntouched(process);

        Assert.Equal(StopResult.Stopped, (await OrphanStopper.StopAsync(Store, entry, Grace, force: true)).Kind);
        Assert.Empty(_project.PidFiles());
    }

    [Fact]
    public async Task A_stale_file_is_removed_and_nothing_is_signalled()
    {
        var (process, _) = await Left("web");
        var stale = Store.Read("web", _project.SessionId)! with { ProcessStartTime = 1 };
        Store.Write("web", stale);
        var entry = Assert.Single(Store.Inspect());

        var outcome = await OrphanStopper.StopAsync(Store, entry, Grace, force: true);

        Assert.Equal(new StopOutcome("web", _project.SessionId, process.Pid, StopResult.Stale,
            $"{Who("web", process.Pid)}: stale PID file removed (that pid now belongs to another process); nothing signalled"), outcome);
        Assert.Empty(_project.PidFiles());
        AssertUntouched(process);
    }

    [Fact]
    public async Task A_stale_file_whose_lock_is_held_is_left_saying_why()
    {
        var (process, _) = await Left("web");
        Store.Write("web", Store.Read("web", _project.SessionId)! with { ProcessStartTime = 1 });
        var entry = Assert.Single(Store.Inspect());
        using (DaemonLock.TryAcquire(Store.LockPathFor("web", _project.SessionId)))
        {
            var outcome = await OrphanStopper.StopAsync(Store, entry, Grace, force: true);
            Assert.Equal(StopResult.Refused, outcome.Kind);
            Assert.Equal($"{Who("web", process.Pid)}: stale PID file (that pid now belongs to another process) left: a running supervisor holds its daemon's lock; nothing signalled", outcome.Message);
        }
        Assert.Single(_project.PidFiles());
        AssertUntouched(process);
        foreach (var f in _project.PidFiles()) File.Delete(f);
    }

    [Fact]
    public async Task An_unusable_file_is_removed_or_left_under_a_held_lock_and_nothing_is_signalled()
    {
        Store.EnsureDirectories();
        var path = Store.PathFor("web", _project.SessionId);
        File.WriteAllText(path, "garbage");
        var entry = Assert.Single(Store.Inspect());
        var problem = entry.Problem;

        using (DaemonLock.TryAcquire(Store.LockPathFor("web", _project.SessionId)))
        {
            var left = await OrphanStopper.StopAsync(Store, entry, Grace, force: true);
            Assert.Equal(new StopOutcome("web", _project.SessionId, 0, StopResult.Refused,
                $"web (session {_project.SessionId}, pid unknown): unusable PID file ({problem}) left: a running supervisor holds its daemon's lock; nothing signalled"), left);
        }
        var removed = await OrphanStopper.StopAsync(Store, entry, Grace, force: false);
        Assert.Equal($"web (session {_project.SessionId}, pid unknown): unusable PID file removed ({problem}); nothing signalled", removed.Message);
        Assert.Equal(StopResult.Stale, removed.Kind);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task A_file_of_unknown_session_is_named_as_such()
    {
        Store.EnsureDirectories();
        File.WriteAllText(Path.Combine(Store.PidDir, "junk.pid"), "garbage");
        var entry = Assert.Single(Store.Inspect());
        var outcome = await OrphanStopper.StopAsync(Store, entry, Grace, force: false);
        Assert.StartsWith("junk (session unknown, pid unknown): unusable PID file removed (", outcome.Message);
        Assert.Equal(("junk", ""), (outcome.Name, outcome.Session));
    }

    [Fact]
    public async Task A_daemon_whose_lock_cannot_be_used_is_not_stopped()
    {
        var (process, entry) = await Left("web");
        Directory.CreateDirectory(Store.LockPathFor("web", _project.SessionId));

        var outcome = await OrphanStopper.StopAsync(Store, entry, Grace, force: true);

        Assert.Equal(StopResult.Refused, outcome.Kind);
        Assert.StartsWith($"{Who("web", process.Pid)}: not stopped: cannot take its lock: ", outcome.Message);
        AssertUntouched(process);
        Directory.Delete(Store.LockPathFor("web", _project.SessionId));
    }

    [Fact]
    public async Task An_untracked_launch_whose_supervisor_died_is_stopped_with_its_members_counted()
    {
        var spec = _project.Daemon("web");
        var process = Orphans.Launch(_project, Store, spec, 0, supervisor: Orphans.DeadProcess());
        _daemons.Add(process);
        await _project.Signals.WaitForStart(process.Pid);
        var launch = Assert.Single(Store.Untracked([]));

        var outcome = await OrphanStopper.StopAsync(Store, launch, Grace, force: false);

        Assert.Equal(new StopOutcome("web", _project.SessionId, process.Pid, StopResult.Stopped,
            $"web (session {_project.SessionId}, pid {process.Pid}, no PID file): stopped (1 process of a launch whose supervisor died before writing its PID file)"), outcome);
        Assert.Contains("SIGTERM", _project.Signals.EventsOf(process.Pid));
    }

    [Fact]
    public async Task An_untracked_launch_whose_lock_cannot_be_used_is_not_stopped()
    {
        var process = Orphans.Launch(_project, Store, _project.Daemon("web"), 0, supervisor: Orphans.DeadProcess());
        _daemons.Add(process);
        await _project.Signals.WaitForStart(process.Pid);
        var launch = Assert.Single(Store.Untracked([]));
        Directory.CreateDirectory(Store.LockPathFor("web", _project.SessionId));

        var outcome = await OrphanStopper.StopAsync(Store, launch, Grace, force: true);

        Assert.Equal(StopResult.Refused, outcome.Kind);
        Assert.StartsWith($"web (session {_project.SessionId}, pid {process.Pid}, no PID file): not stopped: cannot take its lock: ", outcome.Message);
        AssertUntouched(process);
        Directory.Delete(Store.LockPathFor("web", _project.SessionId));
    }

    [Fact]
    public async Task An_untracked_launch_of_two_processes_is_stopped_counting_both()
    {
        var spec = _project.Daemon("web", "--spawn-grandchildren", "1", "--grandchild-pids", Path.Combine(_project.Dir, "grandchildren"));
        var process = Orphans.Launch(_project, Store, spec, 0, supervisor: Orphans.DeadProcess());
        _daemons.Add(process);
        Assert.True(SpinWait.SpinUntil(() => Store.Untracked([]) is [{ Members.Count: 2 }], TimeSpan.FromSeconds(30)));
        var launch = Assert.Single(Store.Untracked([]));

        var outcome = await OrphanStopper.StopAsync(Store, launch, Grace, force: false);

        Assert.EndsWith("no PID file): stopped (2 processes of a launch whose supervisor died before writing its PID file)", outcome.Message);
    }

    [Fact]
    public async Task An_untracked_launch_of_a_running_supervisor_or_under_a_held_lock_is_refused_unless_forced()
    {
        var spec = _project.Daemon("web");
        var process = Orphans.Launch(_project, Store, spec, 0); // launched by this (running) process
        _daemons.Add(process);
        await _project.Signals.WaitForStart(process.Pid);
        var launch = Assert.Single(Store.Untracked([]));
        var who = $"web (session {_project.SessionId}, pid {process.Pid}, no PID file)";

        var running = await OrphanStopper.StopAsync(Store, launch, Grace, force: false);
        Assert.Equal($"{who}: not stopped: it was started by a running supervisor (pid {Environment.ProcessId}) that has not recorded it yet; use --force to stop it anyway", running.Message);
        Assert.Equal(StopResult.Refused, running.Kind);

        using (DaemonLock.TryAcquire(Store.LockPathFor("web", _project.SessionId)))
        {
            var locked = await OrphanStopper.StopAsync(Store, launch with { Tag = launch.Tag with { Supervisor = Orphans.DeadProcess() } }, Grace, force: false);
            Assert.Equal($"{who}: not stopped: a running supervisor (pid {Environment.ProcessId}) holds its lock; use --force to stop it anyway", locked.Message);
        }
        AssertUntouched(process);

        var forced = await OrphanStopper.StopAsync(Store, launch, Grace, force: true);
        Assert.Equal(StopResult.Stopped, forced.Kind);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var d in _daemons) await d.StopAsync(TimeSpan.FromSeconds(5));
        foreach (var f in _project.PidFiles()) File.Delete(f);
        try { await _project.AssertNothingLeftBehind(); }
        finally { _project.Dispose(); }
    }
}
