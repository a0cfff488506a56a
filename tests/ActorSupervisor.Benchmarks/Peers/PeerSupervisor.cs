using System.Diagnostics;

namespace ActorSupervisor.Benchmarks.Peers;

/// <summary>
/// Another process supervisor (supervisord, runit, s6, pm2) run over the same benchdaemon, N and kill schedule as
/// ours. Each is configured for the fastest restart it allows; <see cref="Settings"/> says how, for the report and
/// docs/performance.md. None of them probes health: they only restart what exits.
/// </summary>
internal abstract class PeerSupervisor
{
    public abstract string Name { get; }

    /// <summary>How it is configured (what makes its restart as fast as it allows).</summary>
    public abstract string Settings { get; }

    /// <summary>Null when it can run here; otherwise what is missing and how to install it.</summary>
    public abstract string? Missing(Options options);

    /// <summary>Writes its configuration for <see cref="PeerRun.Daemons"/> daemons into <see cref="PeerRun.Dir"/>.</summary>
    public abstract void Prepare(PeerRun run);

    /// <summary>Starts it. Returns once its root process exists; the daemons start when it starts them.</summary>
    public abstract void Launch(PeerRun run);

    /// <summary>The processes that are the supervisor (their descendants other than daemons count too).</summary>
    public abstract IReadOnlyList<int> Roots(PeerRun run);

    /// <summary>Asks it to stop everything, the way its documentation says to, and returns at once.</summary>
    public abstract void Stop(PeerRun run);

    /// <summary>Waits for whatever <see cref="Stop"/> left running (a CLI) and releases it.</summary>
    public virtual void AfterStop(PeerRun run) { }

    protected static string? Which(string command) => Locate.OnPath(command);
}

/// <summary>One peer's run: its directory, its daemons' start log, the processes the benchmark started for it.</summary>
internal sealed class PeerRun(BenchContext ctx, string dir, int daemons)
{
    public BenchContext Context { get; } = ctx;
    public string Dir { get; } = Directory.CreateDirectory(dir).FullName;
    public int Daemons { get; } = daemons;
    public string StartsPath => Path.Combine(Dir, "starts.txt");
    public string DaemonPath => Context.DaemonPath;
    public string Tag => Context.Tag;

    /// <summary>The supervisor's root process, when the benchmark started it directly.</summary>
    public Process? Root { get; set; }

    /// <summary>Daemon names, as in ours: bench0000, bench0001, ...</summary>
    public IEnumerable<string> Names => Enumerable.Range(0, Daemons).Select(i => $"bench{i:D4}");

    /// <summary>
    /// The environment every peer runs with, and so passes on to its daemons: the run's tag and the start log. PORT is
    /// removed, so a daemon binds an ephemeral loopback port (nothing probes it).
    /// </summary>
    public Dictionary<string, string> Environment(params (string Key, string Value)[] extra)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["BENCH_TAG"] = Tag,
            ["BENCH_STARTS"] = StartsPath,
        };
        foreach (var (k, v) in extra) env[k] = v;
        return env;
    }

    /// <summary>Starts a program with its stdout and stderr appended to a file in the run's directory.</summary>
    public Process Start(string exe, IEnumerable<string> args, IReadOnlyDictionary<string, string> env, string logName)
    {
        var psi = new ProcessStartInfo(exe)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = Dir,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("PORT");
        foreach (var (k, v) in env) psi.Environment[k] = v;
        var log = new StreamWriter(Path.Combine(Dir, logName), append: true) { AutoFlush = true };
        var p = Process.Start(psi) ?? throw new BenchmarkFailure($"could not start {exe}");
        Context.Track(p);
        p.StandardInput.Close();
        void Write(string? line)
        {
            if (line is null) return;
            lock (log) log.WriteLine(line);
        }
        p.OutputDataReceived += (_, e) => Write(e.Data);
        p.ErrorDataReceived += (_, e) => Write(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    public string LogTail(string logName, int lines = 15)
    {
        try { return string.Join('\n', File.ReadLines(Path.Combine(Dir, logName)).TakeLast(lines)); }
        catch (IOException) { return ""; }
    }
}
