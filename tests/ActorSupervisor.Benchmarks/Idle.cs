namespace ActorSupervisor.Benchmarks;

/// <summary>A process's CPU and memory while it does its steady-state work, read from /proc from outside.</summary>
internal sealed record Idle(double Seconds, long CpuTicks, double CpuPercent, double PssMb, double UssMb, double RssMb, double PssMaxMb, long? Threads, int? OpenFds,
    double MachineBusyPercent)
{
    /// <summary>
    /// utime+stime over <paramref name="seconds"/> of wall time (as % of one core; clock ticks are 100/s), and PSS
    /// (smaps_rollup) sampled once a second, reported at the end and as the maximum seen; USS (its private pages, which
    /// no other process shares) and VmRSS at the end. The whole machine's busy CPU over the same window (% of one core,
    /// all cores summed) tells whether something else was running and disturbing the figure.
    /// </summary>
    public static Idle Measure(int pid, double seconds) => Measure([pid], seconds);

    /// <summary>
    /// The same for a supervisor made of several processes (runit's runsvdir and one runsv per daemon, s6's
    /// s6-svscan and one s6-supervise per daemon): CPU, PSS, USS, RSS, threads and fds are summed over
    /// <paramref name="pids"/>, which must all live through the window.
    /// </summary>
    public static Idle Measure(IReadOnlyList<int> pids, double seconds)
    {
        long? Sum(Func<int, long?> read)
        {
            long total = 0;
            foreach (var p in pids)
            {
                if (read(p) is not { } v) return null;
                total += v;
            }
            return total;
        }
        var ticks0 = Sum(ProcFs.CpuTicks) ?? throw new BenchmarkFailure($"a supervisor process ({string.Join(' ', pids.Take(5))}...) is gone before the idle measurement");
        var machine0 = ProcFs.MachineTicks();
        var wall0 = Native.NowNs();
        var end = wall0 + (long)(seconds * 1e9);
        double pssMax = 0;
        while (true)
        {
            var left = end - Native.NowNs();
            if (left <= 0) break;
            Thread.Sleep(TimeSpan.FromTicks(Math.Min(left / 100, TimeSpan.TicksPerSecond)));
            pssMax = Math.Max(pssMax, (Sum(ProcFs.PssKb) ?? 0) / 1024.0);
        }
        var ticks1 = Sum(ProcFs.CpuTicks) ?? throw new BenchmarkFailure("a supervisor process died during the idle measurement");
        var machine1 = ProcFs.MachineTicks();
        var wall1 = Native.NowNs();
        var wallSeconds = (wall1 - wall0) / 1e9;
        var pss = (Sum(ProcFs.PssKb) ?? 0) / 1024.0;
        var rss = (Sum(ProcFs.RssKb) ?? 0) / 1024.0;
        var uss = (Sum(ProcFs.UssKb) ?? 0) / 1024.0;
        var ticks = ticks1 - ticks0;
        return new Idle(wallSeconds, ticks, ticks / (double)ProcFs.ClockTicksPerSecond / wallSeconds * 100, pss, uss, rss,
            Math.Max(pssMax, pss), Sum(ProcFs.Threads), (int?)Sum(p => ProcFs.OpenFds(p)),
            (machine1.Busy - machine0.Busy) / (double)ProcFs.ClockTicksPerSecond / wallSeconds * 100);
    }
}
