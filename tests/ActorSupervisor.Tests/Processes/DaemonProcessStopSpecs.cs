using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Processes;

/// <summary>
/// Stop and Kill against daemons whose descendants linger, leave the group or leave the session: shell scripts that
/// start test daemons (which record every signal they catch and their exit) the way real programs do, with
/// `setsid -f` (a new session) and perl's setpgrp (a new group in the same session).
/// </summary>
public sealed class DaemonProcessStopSpecs : IDisposable
{
    private readonly TestProject _project = new();

    private string Record => _project.Signals.Path;

    /// <summary>The test daemon recording its signals, as a shell word.</summary>
    private string Daemon(string flags = "") => $"'{TestDaemon.Path}' {flags} --record-signals '{Record}'".Replace("  ", " ");

    private DaemonProcess LaunchScript(string script, bool tagged)
    {
        var request = new LaunchRequest
        {
            Argv = ["/bin/sh", "-c", script],
            WorkDir = _project.Dir,
            LogPath = Path.Combine(_project.Dir, "logs", "d.log"),
            Environment = [new(TestProject.TagVariable, _project.Tag)],
            Tag = tagged ? LaunchTag.New(_project.Dir, "dp", "script") : null,
        };
        return DaemonProcess.Launch(request);
    }

    private async Task<int[]> Started(int count)
    {
        int[] started = [];
        await Poll.Until(() => (started = _project.Signals.Started.ToArray()).Length >= count, $"{count} daemons did not start");
        return started;
    }

