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
    public static Idle Measure(int pid, double seconds)
    {
        var ticks0 = ProcFs.CpuTicks(pid) ?? throw new BenchmarkFailure($"pid {pid} is gone before the idle measurement");
        var machine0 = ProcFs.MachineTicks();
        var wall0 = Native.NowNs();
        var end = wall0 + (long)(seconds * 1e9);
        double pssMax = 0;
        while (true)
        {
            var left = end - Native.NowNs();
            if (left <= 0) break;
            Thread.Sleep(TimeSpan.FromTicks(Math.Min(left / 100, TimeSpan.TicksPerSecond)));
            pssMax = Math.Max(pssMax, (ProcFs.PssKb(pid) ?? 0) / 1024.0);
        }
        var ticks1 = ProcFs.CpuTicks(pid) ?? throw new BenchmarkFailure($"pid {pid} died during the idle measurement");
        var machine1 = ProcFs.MachineTicks();
        var wall1 = Native.NowNs();
        var wallSeconds = (wall1 - wall0) / 1e9;
        var pss = (ProcFs.PssKb(pid) ?? 0) / 1024.0;
        var rss = (ProcFs.RssKb(pid) ?? 0) / 1024.0;
        var uss = (ProcFs.UssKb(pid) ?? 0) / 1024.0;
        var ticks = ticks1 - ticks0;
        return new Idle(wallSeconds, ticks, ticks / (double)ProcFs.ClockTicksPerSecond / wallSeconds * 100, pss, uss, rss,
            Math.Max(pssMax, pss), ProcFs.Threads(pid), ProcFs.OpenFds(pid),
            (machine1.Busy - machine0.Busy) / (double)ProcFs.ClockTicksPerSecond / wallSeconds * 100);
    }
}
