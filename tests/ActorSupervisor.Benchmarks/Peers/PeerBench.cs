namespace ActorSupervisor.Benchmarks.Peers;

/// <summary>
/// Runs one peer supervisor over N benchdaemons and measures it from outside exactly as <see cref="SupervisorBench"/>
/// measures ours: start (launch to the last daemon's recorded start), restarts (kill -9 to the replacement's recorded
/// start, the same victims, spacing and minimum age), idle CPU and memory of every supervisor process (PSS summed),
/// and stop (the stop request to the last daemon's exit, through pidfds).
/// </summary>
internal sealed class PeerBench(BenchContext ctx, PeerSupervisor peer)
{
    public sealed record Results
    {
        public double StartLastMs { get; set; } = double.NaN;
        public double StartFirstMs { get; set; } = double.NaN;
        public List<double> RestartSamplesMs { get; } = [];
        public Stats RestartMs { get; set; } = Stats.Of([]);
        public Idle? Idle { get; set; }
        public int SupervisorProcesses { get; set; }
        public int IdleRestarts { get; set; }
        public double StopMs { get; set; } = double.NaN;
        public double StopSupervisorExitMs { get; set; } = double.NaN;
        public List<int> LeftBehind { get; set; } = [];
        public string LoadAverageBefore { get; set; } = "";
    }

    public Results Measured { get; } = new();

    public void Run()
    {
        var n = ctx.Options.Daemons;
        var run = new PeerRun(ctx, Path.Combine(ctx.TempDir, "peer-" + peer.Name), n);
        var starts = new StartsLog(run.StartsPath);
        peer.Prepare(run);
        Measured.LoadAverageBefore = ProcFs.LoadAverage();
        ctx.Progress($"{peer.Name}: start {n} benchdaemons");
        var t0 = Native.NowNs();
        peer.Launch(run);
        try
        {
            var slots = MeasureStart(run, starts, t0);
            MeasureRestarts(starts, slots);
            MeasureIdle(run, starts);
            MeasureStop(run);
        }
        finally
        {
            KillWhatIsLeft();
        }
    }

    private List<int> MeasureStart(PeerRun run, StartsLog starts, long t0)
    {
        var n = run.Daemons;
        var timeout = TimeSpan.FromSeconds(30 + n / 10.0);
        var deadline = DateTime.UtcNow + timeout;
        while (starts.All.Select(s => s.Pid).Distinct().Count() < n)
        {
            if (DateTime.UtcNow > deadline)
                throw new BenchmarkFailure($"{peer.Name}: only {starts.Count} of {n} daemons started within {timeout.TotalSeconds:0} s");
            Thread.Sleep(2);
        }
        var first = starts.All.Take(n).ToList();
        Measured.StartLastMs = Ms(first.Max(s => s.Ns) - t0);
        Measured.StartFirstMs = Ms(first.Min(s => s.Ns) - t0);
        ctx.Progress($"{peer.Name}: last daemon started after {Measured.StartLastMs:0.0} ms");
        var slots = first.Select(s => s.Pid).ToList();
        if (slots.Distinct().Count() != n) throw new BenchmarkFailure($"{peer.Name}: daemons restarted while starting");
        return slots;
    }

    private void MeasureRestarts(StartsLog starts, List<int> slots)
    {
        // The same schedule as SupervisorBench: the same seed, victims, minimum age and spacing.
        var kills = ctx.Options.Kills;
        var n = slots.Count;
        var minAgeNs = (long)(ctx.Options.MinAgeBeforeKill.TotalMilliseconds * 1e6);
        var random = new Random(12345);
        ctx.Progress($"{peer.Name}: {kills} kill -9 restarts, each victim up > {ctx.Options.MinAgeBeforeKill.TotalSeconds} s");
        for (var k = 0; k < kills; k++)
        {
            var preferred = (int)((long)k * n / kills % n);
            var slot = -1;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            while (slot < 0)
            {
                var now = Native.NowNs();
                for (var j = 0; j < n && slot < 0; j++)
                {
                    var i = (preferred + j) % n;
                    if (starts.StartOf(slots[i]) is { } started && now - started >= minAgeNs && ProcFs.IsLive(slots[i])) slot = i;
                }
                if (slot >= 0) break;
                if (DateTime.UtcNow > deadline) throw new BenchmarkFailure($"{peer.Name}: no daemon has been running long enough to be killed");
                Thread.Sleep(50);
            }

            var known = starts.Count;
            var oldPid = slots[slot];
            var tKill = Native.NowNs();
            if (Native.kill(oldPid, Native.SIGKILL) != 0)
                throw new BenchmarkFailure($"{peer.Name}: kill -9 {oldPid} failed: errno {Native.LastError}");
            // Only one daemon died, so the next start recorded is its replacement.
            var waitUntil = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            (int Pid, long Ns)? replacement = null;
            while (replacement is null)
            {
                if (starts.Count > known) replacement = starts.All[known];
                else if (DateTime.UtcNow > waitUntil)
                    throw new BenchmarkFailure($"{peer.Name}: kill -9 of pid {oldPid} was not followed by a restart within 10 s");
                else Thread.Sleep(1);
            }
            slots[slot] = replacement.Value.Pid;
            Measured.RestartSamplesMs.Add(Ms(replacement.Value.Ns - tKill));
            Thread.Sleep(random.Next(100, 300));
        }
        Measured.RestartMs = Stats.Of(Measured.RestartSamplesMs);
        ctx.Progress($"{peer.Name}: restart median {Measured.RestartMs.Median:0.00} ms, p90 {Measured.RestartMs.P90:0.00} ms");
    }

