using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ActorSupervisor.Benchmarks;

/// <summary>One line of the results table: a supervisor figure, the floor it compares with, its target.</summary>
internal sealed record Figure(string Key, string Label, double Value, string Unit, double? Floor, string? Target, bool? Met)
{
    public double? Ratio => Floor is > 0 && !double.IsNaN(Value) ? Value / Floor : null;
}

internal static class Report
{
    public static List<Figure> Figures(Options o, SupervisorBench.Results? s, Floor.Results? f)
    {
        var list = new List<Figure>();
        if (s is null) return list;
        bool? AtMost(double v, double limit) => double.IsNaN(v) ? null : v <= limit;

        list.Add(new("start_last_ms", "start: launch -> last daemon's recorded start", s.StartLastMs, "ms", f?.StartNLastMs,
            "<= 1000 ms", AtMost(s.StartLastMs, 1000)));
        list.Add(new("start_all_running_ms", "start: launch -> all daemons state=running", s.StartAllRunningMs, "ms", f?.StartNHealthyMs,
            "<= 1000 ms", AtMost(s.StartAllRunningMs, 1000)));
        list.Add(new("start_first_ms", "  launch -> first daemon's recorded start", s.StartFirstMs, "ms",
            f is null ? null : f.DotnetStartupMs.Median + f.SpawnToStartMs.Median, null, null));
        list.Add(new("start_up_line_ms", "  launch -> 'supervisor=up' line", s.StartUpLineMs, "ms", null, null, null));

        var floorRestart = f?.RestartMs.Median;
        bool? restartMet = double.IsNaN(s.RestartMs.Median)
            ? null
            : s.RestartMs.Median <= 3 && (floorRestart is not { } fr || s.RestartMs.Median <= 2 * fr);
        list.Add(new("restart_median_ms", $"restart: kill -9 -> new recorded start, median of {s.RestartMs.Count}", s.RestartMs.Median, "ms",
            floorRestart, "<= 3 ms and <= 2x floor", restartMet));
        list.Add(new("restart_p90_ms", "restart: kill -9 -> new recorded start, p90", s.RestartMs.P90, "ms", f?.RestartMs.P90, null, null));
        list.Add(new("restart_running_median_ms", "  kill -9 -> replacement state=running, median", s.RestartToRunningMs.Median, "ms", null, null, null));

        list.Add(new("stop_ms", "stop: SIGTERM -> no daemon process left", s.StopMs, "ms", f?.StopNMs, "<= 150 ms", AtMost(s.StopMs, 150)));
        list.Add(new("stop_supervisor_exit_ms", "  SIGTERM -> supervisor exited", s.StopSupervisorExitMs, "ms", null, null, null));

        var idle = s.Idle;
        list.Add(new("idle_cpu_percent", $"idle: CPU, % of one core over {o.IdleSeconds:0} s", idle?.CpuPercent ?? double.NaN, "%",
            f?.IdleCpuPercent, "<= 1 %", idle is null ? null : idle.CpuPercent <= 1));
        list.Add(new("idle_pss_mb", "idle: PSS", idle?.PssMb ?? double.NaN, "MB", f?.IdlePssMb, "<= 60 MB", idle is null ? null : idle.PssMb <= 60));
        list.Add(new("idle_uss_mb", "idle: USS (private pages)", idle?.UssMb ?? double.NaN, "MB", f?.IdleUssMb, null, null));
        list.Add(new("idle_rss_mb", "idle: RSS (VmRSS)", idle?.RssMb ?? double.NaN, "MB", f?.IdleRssMb, null, null));
        return list;
    }

