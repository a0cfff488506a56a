using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Processes;

/// <summary>
/// The reaper: this process is a child subreaper, so the descendant of a daemon whose parent died is handed to it,
/// and it reaps such an orphan once it ends, but only one it can prove is a descendant of its own launches.
/// </summary>
public sealed class ReaperSpecs
{
    [Fact]
    public void Once_enabled_this_process_is_a_child_subreaper()
    {
        Reaper.Enable();
        Assert.True(Reaper.IsSubreaper);
    }

    [Fact]
    public async Task A_descendant_marked_as_ours_is_handed_to_this_process_when_its_parent_dies_and_reaped_when_it_ends()
    {
        using var project = new TestProject();
        var self = Environment.ProcessId;
        await using var shell = await TaggedShell.StartAsync(project, $"env -u {LaunchTag.Variable} sleep 300 & read x");
        var orphan = await shell.ChildRunning("sleep");
        var identity = ProcessIdentity.Of(orphan)!.Value;
        Reaper.RememberLaunch(shell.Tag.LaunchId);
        Reaper.MarkDescendant(identity);

        shell.WriteLine("exit");
        await shell.WaitForExit();
        await Poll.Until(() => ProcFs.Stat(orphan)?.ParentPid == self, "the orphan handed to this process, its subreaper");

        // Untagged and in this process's own session: only the mark makes it provably a descendant.
        Native.kill(orphan, Native.SIGKILL);
        await Poll.Until(() =>
        {
            Reaper.Sweep();
            return ProcFs.Stat(orphan)?.StartTime != identity.StartTime;
        }, "the orphan reaped");
        await project.AssertNothingLeftBehind();
    }
}
