using System.Text.Json;

namespace ActorSupervisor.Benchmarks;

/// <summary>
/// The supervisor under N benchdaemons, measured from outside: `actorsupervisor up` as a child process, its stdout
/// lines, the start times the daemons record, /proc. Phases: start, restarts after kill -9, idle, stop.
/// </summary>
internal sealed class SupervisorBench(BenchContext ctx, string? runDir = null)
{
    // Several runs in one benchmark process (--peers: the JIT and the native CLI) each get a directory of their own.
    private readonly string _dir = runDir ?? ctx.TempDir;
    private readonly string _projectDir = runDir is null ? ctx.ProjectDir : Directory.CreateDirectory(Path.Combine(runDir, "project")).FullName;

    public sealed record KillSample(string Daemon, int OldPid, int NewPid, double RestartMs, double? RunningMs);

    public sealed record Results
    {
        public double StartLastMs { get; set; } = double.NaN;
        public double StartAllRunningMs { get; set; } = double.NaN;
        public double StartFirstMs { get; set; } = double.NaN;
        public double StartUpLineMs { get; set; } = double.NaN;
        public int StartFailures { get; set; }
        public List<KillSample> Kills { get; } = [];
        public Stats RestartMs { get; set; } = Stats.Of([]);
        public Stats RestartToRunningMs { get; set; } = Stats.Of([]);
        public Idle? Idle { get; set; }
        public int IdleStateChanges { get; set; }
        public int IdleEstablishedProbeSockets { get; set; }
        public int IdleTimeWaitProbeSockets { get; set; }
        public double StopMs { get; set; } = double.NaN;
        public double StopSupervisorExitMs { get; set; } = double.NaN;
        public int StopDaemonsWatched { get; set; }
        public int? ExitCode { get; set; }
        public bool StoppedLine { get; set; }
        public List<int> LeftBehind { get; set; } = [];
        public int PidFilesLeft { get; set; }
        public string LoadAverageBefore { get; set; } = "";
    }

    public Results Measured { get; } = new();

    private readonly List<string> _names = [];
    private StartsLog _starts = null!;

    public void Run(string cli)
    {
        var n = ctx.Options.Daemons;
        _starts = new StartsLog(Path.Combine(_dir, "starts.txt"));
        for (var i = 0; i < n; i++) _names.Add($"bench{i:D4}");
        var specsPath = WriteSpecs();
        Measured.LoadAverageBefore = ProcFs.LoadAverage();
        var session = "bench-" + ctx.Tag[..8];

        ctx.Progress($"supervisor: actorsupervisor up with {n} benchdaemons (session {session})");
        var sup = ctx.Supervisor = SupervisorProcess.Launch(cli,
        [
            "up", "--specs", specsPath, "--project-dir", _projectDir, "--session", session,
            "--health-interval", "1s", "--backoff-min", "1ms", "--backoff-max", "1s", "--stop-grace", "2s",
        ], ctx.Options.SupervisorEnv, Path.Combine(_dir, "supervisor.stderr"));

        MeasureStart(sup);
        MeasureRestarts(sup);
        MeasureIdle(sup);
        MeasureStop(sup);
    }

