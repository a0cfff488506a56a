using System.Diagnostics;
using System.Security.Cryptography;

namespace ActorSupervisor.Benchmarks;

/// <summary>
/// One benchmark run's shared state: its tag (BENCH_TAG, carried by every daemon it starts), its temp dir, the
/// compiled benchdaemon, and every process it must never leave behind. <see cref="Cleanup"/> is safe to call from
/// any path (normal end, failure, Ctrl-C, SIGTERM) and more than once.
/// </summary>
internal sealed class BenchContext
{
    private readonly object _gate = new();
    private readonly HashSet<Process> _tracked = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _cleanedUp;

    public Options Options { get; }
    public string Tag { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
    public string TempDir { get; }
    public string ProjectDir { get; }
    public string DaemonPath { get; }
    public SupervisorProcess? Supervisor { get; set; }

    /// <summary>The actorsupervisor executable under test.</summary>
    public string Cli { get; set; } = "";

    /// <summary>What did not work; any entry makes the run exit non-zero.</summary>
    public List<string> Problems { get; } = [];

    public BenchContext(Options options)
    {
        Options = options;
        TempDir = Directory.CreateTempSubdirectory("asbench-").FullName;
        ProjectDir = Directory.CreateDirectory(Path.Combine(TempDir, "project")).FullName;
        DaemonPath = Path.Combine(TempDir, "benchdaemon");
    }

    public void Progress(string message) => Console.Error.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:0.0}s] {message}");

    public void Problem(string message)
    {
        lock (_gate) Problems.Add(message);
        Progress("PROBLEM: " + message);
    }

    public void Track(Process p)
    {
        lock (_gate) _tracked.Add(p);
    }

    public void Untrack(Process p)
    {
        lock (_gate) _tracked.Remove(p);
    }

    /// <summary>
    /// Kills the supervisor and every process of this run (tracked or found by tag in /proc), then deletes the temp
    /// dir. Returns the tagged processes that were still alive when cleanup began.
    /// </summary>
    public List<int> Cleanup()
    {
        if (Interlocked.Exchange(ref _cleanedUp, 1) == 1) return [];
        try { Supervisor?.Dispose(); }
        catch (Exception e) when (e is InvalidOperationException or IOException) { }

        Process[] tracked;
        lock (_gate) tracked = [.. _tracked];
        foreach (var p in tracked)
        {
            try
            {
                if (!p.HasExited) Native.kill(p.Id, Native.SIGKILL);
            }
            catch (InvalidOperationException) { }
        }

        var leftovers = ProcFs.TaggedProcesses(Tag);
        for (var round = 0; round < 50; round++)
        {
            var alive = ProcFs.TaggedProcesses(Tag);
            if (alive.Count == 0) break;
            foreach (var pid in alive) Native.kill(pid, Native.SIGKILL);
            Thread.Sleep(20);
        }
        foreach (var p in tracked)
        {
            try { p.WaitForExit(1000); }
            catch (InvalidOperationException) { }
            p.Dispose();
        }

        if (Options.KeepTemp) Progress($"kept {TempDir}");
        else
        {
            try { Directory.Delete(TempDir, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Progress($"could not delete {TempDir}: {e.Message}"); }
        }
        return leftovers;
    }
}
