using System.Diagnostics;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Processes;

/// <summary>
/// Signals by identity and by launch tag. Signal 0 tests whether a signal would be delivered without delivering one:
/// it is what these specs send where a wrongful success must be seen without harming the target (pid 1, this process).
/// </summary>
public sealed class SignalsSpecs
{
    [Fact]
    public void Neither_pid_1_nor_this_process_is_ever_signalled()
    {
        Assert.False(Signals.SendExactly(ProcessIdentity.Of(1)!.Value, 0));
        Assert.False(Signals.SendExactly(ProcessIdentity.Self, 0));
        Assert.False(Signals.SendExactly(ProcessIdentity.Self, 0, andGroup: true));
    }

    [Fact]
    public async Task A_live_process_is_signalled_and_one_that_is_gone_is_not()
    {
        using var child = Process.Start(new ProcessStartInfo("sleep", "300") { UseShellExecute = false })!;
        try
        {
            var identity = ProcessIdentity.Of(child.Id)!.Value;
            Assert.True(Signals.SendExactly(identity, 0));
            Assert.False(Signals.SendExactly(identity with { StartTime = identity.StartTime + 1 }, 0));
            Assert.False(Signals.SendExactly(Orphans.DeadProcess(), 0));
        }
        finally
        {
            child.Kill();
            await child.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task A_group_leader_signalled_with_its_group_counts_as_signalled()
    {
        using var project = new TestProject();
        await using (var shell = await TaggedShell.StartAsync(project, "sleep 300 & exec sleep 301", setsid: true))
        {
            await shell.ChildRunning("sleep");
            Assert.True(Signals.SendExactly(shell.Identity, 0, andGroup: true));
        }
        await project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Killing_a_launch_kills_the_group_its_tagged_leader_leads_untagged_members_too()
    {
        using var project = new TestProject();
        await using (var shell = await TaggedShell.StartAsync(project, $"env -u {LaunchTag.Variable} sleep 300 & exec sleep 301", setsid: true))
        {
            var untagged = await shell.ChildRunning("sleep");
            Assert.Null(ProcFs.EnvironmentVariable(untagged, LaunchTag.Variable));

            Assert.Equal(1, Signals.KillLaunch(shell.Tag.LaunchId));
            await shell.WaitForExit();
            await Poll.Until(() => !ProcessScan.IsAlive(untagged), "the untagged member of the launch's group killed");
        }
        await project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Stopping_a_launch_sends_SIGTERM_to_its_group_and_returns_once_all_of_it_is_gone()
    {
        // The grace is an hour: the stop must end when the launch does, not when the grace does.
        using var project = new TestProject();
        var record = project.Signals;
        await using (var shell = await TaggedShell.StartAsync(project,
                         $"env -u {LaunchTag.Variable} sleep 300 & exec {TestDaemon.Path} --record-signals {record.Path}", setsid: true))
        {
            var untagged = await shell.ChildRunning("sleep");
            await record.WaitFor(shell.Pid, "start");

            var stopped = await Signals.StopLaunchAsync(shell.Tag.LaunchId, TimeSpan.FromHours(1)).WaitAsync(Poll.Patience);

            Assert.Equal(1, stopped);
            // SIGTERM reaches the leader twice (itself, and as a member of its group): it ended by itself, with 0.
            Assert.Contains("SIGTERM", record.EventsOf(shell.Pid));
            record.AssertExitedByItself(shell.Pid, "the launch's leader");
            await Poll.Until(() => !ProcessScan.IsAlive(untagged), "the untagged member of the launch's group stopped by SIGTERM");
        }
        await project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_launch_that_ignores_SIGTERM_is_killed_group_and_all_once_the_grace_is_over()
    {
        using var project = new TestProject();
        await using (var shell = await TaggedShell.StartAsync(project,
                         $"trap '' TERM; env -u {LaunchTag.Variable} sleep 300 & exec sleep 301", setsid: true))
        {
            var untagged = await shell.ChildRunning("sleep");

            var stopped = await Signals.StopLaunchAsync(shell.Tag.LaunchId, TimeSpan.FromMilliseconds(200)).WaitAsync(Poll.Patience);

            Assert.Equal(1, stopped);
            Assert.Empty(ProcessTable.OfLaunch(shell.Tag.LaunchId));
            await shell.WaitForExit();
            await Poll.Until(() => !ProcessScan.IsAlive(untagged), "the untagged member of the launch's group killed");
        }
        await project.AssertNothingLeftBehind();
    }
}