    private string WriteSpecs()
    {
        var specs = _names.Select(name => new Dictionary<string, object>
        {
            ["name"] = name,
            ["command"] = ctx.DaemonPath,
            ["args"] = Array.Empty<string>(),
            ["health_url"] = "/health",
            ["port_flag"] = "--port",
            ["needs_port"] = true,
            ["env"] = new[] { $"BENCH_TAG={ctx.Tag}", $"BENCH_STARTS={_starts.Path}" },
        });
        var path = Path.Combine(_dir, "specs.json");
        File.WriteAllText(path, JsonSerializer.Serialize(specs, new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    private void MeasureStart(SupervisorProcess sup)
    {
        var n = _names.Count;
        var timeout = TimeSpan.FromSeconds(30 + n / 20.0);
        var ok = sup.WaitUntil(s => s.CountInState("running") == n || s.CountInState("failed") > 0, timeout);
        var firstEvents = sup.EventsSince(0);
        if (!ok || sup.CountInState("running") != n)
        {
            var notRunning = _names.Where(name => sup.Daemon(name)?.State != "running").ToList();
            throw new BenchmarkFailure(
                $"start: {notRunning.Count} of {n} daemons never reached state=running within {timeout.TotalSeconds:0} s " +
                $"(e.g. {string.Join(", ", notRunning.Take(5).Select(d => $"{d}: {sup.Daemon(d)?.State ?? "no line"}"))})" +
                (sup.StdoutClosed ? $"; the supervisor exited ({ExitCodeText(sup)})" : "") +
                $"\n--- supervisor stderr (tail) ---\n{sup.StderrTail()}");
        }

        // Each daemon's first process is the pid of its first line that carries one.
        var firstPid = new Dictionary<string, int>(StringComparer.Ordinal);
        var firstRunning = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var e in firstEvents)
        {
            if (e.Pid > 0) firstPid.TryAdd(e.Name, e.Pid);
            if (e.State == "running") firstRunning.TryAdd(e.Name, e.ArrivalNs);
        }
        var starts = new List<long>();
        foreach (var name in _names)
        {
            var pid = firstPid[name];
            starts.Add(_starts.WaitForStart(pid, TimeSpan.FromSeconds(5))
                       ?? throw new BenchmarkFailure($"start: {name} (pid {pid}) never recorded its start in {_starts.Path}"));
        }
        Measured.StartLastMs = Ms(starts.Max() - sup.LaunchNs);
        Measured.StartFirstMs = Ms(starts.Min() - sup.LaunchNs);
        Measured.StartAllRunningMs = Ms(firstRunning.Values.Max() - sup.LaunchNs);
        if (sup.WaitUntil(s => s.UpLineNs is not null, TimeSpan.FromSeconds(10))) Measured.StartUpLineMs = Ms(sup.UpLineNs!.Value - sup.LaunchNs);
        else ctx.Problem("start: no 'supervisor=up' line");
        Measured.StartFailures = firstEvents.Count(e => e.State is "restarting" or "failed");
        if (Measured.StartFailures > 0) ctx.Problem($"start: {Measured.StartFailures} restarting/failed lines while starting");
        ctx.Progress($"supervisor: last daemon started after {Measured.StartLastMs:0.0} ms, all running after {Measured.StartAllRunningMs:0.0} ms");
    }

    private void MeasureRestarts(SupervisorProcess sup)
    {
        var kills = ctx.Options.Kills;
        var n = _names.Count;
        var minAgeNs = (long)(ctx.Options.MinAgeBeforeKill.TotalMilliseconds * 1e6);
        var random = new Random(12345);
        ctx.Progress($"supervisor: {kills} kill -9 restarts (backoff-min 1ms), each victim up > {ctx.Options.MinAgeBeforeKill.TotalSeconds} s");
        for (var k = 0; k < kills; k++)
        {
            // Victims spread over the daemons; a daemon is reused only when kills > N, and only once its
            // replacement has itself been up for the minimum age.
            var preferred = (int)((long)k * n / kills % n);
            string? victim = null;
            int oldPid = 0;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            while (victim is null)
            {
                var now = Native.NowNs();
                for (var j = 0; j < n && victim is null; j++)
                {
                    var name = _names[(preferred + j) % n];
                    if (sup.Daemon(name) is not { State: "running", Pid: > 0 } d) continue;
                    if (_starts.StartOf(d.Pid) is not { } started || now - started < minAgeNs) continue;
                    victim = name;
                    oldPid = d.Pid;
                }
                if (victim is not null) break;
                if (DateTime.UtcNow > deadline) throw new BenchmarkFailure("restart: no daemon has been running long enough to be killed");
                Thread.Sleep(50);
            }

            var tKill = Native.NowNs();
            if (Native.kill(oldPid, Native.SIGKILL) != 0)
                throw new BenchmarkFailure($"restart: kill -9 {oldPid} ({victim}) failed: errno {Native.LastError}");
            var name0 = victim;
            if (!sup.WaitUntil(s => s.Daemon(name0) is { Pid: > 0 } d && d.Pid != oldPid, TimeSpan.FromSeconds(10)))
                throw new BenchmarkFailure($"restart: kill -9 of {victim} (pid {oldPid}) was not followed by a restart within 10 s " +
                                           $"(its state: {sup.Daemon(victim)?.State})\n--- supervisor stderr (tail) ---\n{sup.StderrTail()}");
            var newPid = sup.Daemon(victim)!.Pid;
            var started2 = _starts.WaitForStart(newPid, TimeSpan.FromSeconds(5))
                           ?? throw new BenchmarkFailure($"restart: {victim}'s new process {newPid} never recorded its start");
            double? runningMs = null;
            if (sup.WaitUntil(s => s.Daemon(name0) is { State: "running" } d && d.Pid == newPid, TimeSpan.FromSeconds(10)))
            {
                var ev = sup.EventsSince(0).Last(e => e.Name == name0 && e.State == "running" && e.Pid == newPid);
                runningMs = Ms(ev.ArrivalNs - tKill);
            }
            else ctx.Problem($"restart: {victim}'s new process {newPid} did not reach state=running within 10 s");
            Measured.Kills.Add(new KillSample(victim, oldPid, newPid, Ms(started2 - tKill), runningMs));

            // Kills land at random points of the probe cycle and of any timer ticks.
            Thread.Sleep(random.Next(100, 300));
        }
        Measured.RestartMs = Stats.Of(Measured.Kills.Select(s => s.RestartMs).ToList());
        Measured.RestartToRunningMs = Stats.Of(Measured.Kills.Where(s => s.RunningMs is not null).Select(s => s.RunningMs!.Value).ToList());
        ctx.Progress($"supervisor: restart median {Measured.RestartMs.Median:0.00} ms, p90 {Measured.RestartMs.P90:0.00} ms");
    }

    private void MeasureIdle(SupervisorProcess sup)
    {
        var n = _names.Count;
        if (!sup.WaitUntil(s => s.CountInState("running") == n, TimeSpan.FromSeconds(15)))
            throw new BenchmarkFailure($"idle: only {sup.CountInState("running")} of {n} daemons running before the idle measurement");
        Thread.Sleep(ctx.Options.IdleSettle);
        var before = sup.EventCount;
        ctx.Progress($"supervisor: idle (probing {n} daemons every 1 s), measured over {ctx.Options.IdleSeconds} s");
        Measured.Idle = Idle.Measure(sup.Pid, ctx.Options.IdleSeconds);
        Measured.IdleStateChanges = sup.EventCount - before;
        var ports = sup.Daemons().Select(d => d.Port).Where(p => p > 0).ToHashSet();
        (Measured.IdleEstablishedProbeSockets, Measured.IdleTimeWaitProbeSockets) = ProcFs.ClientSockets(ports);
        if (Measured.IdleStateChanges > 0) ctx.Problem($"idle: {Measured.IdleStateChanges} state changes while idle");
        ctx.Progress($"supervisor: idle CPU {Measured.Idle.CpuPercent:0.00} %, PSS {Measured.Idle.PssMb:0.0} MB, RSS {Measured.Idle.RssMb:0.0} MB");
    }

    private void MeasureStop(SupervisorProcess sup)
    {
        // Every live process carrying the run's tag: the daemons, however the benchmark learned of them or not.
        var daemons = ProcFs.TaggedProcesses(ctx.Tag);
        Measured.StopDaemonsWatched = daemons.Count;
        if (daemons.Count != _names.Count) ctx.Problem($"stop: {daemons.Count} tagged processes alive before stop, expected {_names.Count}");
        using var waiter = new ExitWaiter(daemons);
        using var supWaiter = new ExitWaiter([sup.Pid]);

        ctx.Progress($"supervisor: SIGTERM, until none of the {daemons.Count} daemons is left");
        var t0 = Native.NowNs();
        sup.Signal(Native.SIGTERM);
        if (!waiter.WaitAll(TimeSpan.FromSeconds(30)))
            ctx.Problem($"stop: {waiter.Remaining.Count} daemons still running 30 s after SIGTERM: {string.Join(' ', waiter.Remaining.Take(10))}");
        else if (waiter.ExitedAt.Count > 0)
            Measured.StopMs = Ms(waiter.ExitedAt.Values.Max() - t0);

        if (supWaiter.WaitAll(TimeSpan.FromSeconds(30)))
        {
            Measured.StopSupervisorExitMs = Ms(supWaiter.ExitedAt.Values.Single() - t0);
            sup.Process.WaitForExit();
            Measured.ExitCode = sup.Process.ExitCode;
            if (Measured.ExitCode != 0) ctx.Problem($"stop: the supervisor exited with {Measured.ExitCode}\n{sup.StderrTail()}");
        }
        else ctx.Problem("stop: the supervisor did not exit within 30 s of SIGTERM");
        sup.WaitUntil(s => s.StdoutClosed, TimeSpan.FromSeconds(5));
        Measured.StoppedLine = sup.OtherLines().Any(l => l.Contains("supervisor=stopped", StringComparison.Ordinal));
        if (!Measured.StoppedLine) ctx.Problem("stop: no 'supervisor=stopped' line");

        // Anything the pidfds did not cover (a process started during the stop) shows up in a full scan.
        Measured.LeftBehind = ProcFs.TaggedProcesses(ctx.Tag);
        if (Measured.LeftBehind.Count > 0)
        {
            ctx.Problem($"stop: {Measured.LeftBehind.Count} daemon processes left behind: {string.Join(' ', Measured.LeftBehind.Take(10))}");
            Measured.StopMs = double.NaN;
        }
        var pidDir = Path.Combine(_projectDir, ".ntm", "pids");
        Measured.PidFilesLeft = Directory.Exists(pidDir) ? Directory.EnumerateFiles(pidDir, "*.pid").Count() : 0;
        if (Measured.PidFilesLeft > 0) ctx.Problem($"stop: {Measured.PidFilesLeft} PID files left in {pidDir}");
        ctx.Progress($"supervisor: no daemon left {Measured.StopMs:0.0} ms after SIGTERM; supervisor exited after {Measured.StopSupervisorExitMs:0.0} ms (code {Measured.ExitCode})");
    }

    private static string ExitCodeText(SupervisorProcess sup)
    {
        try { return sup.Process.WaitForExit(2000) ? $"exit code {sup.Process.ExitCode}" : "still exiting"; }
        catch (InvalidOperationException) { return "unknown exit code"; }
    }

    private static double Ms(long ns) => ns / 1e6;
}
