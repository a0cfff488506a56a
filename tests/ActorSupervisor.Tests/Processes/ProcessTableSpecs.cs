using System.Diagnostics;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Processes;

/// <summary>Snapshots of /proc shared between callers: sharing must never hide a process that existed when one asked.</summary>
public sealed class ProcessTableSpecs
{
    [Fact]
    public async Task A_shared_snapshot_begins_after_every_caller_asked_and_shows_a_process_that_ran_then()
    {
        using var child = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try
        {
            var asked = Stopwatch.GetTimestamp();
            var asks = Enumerable.Range(0, 50).Select(_ => ProcessTable.FreshAsync()).ToArray();
            var snapshots = await Task.WhenAll(asks);
            Assert.All(snapshots, s =>
            {
                Assert.True(s.TakenAt >= asked, "a snapshot begun before its caller asked");
                Assert.Contains(s.Processes, p => p.Pid == child.Id && !p.IsZombie);
            });

            // Asked after those scans began: only a later scan will do.
            var later = Stopwatch.GetTimestamp();
            var again = await ProcessTable.FreshAsync();
            Assert.True(again.TakenAt >= later);
            Assert.True(again.TakenAt > snapshots.Max(s => s.TakenAt));
        }
        finally
        {
            child.Kill();
            await child.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task A_launch_scanned_while_it_was_being_spawned_is_still_found_by_its_tag_afterwards()
    {
        // Until its exec completes, a spawned child shows its parent's environment, which has no launch tag: a scan
        // that reads it then must not decide for good that the process is untagged. Scans run without pause while
        // the daemons are launched, so some of them read a child mid-spawn.
        using var project = new TestProject();
        var launched = new List<DaemonProcess>();
        using var stop = new CancellationTokenSource();
        var scanning = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested) _ = ProcessTable.Fresh().Tagged;
        });
        try
        {
            for (var i = 0; i < 40; i++) launched.Add(Orphans.Launch(project, project.Store, project.Daemon($"d{i}"), 0));
            await stop.CancelAsync();
            await scanning;

            var missing = launched.Where(d => ProcessTable.OfLaunch(d.LaunchId!).All(t => t.Process.Pid != d.Pid)).Select(d => d.Pid).ToList();
            Assert.Empty(missing);
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var d in launched) await d.StopAsync(TimeSpan.FromSeconds(5));
            foreach (var f in project.PidFiles()) File.Delete(f);
            await project.AssertNothingLeftBehind();
        }
    }

    [Fact]
    public async Task A_group_has_live_members_while_its_leader_runs_and_none_once_it_is_gone()
    {
        var leader = Process.Start(new ProcessStartInfo("setsid", "sleep 300") { UseShellExecute = false })!;
        var group = leader.Id;
        try
        {
            await Poll.Until(() => ProcFs.Stat(group)?.ProcessGroup == group, "the sleep leading its own group");
            Assert.True(ProcessTable.GroupHasLiveMembers(group));
        }
        finally
        {
            leader.Kill();
            await leader.WaitForExitAsync();
            leader.Dispose();
        }
        Assert.False(ProcessTable.GroupHasLiveMembers(group));
    }

    [Fact]
    public void Group_0_the_kernel_s_own_threads_is_never_a_group_with_members()
    {
        // kthreadd and the kernel threads have process group 0 (where /proc shows them, outside a PID namespace).
        Assert.False(ProcessTable.GroupHasLiveMembers(0));
        Assert.False(ProcessTable.GroupHasLiveMembers(-1));
    }

    [Fact]
    public async Task A_process_seen_with_a_launch_tag_keeps_it_after_it_execs_without_one()
    {
        // The tag a process was started with is what makes it part of the launch; a later exec may drop the variable
        // (or a program may rewrite its environment), and it is still the same process.
        using var project = new TestProject();
        await using (var shell = await TaggedShell.StartAsync(project, $"read x; exec env -u {LaunchTag.Variable} sleep 300"))
        {
            await Poll.Until(() => ProcessTable.OfLaunch(shell.Tag.LaunchId).Any(t => t.Process.Pid == shell.Pid), "the launch found by its tag");
            shell.WriteLine("go");
            await Poll.Until(() => ProcessScan.CommandLine(shell.Pid) is ["sleep", "300"] &&
                                   ProcFs.EnvironmentVariable(shell.Pid, LaunchTag.Variable) is null, "the exec without the tag");

            Assert.Equal([shell.Identity], ProcessTable.OfLaunch(shell.Tag.LaunchId).Select(t => t.Identity));
        }
        await project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_tagged_process_that_has_ended_is_no_member_of_its_launch_while_it_waits_to_be_reaped()
    {
        using var project = new TestProject();
        await using (var shell = await TaggedShell.StartAsync(project, "sleep 300 & exec sleep 301"))
        {
            var child = await shell.ChildRunning("sleep");
            var childIdentity = ProcessIdentity.Of(child)!.Value;
            await Poll.Until(() => ProcessTable.OfLaunch(shell.Tag.LaunchId).Count == 2, "both processes of the launch found");

            Native.kill(child, Native.SIGKILL);
            await Poll.Until(() => ProcessScan.IsZombie(child), "the child a zombie of its parent, which never waits");

            Assert.Equal([shell.Identity], ProcessTable.OfLaunch(shell.Tag.LaunchId).Select(t => t.Identity));
            Assert.Equal(childIdentity.StartTime, ProcFs.Stat(child)!.Value.StartTime);
        }
        await project.AssertNothingLeftBehind();
    }
}
