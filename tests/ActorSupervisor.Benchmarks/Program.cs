using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using ActorSupervisor.Benchmarks;

// The start-up floor's child mode: the moment a .NET program's Main runs, on the daemons' clock.
if (args is ["--hello-child"])
{
    Console.Out.WriteLine(Native.NowNs().ToString(CultureInfo.InvariantCulture));
    return 0;
}

// The idle floor's child mode: a plain .NET prober, measured from outside like the supervisor.
if (args is ["--probe-child", var portsFile, var intervalMs])
    return await ProbeChild.RunAsync(portsFile, int.Parse(intervalMs, CultureInfo.InvariantCulture));
if (args is ["--probe-child-prober", var proberPortsFile, var proberIntervalMs])
    return await ProbeChild.RunProberAsync(proberPortsFile, int.Parse(proberIntervalMs, CultureInfo.InvariantCulture));

Options options;
try
{
    options = Options.Parse(args);
}
catch (UsageException e)
{
    if (e.Message.Length > 0) Console.Error.WriteLine($"benchmark: {e.Message}");
    Console.Error.WriteLine(Options.Usage);
    return e.Message.Length > 0 ? 2 : 0;
}

if (!OperatingSystem.IsLinux())
{
    Console.Error.WriteLine("benchmark: Linux only (/proc, pidfds, posix signals), like the supervisor it measures");
    return 1;
}

var cli = options.Cli ?? Locate.DefaultCli();
if (!File.Exists(cli))
{
    Console.Error.WriteLine($"benchmark: the actorsupervisor CLI is not at {cli}; build it with " +
                            "`dotnet build src/ActorSupervisor.Cli -c Release` or pass --cli PATH");
    return 1;
}
cli = Path.GetFullPath(cli);
if (Locate.OnPath("gcc") is not { } gcc)
{
    Console.Error.WriteLine("benchmark: gcc is not on PATH. The benchmark compiles its native daemon " +
                            "(tests/ActorSupervisor.Benchmarks/native/benchdaemon.c) at run time; install gcc (e.g. apt-get install gcc).");
    return 1;
}

var ctx = new BenchContext(options) { Cli = cli };
// However the run ends, nothing of it stays behind: Ctrl-C, SIGTERM and normal exit all clean up.
using var onSigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Abort(c, "SIGINT", 130));
using var onSigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Abort(c, "SIGTERM", 143));
AppDomain.CurrentDomain.ProcessExit += (_, _) => ctx.Cleanup();

if (options.Peers) return ActorSupervisor.Benchmarks.Peers.PeersMode.RunAll(ctx, cli);

Floor.Results? floor = null;
SupervisorBench? bench = null;
try
{
    ctx.Progress($"temp dir {ctx.TempDir}, tag BENCH_TAG={ctx.Tag}");
    Locate.CompileDaemon(gcc, ctx.DaemonPath);
    if (!options.NoFloor) floor = await new Floor(ctx).RunAsync();
    bench = new SupervisorBench(ctx);
    bench.Run(cli);
}
catch (BenchmarkFailure e)
{
    ctx.Problem(e.Message);
}
catch (Exception e) when (e is not OutOfMemoryException)
{
    ctx.Problem($"unexpected error: {e}");
}
finally
{
    var left = ctx.Cleanup();
    if (left.Count > 0 && ctx.Problems.Count == 0)
        ctx.Problem($"{left.Count} processes of the run were still alive at the end: {string.Join(' ', left.Take(10))}");
}

var source = SourceIdentity.Of(cli);
var figures = Report.Figures(options, bench?.Measured, floor);
Console.Out.Write(Report.Table(options, cli, source, figures, bench?.Measured, floor, ctx.Problems));
if (options.Baseline is { } baseline)
{
    Console.Out.WriteLine();
    Console.Out.Write(Report.Compare(options, figures, baseline));
}
try
{
    Report.WriteJson(options.JsonPath, options, cli, source, figures, bench?.Measured, floor, ctx.Problems);
    Console.Out.WriteLine($"\nresults written to {Path.GetFullPath(options.JsonPath)}");
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"benchmark: cannot write {options.JsonPath}: {e.Message}");
    return 1;
}
return ctx.Problems.Count == 0 ? 0 : 1;

void Abort(PosixSignalContext c, string signal, int code)
{
    c.Cancel = true;
    ctx.Progress($"{signal}: cleaning up");
    ctx.Cleanup();
    Environment.Exit(code);
}

internal static class Locate
{
    /// <summary>The repository root: the first directory above the current one (or this program) holding ActorSupervisor.sln.</summary>
    public static string? RepoRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "ActorSupervisor.sln"))) return dir.FullName;
        }
        return null;
    }

    public static string DefaultCli() =>
        Path.Combine(RepoRoot() ?? Environment.CurrentDirectory, "src", "ActorSupervisor.Cli", "bin", "Release", "net10.0", "actorsupervisor");

    public static string? OnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin")
        .Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => Path.Combine(dir, command))
        .FirstOrDefault(File.Exists);

    /// <summary>gcc -O2 -o &lt;out&gt; benchdaemon.c, from the copy beside this program (or the source tree).</summary>
    public static void CompileDaemon(string gcc, string output)
    {
        var source = Path.Combine(AppContext.BaseDirectory, "native", "benchdaemon.c");
        if (!File.Exists(source) && RepoRoot() is { } root)
            source = Path.Combine(root, "tests", "ActorSupervisor.Benchmarks", "native", "benchdaemon.c");
        if (!File.Exists(source)) throw new BenchmarkFailure($"benchdaemon.c not found (looked for {source})");
        var psi = new ProcessStartInfo(gcc) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-O2", "-o", output, source }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new BenchmarkFailure("could not start gcc");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) throw new BenchmarkFailure("gcc did not finish within 60 s");
        if (p.ExitCode != 0) throw new BenchmarkFailure($"gcc -O2 -o {output} {source} failed ({p.ExitCode}):\n{stderr.Result}{stdout.Result}");
    }
}