    private void MeasureIdle(PeerRun run, StartsLog starts)
    {
        Thread.Sleep(ctx.Options.IdleSettle);
        var before = starts.Count;
        var supervisors = SupervisorProcesses(run);
        Measured.SupervisorProcesses = supervisors.Count;
        ctx.Progress($"{peer.Name}: idle, {supervisors.Count} supervisor processes, measured over {ctx.Options.IdleSeconds} s");
        Measured.Idle = Idle.Measure(supervisors, ctx.Options.IdleSeconds);
        Measured.IdleRestarts = starts.Count - before;
        if (Measured.IdleRestarts > 0) ctx.Problem($"{peer.Name}: {Measured.IdleRestarts} daemon starts while idle");
        ctx.Progress($"{peer.Name}: idle CPU {Measured.Idle.CpuPercent:0.00} %, PSS {Measured.Idle.PssMb:0.0} MB");
    }

    /// <summary>The supervisor's processes: its roots and their descendants that are not daemons.</summary>
    private List<int> SupervisorProcesses(PeerRun run)
    {
        var daemons = ProcFs.ProcessesRunning(ctx.DaemonPath).ToHashSet();
        return ProcFs.ProcessTree(peer.Roots(run)).Where(p => !daemons.Contains(p)).ToList();
    }

    private void MeasureStop(PeerRun run)
    {
        var daemons = ProcFs.ProcessesRunning(ctx.DaemonPath);
        if (daemons.Count != run.Daemons) ctx.Problem($"{peer.Name}: {daemons.Count} daemons alive before stop, expected {run.Daemons}");
        var supervisors = SupervisorProcesses(run);
        using var waiter = new ExitWaiter(daemons);
        using var supWaiter = new ExitWaiter(supervisors);
        ctx.Progress($"{peer.Name}: stop, until none of the {daemons.Count} daemons is left");
        var t0 = Native.NowNs();
        peer.Stop(run);
        if (!waiter.WaitAll(TimeSpan.FromSeconds(30)))
            ctx.Problem($"{peer.Name}: {waiter.Remaining.Count} daemons still running 30 s after the stop");
        else if (waiter.ExitedAt.Count > 0) Measured.StopMs = Ms(waiter.ExitedAt.Values.Max() - t0);
        if (supWaiter.WaitAll(TimeSpan.FromSeconds(30)) && supWaiter.ExitedAt.Count > 0)
            Measured.StopSupervisorExitMs = Ms(supWaiter.ExitedAt.Values.Max() - t0);
        else ctx.Problem($"{peer.Name}: {supWaiter.Remaining.Count} supervisor processes still running 30 s after the stop");
        peer.AfterStop(run);
        Measured.LeftBehind = ProcFs.TaggedProcesses(ctx.Tag);
        if (Measured.LeftBehind.Count > 0)
            ctx.Problem($"{peer.Name}: {Measured.LeftBehind.Count} processes left behind after the stop: {string.Join(' ', Measured.LeftBehind.Take(10))}");
        ctx.Progress($"{peer.Name}: no daemon left {Measured.StopMs:0.0} ms after the stop; supervisor gone after {Measured.StopSupervisorExitMs:0.0} ms");
    }

    /// <summary>Whatever of this run still lives (after a failure, or a stop that left something) is killed now.</summary>
    private void KillWhatIsLeft()
    {
        for (var round = 0; round < 50; round++)
        {
            var alive = ProcFs.TaggedProcesses(ctx.Tag).Concat(ProcFs.ProcessesRunning(ctx.DaemonPath)).Distinct().ToList();
            if (alive.Count == 0) return;
            foreach (var pid in alive) Native.kill(pid, Native.SIGKILL);
            Thread.Sleep(20);
        }
    }

    private static double Ms(long ns) => ns / 1e6;
}