    public static string Table(Options o, string cli, SourceIdentity source, List<Figure> figures, SupervisorBench.Results? s, Floor.Results? f, IReadOnlyList<string> problems)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"ActorSupervisor benchmark: N={o.Daemons} benchdaemons (HTTP health), {o.Kills} kills, idle {o.IdleSeconds:0} s, health-interval 1s, backoff-min 1ms, stop-grace 2s");
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"machine: {Environment.ProcessorCount} cores, {MemTotalGb():0} GB, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"cli: {cli}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"source: {source}");
        if (o.SupervisorEnv.Count > 0)
            sb.AppendLine("supervisor environment: " + string.Join(' ', o.SupervisorEnv.Select(kv => $"{kv.Key}={kv.Value}")));
        if (o.Daemons != 200) sb.AppendLine("(the targets are set for N=200; at other N they are shown for reference)");
        sb.AppendLine();

        const string row = "{0,-52} {1,11} {2,11} {3,7}  {4,-24} {5}";
        sb.AppendLine(string.Format(CultureInfo.InvariantCulture, row, "figure", "supervisor", "floor", "ratio", "target", "met"));
        sb.AppendLine(new string('-', 118));
        foreach (var fig in figures)
        {
            sb.AppendLine(string.Format(CultureInfo.InvariantCulture, row,
                fig.Label,
                Num(fig.Value, fig.Unit),
                fig.Floor is { } fl ? Num(fl, fig.Unit) : "",
                fig.Ratio is { } r ? $"{r:0.0}x" : "",
                fig.Target ?? "",
                fig.Met switch { true => "met", false => "NOT MET", null => fig.Target is null ? "" : "n/a" }));
        }

        if (f is not null)
        {
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"floor (plain .NET, same benchdaemon, {f.SpawnToStartMs.Count} repetitions; medians, p90 in brackets):");
            sb.AppendLine(CultureInfo.InvariantCulture, $"  trivial .NET program: launch -> Main        {f.DotnetStartupMs.Median,8:0.000} ms  [{f.DotnetStartupMs.P90:0.000}]");
            sb.AppendLine(CultureInfo.InvariantCulture, $"  Process.Start call                         {f.SpawnReturnMs.Median,8:0.000} ms  [{f.SpawnReturnMs.P90:0.000}]");
            sb.AppendLine(CultureInfo.InvariantCulture, $"  Process.Start -> daemon's recorded start    {f.SpawnToStartMs.Median,8:0.000} ms  [{f.SpawnToStartMs.P90:0.000}]");
            sb.AppendLine(CultureInfo.InvariantCulture, $"  kill -9 -> WaitForExitAsync done           {f.KillToExitWaitMs.Median,8:0.000} ms  [{f.KillToExitWaitMs.P90:0.000}]");
            sb.AppendLine(CultureInfo.InvariantCulture, $"  kill -9 -> pidfd readable (poll)           {f.KillToExitPidfdMs.Median,8:0.000} ms  [{f.KillToExitPidfdMs.P90:0.000}]");
            sb.AppendLine(CultureInfo.InvariantCulture, $"  restart: kill -9 -> exit -> Process.Start -> recorded start {f.RestartMs.Median:0.000} ms  [{f.RestartMs.P90:0.000}]");
            sb.AppendLine(CultureInfo.InvariantCulture, $"  N={o.Daemons}: Process.Start each -> last recorded start {f.StartNLastMs:0.0} ms, -> all answered /health {f.StartNHealthyMs:0.0} ms");
            sb.AppendLine(CultureInfo.InvariantCulture, $"  N={o.Daemons}: SIGTERM each -> none left {f.StopNMs:0.0} ms");
            sb.AppendLine(CultureInfo.InvariantCulture, $"  N={o.Daemons}: a .NET process probing them all every 1 s{(f.IdleRuntimeConfig is null ? "" : " (with the CLI's runtimeconfig)")}: CPU {f.IdleCpuPercent:0.00} %, PSS {f.IdlePssMb:0.0} MB, USS {f.IdleUssMb:0.0} MB, RSS {f.IdleRssMb:0.0} MB");
            sb.AppendLine(CultureInfo.InvariantCulture, $"  N={o.Daemons}: the same through the library's HttpProber watches (no actors): CPU {f.ProberIdleCpuPercent:0.00} %, PSS {f.ProberIdlePssMb:0.0} MB");
        }

        if (s is not null)
        {
            sb.AppendLine();
            if (s.Kills.Count > 0)
                sb.AppendLine("restarts (ms, kill -9 -> recorded start): " +
                              string.Join(' ', s.Kills.Select(k => k.RestartMs.ToString("0.00", CultureInfo.InvariantCulture))));
            if (s.Idle is { } idle)
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"idle detail: {idle.CpuTicks} ticks in {idle.Seconds:0.0} s, PSS max {idle.PssMaxMb:0.0} MB, threads {idle.Threads}, fds {idle.OpenFds}, " +
                    $"probe sockets established {s.IdleEstablishedProbeSockets}, time-wait {s.IdleTimeWaitProbeSockets}, state changes {s.IdleStateChanges}; " +
                    $"whole machine busy {idle.MachineBusyPercent:0.0} % of a core (supervisor included), load average before the run {s.LoadAverageBefore}");
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"stop detail: {s.StopDaemonsWatched} daemons watched, exit code {s.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "-"}, " +
                $"'supervisor=stopped' line {(s.StoppedLine ? "seen" : "missing")}, left behind {s.LeftBehind.Count}, PID files left {s.PidFilesLeft}");
        }

        sb.AppendLine();
        if (problems.Count == 0) sb.AppendLine("result: everything worked");
        else
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"result: {problems.Count} problem(s):");
            foreach (var p in problems) sb.AppendLine("  - " + p);
        }
        return sb.ToString();
    }

    /// <summary>Growth of each figure against an earlier run's, beside the growth of N: costs should grow no faster than N.</summary>
    public static string Compare(Options o, List<Figure> figures, string baselinePath)
    {
        var sb = new StringBuilder();
        JsonNode? baseline;
        try { baseline = JsonNode.Parse(File.ReadAllText(baselinePath)); }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return $"baseline {baselinePath}: cannot read it: {e.Message}\n";
        }
        var baseN = baseline?["options"]?["daemons"]?.GetValue<int>() ?? 0;
        var byKey = baseline?["figures"]?.AsArray()
            .Where(x => x?["key"] is not null && x["value"] is not null)
            .ToDictionary(x => x!["key"]!.GetValue<string>(), x => x!["value"]!.GetValue<double>()) ?? [];
        if (baseN <= 0) return $"baseline {baselinePath}: no options.daemons in it\n";
        var nRatio = o.Daemons / (double)baseN;
        sb.AppendLine(CultureInfo.InvariantCulture, $"growth against {baselinePath} (N={baseN} -> N={o.Daemons}, {nRatio:0.0}x):");
        const string row = "  {0,-52} {1,11} {2,11} {3,8}  {4}";
        sb.AppendLine(string.Format(CultureInfo.InvariantCulture, row, "figure", $"N={baseN}", $"N={o.Daemons}", "growth", "no worse than linear"));
        foreach (var fig in figures)
        {
            if (!byKey.TryGetValue(fig.Key, out var before) || double.IsNaN(before) || double.IsNaN(fig.Value)) continue;
            var growth = before > 0 ? fig.Value / before : double.NaN;
            sb.AppendLine(string.Format(CultureInfo.InvariantCulture, row, fig.Label.Trim(), Num(before, fig.Unit), Num(fig.Value, fig.Unit),
                double.IsNaN(growth) ? "" : $"{growth:0.00}x", double.IsNaN(growth) ? "" : growth <= nRatio ? "yes" : "NO"));
        }
        return sb.ToString();
    }

    public static void WriteJson(string path, Options o, string cli, SourceIdentity source, List<Figure> figures, SupervisorBench.Results? s, Floor.Results? f,
        IReadOnlyList<string> problems)
    {
        var doc = new
        {
            schema = 1,
            date = DateTimeOffset.UtcNow,
            machine = new
            {
                cores = Environment.ProcessorCount,
                memory_gb = Math.Round(MemTotalGb(), 1),
                os = RuntimeInformation.OSDescription,
                runtime = RuntimeInformation.FrameworkDescription,
            },
            options = new
            {
                daemons = o.Daemons,
                kills = o.Kills,
                idle_seconds = o.IdleSeconds,
                smoke = o.Smoke,
                floor_iterations = o.FloorIterations,
                health_interval = "1s",
                backoff_min = "1ms",
                backoff_max = "1s",
                stop_grace = "2s",
                cli,
                supervisor_env = o.SupervisorEnv.ToDictionary(kv => kv.Key, kv => kv.Value),
            },
            source,
            ok = problems.Count == 0,
            problems,
            figures = figures.Select(x => new
            {
                key = x.Key,
                label = x.Label.Trim(),
                value = Finite(x.Value),
                unit = x.Unit,
                floor = x.Floor is { } fl ? Finite(fl) : null,
                ratio = x.Ratio is { } r ? Finite(r) : null,
                target = x.Target,
                met = x.Met,
            }),
            supervisor = s,
            floor = f,
        };
        var json = JsonSerializer.Serialize(doc, new JsonSerializerOptions
        {
            WriteIndented = true,
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // a file, not a web page
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        });
        File.WriteAllText(path, json + "\n");
    }

    private static double? Finite(double v) => double.IsFinite(v) ? Math.Round(v, 3) : null;

    private static string Num(double v, string unit) => double.IsNaN(v)
        ? "-"
        : unit switch
        {
            "%" => v.ToString("0.00", CultureInfo.InvariantCulture) + " %",
            "MB" => v.ToString("0.0", CultureInfo.InvariantCulture) + " MB",
            _ => (v < 10 ? v.ToString("0.00", CultureInfo.InvariantCulture) : v.ToString("0.0", CultureInfo.InvariantCulture)) + " " + unit,
        };

    private static double MemTotalGb()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0 / 1024.0;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or FormatException) { return double.NaN; }
    }
}
