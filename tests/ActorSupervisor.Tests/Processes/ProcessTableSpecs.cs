using System.Diagnostics;
using ActorSupervisor.Processes;

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
}
