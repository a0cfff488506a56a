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
}