    [Fact]
    public async Task A_grandchild_that_takes_its_time_after_SIGTERM_is_given_the_grace_and_stop_returns_when_it_is_gone()
    {
        var ready = Path.Combine(_project.Dir, "ready");
        var graceful = Path.Combine(_project.Dir, "graceful");
        // A grandchild in the daemon's group that needs two seconds to shut down after SIGTERM.
        var process = LaunchScript(
            $"sh -c 'trap \"sleep 2; echo done > {graceful}; exit 0\" TERM; echo 1 > {ready}; sleep 1000 & wait' &\n" +
            $"exec {Daemon()}", tagged: false);
        await _project.Signals.WaitForStart(process.Pid);
        await Poll.Until(() => File.Exists(ready), "the grandchild did not set its trap");

        var exit = await process.StopAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, exit.ExitCode);
        _project.Signals.AssertStoppedGracefully(process.Pid, "the daemon");
        // Nothing is left the moment stop returns, and the grandchild ended by itself within the grace: no SIGKILL.
        Assert.Empty(_project.LiveProcesses());
        Assert.True(File.Exists(graceful), "the grandchild was killed before it could finish its shutdown");
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_detached_copy_that_ignores_SIGTERM_gets_it_then_SIGKILL_after_the_grace_and_is_no_part_of_the_stopped_exit()
    {
        var process = LaunchScript($"setsid -f {Daemon("--ignore-sigterm")}\nexec {Daemon()}", tagged: true);
        var started = await Started(2);
        var copy = started.Single(p => p != process.Pid);

        var exit = await process.StopAsync(TimeSpan.FromSeconds(1));

        Assert.Equal(0, exit.ExitCode);
        Assert.Empty(exit.Detached); // a stop asked for is not a daemon that daemonized itself
        _project.Signals.AssertStoppedGracefully(process.Pid, "the daemon");
        Assert.Contains("SIGTERM", _project.Signals.EventsOf(copy));
        _project.Signals.AssertKilled(copy, "the detached copy");
        Assert.Empty(_project.LiveProcesses()); // nothing is left the moment stop returns
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Kill_of_a_running_daemon_reaches_a_detached_copy_by_its_tag_and_the_untagged_group_the_copy_leads()
    {
        // The copy leads a session and group of its own and starts a child there without the launch tag.
        var process = LaunchScript(
            $"setsid -f sh -c \"env -u {LaunchTag.Variable} {Daemon()} & exec {Daemon()}\"\nexec {Daemon()}", tagged: true);
        var started = await Started(3);
        var untagged = started.Single(p => p != process.Pid && LaunchTag.Of(p) is null);
        var copy = started.Single(p => p != process.Pid && p != untagged);

        process.Kill();

        Assert.Equal(9, (await process.Exit.WaitAsync(TimeSpan.FromSeconds(30))).Signal);
        await Poll.Until(() => !started.Any(ProcessScan.IsAlive), "a process of the daemon survived Kill");
        foreach (var pid in started) _project.Signals.AssertKilled(pid, $"pid {pid}");
        await Poll.Until(() => ProcFs.Stat(copy) is null, $"pid {copy} was not reaped (a zombie of ours would remain)");
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Kill_after_a_daemonizing_exit_sweeps_up_a_copy_that_detached_after_the_exit_was_looked_at()
    {
        var go = Path.Combine(_project.Dir, "go");
        var detached = Path.Combine(_project.Dir, "detached");
        // The leader leaves a detached copy and exits once the copy has its own session; the copy detaches one more,
        // but only once told to, which is after the exit's look for detached processes: a straggler that only the
        // sweep after Kill can find.
        var process = LaunchScript(
            $"setsid -f sh -c \"echo 1 > '{detached}'; until [ -e '{go}' ]; do sleep 0.05; done; setsid -f {Daemon()}; exec {Daemon()}\"\n" +
            $"until [ -e '{detached}' ]; do sleep 0.05; done\nexit 0", tagged: true);
        var exit = await process.Exit.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotEmpty(exit.Detached); // the copy (and the `sleep` of its wait loop, if one was running)
        await File.WriteAllTextAsync(go, "");
        var started = await Started(2);
        var copy = started.Single(exit.Detached.Contains);
        var straggler = started.Single(p => !exit.Detached.Contains(p));

        process.Kill();

        await Poll.Until(() => !ProcessScan.IsAlive(copy) && !ProcessScan.IsAlive(straggler), "the copy or the straggler survived Kill");
        _project.Signals.AssertKilled(copy, "the copy seen at exit");
        _project.Signals.AssertKilled(straggler, "the straggler");
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Kill_of_a_running_untagged_daemon_reaches_a_member_of_its_session_in_another_group()
    {
        var process = LaunchScript($"perl -e 'setpgrp(0,0); exec @ARGV' {Daemon()} &\nexec {Daemon()}", tagged: false);
        var started = await Started(2);
        var member = started.Single(p => p != process.Pid);
        Assert.NotEqual(process.ProcessGroup, ProcFs.Stat(member)!.Value.ProcessGroup);

        process.Kill();

        Assert.Equal(9, (await process.Exit.WaitAsync(TimeSpan.FromSeconds(30))).Signal);
        await Poll.Until(() => !ProcessScan.IsAlive(member), "the session member survived Kill");
        _project.Signals.AssertKilled(member, "the session member");
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Once_the_leader_is_reaped_its_old_session_id_no_longer_makes_a_process_the_daemons_nor_a_zombie_a_group_member()
    {
        // The session id is the leader's pid: once the leader is reaped it may be reused, so it proves nothing.
        // Before leaving the group, the member forks a child that exits at once and is never reaped (the member
        // execs the test daemon, which waits for no child it did not start): a zombie left in the daemon's group.
        var process = LaunchScript(
            $"perl -e 'exit 0 if fork() == 0; setpgrp(0,0); exec @ARGV' {Daemon()} &\n" +
            $"until grep -q ' start$' '{Record}' 2>/dev/null; do sleep 0.05; done\nexit 3", tagged: false);
        Assert.Equal(3, (await process.Exit.WaitAsync(TimeSpan.FromSeconds(30))).ExitCode);
        var member = Assert.Single(_project.Signals.Started);
        await Poll.Until(() => ZombieChildrenIn(member, process.ProcessGroup) == 1, "the member's child did not become a zombie in the group");
        Assert.False(process.GroupHasMembers()); // a zombie that nobody reaps is not a member

        await process.StopAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(["start"], _project.Signals.EventsOf(member));
        Assert.True(ProcessScan.IsAlive(member));
        Assert.True(Signals.SendExactly(ProcessIdentity.Of(member)!.Value, Native.SIGTERM));
        await _project.Signals.WaitFor(member, "exit 0");
        await _project.AssertNothingLeftBehind();
    }

    /// <summary>Zombie children of <paramref name="parent"/> in process group <paramref name="group"/>.</summary>
    private static int ZombieChildrenIn(int parent, int group) =>
        Directory.GetDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? ProcFs.Stat(pid) : null)
            .Count(s => s is { IsZombie: true } z && z.ParentPid == parent && z.ProcessGroup == group);

    public void Dispose() => _project.Dispose();
}
