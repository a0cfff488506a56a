using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ActorSupervisor.Benchmarks.Peers;

/// <summary>
/// `--peers`: ours (the JIT CLI, and the native one when given) and every installed peer, one after the other over the
/// same benchdaemon, N and kill schedule, then one table: each figure, and ours as a ratio of each peer's.
/// </summary>
internal static class PeersMode
{
    public sealed record Row(string Name, bool Ours, double StartMs, double RestartMedianMs, double RestartP90Ms, double StopMs,
        double PssMb, int Processes, double CpuPercent, double RssMb, string? Note, string? Settings);

    private static readonly PeerSupervisor[] All = [new Supervisord(), new Runit(), new S6(), new Pm2()];

    /// <summary>From another run (issue 13): NTM's own Go supervisor, with 1 s HTTP probes like ours.</summary>
    private const string SeedNote =
        "NTM's Go supervisor (the seed) is not run here: building it needs a Go toolchain newer than Debian 12's golang " +
        "1.19. Its figures from another run (issue 13, N=200): start 112 ms, restart 1002 ms (fixed 1 s backoff), " +
        "stop 19.5 ms, PSS 20.9 MB, idle CPU 4.35 %";

    /// <summary>The whole --peers run: measure, clean up, print the table, write the JSON. Returns the exit code.</summary>
    public static int RunAll(BenchContext ctx, string cli)
    {
        var o = ctx.Options;
        var loadBefore = ProcFs.LoadAverage();
        var rows = new List<Row>();
        try
        {
            ctx.Progress($"temp dir {ctx.TempDir}, tag BENCH_TAG={ctx.Tag}");
            if (Locate.OnPath("gcc") is not { } gcc) throw new BenchmarkFailure("gcc is not on PATH");
            Locate.CompileDaemon(gcc, ctx.DaemonPath);
            rows = Run(ctx, cli);
        }
        catch (BenchmarkFailure e) { ctx.Problem(e.Message); }
        catch (Exception e) when (e is not OutOfMemoryException) { ctx.Problem($"unexpected error: {e}"); }
        finally
        {
            var left = ctx.Cleanup();
            if (left.Count > 0) ctx.Problem($"{left.Count} processes of the run were still alive at the end: {string.Join(' ', left.Take(10))}");
        }
        var loadAfter = ProcFs.LoadAverage();
        var source = SourceIdentity.Of(cli);
        Console.Out.Write(Table(o, cli, source, rows, loadBefore, loadAfter));
        Console.Out.WriteLine();
        if (ctx.Problems.Count == 0) Console.Out.WriteLine("result: everything worked");
        else
        {
            Console.Out.WriteLine($"result: {ctx.Problems.Count} problem(s):");
            foreach (var p in ctx.Problems) Console.Out.WriteLine("  - " + p);
        }
        try
        {
            WriteJson(o.JsonPath, o, source, rows, ctx.Problems, loadBefore, loadAfter);
            Console.Out.WriteLine($"\nresults written to {Path.GetFullPath(o.JsonPath)}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"benchmark: cannot write {o.JsonPath}: {e.Message}");
            return 1;
        }
        return ctx.Problems.Count == 0 ? 0 : 1;
    }

    public static List<Row> Run(BenchContext ctx, string cli)
    {
        var o = ctx.Options;
        bool Wanted(string name) => o.Only is null || o.Only.Contains(name, StringComparer.OrdinalIgnoreCase);
        var rows = new List<Row>();

        void Ours(string name, string exe)
        {
            if (!Wanted(name)) return;
            var before = ctx.Problems.Count;
            var bench = new SupervisorBench(ctx, Path.Combine(ctx.TempDir, name));
            try { bench.Run(exe); }
            catch (BenchmarkFailure e) { ctx.Problem($"{name}: {e.Message}"); }
            finally
            {
                ctx.Supervisor?.Dispose();
                ctx.Supervisor = null;
                KillTagged(ctx);
            }
            var m = bench.Measured;
            rows.Add(new Row(name, true, m.StartLastMs, m.RestartMs.Median, m.RestartMs.P90, m.StopMs, m.Idle?.PssMb ?? double.NaN, 1,
                m.Idle?.CpuPercent ?? double.NaN, m.Idle?.RssMb ?? double.NaN, ProblemsSince(ctx, before), exe));
        }

        Ours("ours-jit", cli);
        if (o.Native is { } native)
        {
            if (File.Exists(native)) Ours("ours-native", Path.GetFullPath(native));
            else ctx.Problem($"--native {native}: no such file");
        }

        foreach (var peer in All)
        {
            if (!Wanted(peer.Name)) continue;
            if (peer.Missing(o) is { } missing)
            {
                ctx.Progress($"{peer.Name}: skipped: {missing}");
                rows.Add(new Row(peer.Name, false, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0, double.NaN, double.NaN,
                    "skipped: " + missing, peer.Settings));
                continue;
            }
            var before = ctx.Problems.Count;
            var bench = new PeerBench(ctx, peer);
            try { bench.Run(); }
            catch (BenchmarkFailure e) { ctx.Problem($"{peer.Name}: {e.Message}"); }
            var m = bench.Measured;
            rows.Add(new Row(peer.Name, false, m.StartLastMs, m.RestartMs.Median, m.RestartMs.P90, m.StopMs, m.Idle?.PssMb ?? double.NaN,
                m.SupervisorProcesses, m.Idle?.CpuPercent ?? double.NaN, m.Idle?.RssMb ?? double.NaN, ProblemsSince(ctx, before), peer.Settings));
        }
        return rows;
    }

    private static string? ProblemsSince(BenchContext ctx, int before)
    {
        lock (ctx.Problems) return ctx.Problems.Count > before ? string.Join("; ", ctx.Problems.Skip(before)) : null;
    }

    private static void KillTagged(BenchContext ctx)
    {
        for (var round = 0; round < 50; round++)
        {
            var alive = ProcFs.TaggedProcesses(ctx.Tag);
            if (alive.Count == 0) return;
            foreach (var pid in alive) Native.kill(pid, Native.SIGKILL);
            Thread.Sleep(20);
        }
    }

    public static string Table(Options o, string cli, SourceIdentity source, List<Row> rows, string loadBefore, string loadAfter)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"Side by side: N={o.Daemons} benchdaemons, {o.Kills} kill -9s, idle {o.IdleSeconds:0} s; ours probes all N over HTTP every 1 s (backoff-min 1ms), the peers do not probe");
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}; load average before {loadBefore}, after {loadAfter}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"source: {source}");
        sb.AppendLine();
        const string row = "{0,-13} {1,10} {2,10} {3,10} {4,10} {5,16} {6,9}  {7}";
        sb.AppendLine(string.Format(CultureInfo.InvariantCulture, row, "supervisor", "start N", "restart", "p90", "stop N", "PSS (procs)", "idle CPU", ""));
        sb.AppendLine(new string('-', 100));
        foreach (var r in rows)
        {
            sb.AppendLine(string.Format(CultureInfo.InvariantCulture, row, r.Name,
                Ms(r.StartMs), Ms(r.RestartMedianMs), Ms(r.RestartP90Ms), Ms(r.StopMs),
                double.IsNaN(r.PssMb) ? "-" : $"{r.PssMb:0.0} MB ({r.Processes})",
                double.IsNaN(r.CpuPercent) ? "-" : $"{r.CpuPercent:0.00} %",
                r.Note ?? ""));
        }
        sb.AppendLine("seed          (not run) " + SeedNote);

        var ours = rows.Where(r => r.Ours && !double.IsNaN(r.StartMs)).ToList();
        var peers = rows.Where(r => !r.Ours && !double.IsNaN(r.StartMs)).ToList();
        if (ours.Count > 0 && peers.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("ours as a ratio of each peer's figure (below 1.00x: ours is faster / smaller):");
            const string rrow = "  {0,-26} {1,9} {2,9} {3,9} {4,9} {5,9} {6,9}";
            sb.AppendLine(string.Format(CultureInfo.InvariantCulture, rrow, "", "start", "restart", "p90", "stop", "PSS", "idle CPU"));
            foreach (var us in ours)
            foreach (var p in peers)
            {
                sb.AppendLine(string.Format(CultureInfo.InvariantCulture, rrow, $"{us.Name} / {p.Name}",
                    Ratio(us.StartMs, p.StartMs), Ratio(us.RestartMedianMs, p.RestartMedianMs), Ratio(us.RestartP90Ms, p.RestartP90Ms),
                    Ratio(us.StopMs, p.StopMs), Ratio(us.PssMb, p.PssMb), Ratio(us.CpuPercent, p.CpuPercent)));
            }

            sb.AppendLine();
            sb.AppendLine("targets (issue 13, N=200):");
            var runit = peers.FirstOrDefault(p => p.Name == "runit");
            var supervisord = peers.FirstOrDefault(p => p.Name == "supervisord");
            var bestStartPeer = peers.MinBy(p => p.StartMs)!;
            var bestStopPeer = peers.Where(p => !double.IsNaN(p.StopMs)).MinBy(p => p.StopMs);
            foreach (var us in ours)
            {
                var native = us.Name.Contains("native", StringComparison.Ordinal);
                void Target(string what, double value, double? limit, string limitText)
                {
                    var verdict = limit is not { } l || double.IsNaN(value) || double.IsNaN(l) ? "n/a" : value <= l ? "met" : "NOT MET";
                    sb.AppendLine(string.Format(CultureInfo.InvariantCulture, "  {0,-12} {1,-44} {2,12}  {3}", us.Name, $"{what} <= {limitText}",
                        double.IsNaN(value) ? "-" : value.ToString("0.00", CultureInfo.InvariantCulture), verdict));
                }
                Target("restart median", us.RestartMedianMs, runit?.RestartMedianMs, $"runit's ({Ms(runit?.RestartMedianMs)})");
                Target("restart p90", us.RestartP90Ms, runit is null ? null : 2 * runit.RestartMedianMs, $"2x runit's median ({Ms(2 * (runit?.RestartMedianMs ?? double.NaN))})");
                Target("start", us.StartMs, 0.5 * bestStartPeer.StartMs, $"0.5x best peer's ({bestStartPeer.Name}: {Ms(bestStartPeer.StartMs)})");
                Target("start", us.StartMs, 112, "the seed's (112 ms, another run)");
                if (bestStopPeer is not null) Target("stop", us.StopMs, 0.5 * bestStopPeer.StopMs, $"0.5x best peer's ({bestStopPeer.Name}: {Ms(bestStopPeer.StopMs)})");
                if (native) Target("PSS MB", us.PssMb, supervisord?.PssMb, $"supervisord's ({supervisord?.PssMb:0.0} MB)");
                else Target("PSS MB", us.PssMb, 60, "60 MB");
                Target("idle CPU %", us.CpuPercent, 1, "1 % of a core");
            }
        }

        sb.AppendLine();
        sb.AppendLine("how each ran:");
        foreach (var r in rows) sb.AppendLine(CultureInfo.InvariantCulture, $"  {r.Name}: {r.Settings}");
        return sb.ToString();
    }

    public static void WriteJson(string path, Options o, SourceIdentity source, List<Row> rows, IReadOnlyList<string> problems, string loadBefore, string loadAfter)
    {
        var doc = new
        {
            schema = 1,
            mode = "peers",
            date = DateTimeOffset.UtcNow,
            machine = new { cores = Environment.ProcessorCount, os = RuntimeInformation.OSDescription, load_before = loadBefore, load_after = loadAfter },
            options = new { daemons = o.Daemons, kills = o.Kills, idle_seconds = o.IdleSeconds, native = o.Native },
            source,
            ok = problems.Count == 0,
            problems,
            rows,
            seed = SeedNote,
        };
        File.WriteAllText(path, JsonSerializer.Serialize(doc, new JsonSerializerOptions
        {
            WriteIndented = true,
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        }) + "\n");
    }

    private static string Ms(double? v) => v is not { } x || double.IsNaN(x) ? "-" : x < 10 ? $"{x:0.00} ms" : $"{x:0.0} ms";

    private static string Ratio(double ours, double peer) =>
        double.IsNaN(ours) || double.IsNaN(peer) || peer <= 0 ? "-" : (ours / peer).ToString("0.00", CultureInfo.InvariantCulture) + "x";
}
