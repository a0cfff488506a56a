using System.Diagnostics;
using System.Globalization;

namespace ActorSupervisor.Benchmarks;

/// <summary>
/// `actorsupervisor up` as a separate process, seen only from outside: its stdout lines (one per daemon state change,
/// each stamped with its arrival time here), its PID for signals and /proc, its exit code.
/// </summary>
internal sealed class SupervisorProcess : IDisposable
{
    public sealed record DaemonView(string Name, string State, int Pid, int Port, int Restarts, long AtNs);

    public sealed record StateEvent(long ArrivalNs, long? TsNs, string Name, string State, int Pid, int Port, string? Reason);

    private readonly object _gate = new();
    private readonly Dictionary<string, DaemonView> _daemons = new(StringComparer.Ordinal);
    private readonly List<StateEvent> _events = [];
    private readonly List<string> _otherLines = [];
    private readonly StreamWriter _stderr;
    private readonly Thread _reader;
    private bool _stdoutClosed;

    public Process Process { get; }
    public int Pid => Process.Id;

    /// <summary>CLOCK_REALTIME just before Process.Start.</summary>
    public long LaunchNs { get; }

    public long? UpLineNs { get; private set; }
    public long? StoppedLineNs { get; private set; }
    public string StderrPath { get; }

    private SupervisorProcess(Process process, long launchNs, string stderrPath)
    {
        Process = process;
        LaunchNs = launchNs;
        StderrPath = stderrPath;
        _stderr = new StreamWriter(stderrPath) { AutoFlush = true };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr) _stderr.WriteLine(e.Data);
        };
        process.BeginErrorReadLine();
        _reader = new Thread(ReadStdout) { IsBackground = true, Name = "supervisor-stdout" };
        _reader.Start();
    }

    public static SupervisorProcess Launch(string cli, IEnumerable<string> args, IEnumerable<KeyValuePair<string, string>> env, string stderrPath)
    {
        var psi = new ProcessStartInfo(cli)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true, // not a terminal: the CLI prints its fixed key=value lines
            RedirectStandardError = true,
        };
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        foreach (var (key, value) in env) psi.Environment[key] = value;
        var launchNs = Native.NowNs();
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {cli}");
        return new SupervisorProcess(process, launchNs, stderrPath);
    }

    private void ReadStdout()
    {
        var reader = Process.StandardOutput;
        while (reader.ReadLine() is { } line)
        {
            var arrival = Native.NowNs();
            var f = LogLineParser.Parse(line);
            lock (_gate)
            {
                if (f.TryGetValue("daemon", out var name) && f.TryGetValue("state", out var state))
                {
                    var pid = Int(f, "pid");
                    var port = Int(f, "port");
                    _events.Add(new StateEvent(arrival, Ts(f), name, state, pid, port, f.GetValueOrDefault("reason")));
                    _daemons[name] = new DaemonView(name, state, pid, port, Int(f, "restarts"), arrival);
                }
                else if (f.TryGetValue("supervisor", out var what))
                {
                    if (what == "up") UpLineNs ??= arrival;
                    else if (what == "stopped") StoppedLineNs ??= arrival;
                    _otherLines.Add(line);
                }
                else _otherLines.Add(line);
                Monitor.PulseAll(_gate);
            }
        }
        lock (_gate)
        {
            _stdoutClosed = true;
            Monitor.PulseAll(_gate);
        }
    }

    private static int Int(Dictionary<string, string> f, string key) =>
        f.TryGetValue(key, out var v) && int.TryParse(v, CultureInfo.InvariantCulture, out var i) ? i : 0;

    private static long? Ts(Dictionary<string, string> f) =>
        f.TryGetValue("ts", out var v) && DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? (t.UtcTicks - DateTime.UnixEpoch.Ticks) * 100
            : null;

    /// <summary>
    /// Waits, without spinning, until <paramref name="condition"/> (evaluated under the lock, after every line) holds.
    /// False on timeout, or when stdout has closed (the supervisor is gone) without it holding.
    /// </summary>
    public bool WaitUntil(Func<SupervisorProcess, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_gate)
        {
            while (!condition(this))
            {
                if (_stdoutClosed) return false;
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) return false;
                Monitor.Wait(_gate, left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
            }
            return true;
        }
    }

    public bool StdoutClosed
    {
        get { lock (_gate) return _stdoutClosed; }
    }

    // The queries below take the lock themselves (Monitor is reentrant, so they also work inside WaitUntil).

    public int CountInState(string state)
    {
        lock (_gate) return _daemons.Values.Count(d => d.State == state);
    }

    public DaemonView? Daemon(string name)
    {
        lock (_gate) return _daemons.GetValueOrDefault(name);
    }

    public IReadOnlyList<DaemonView> Daemons()
    {
        lock (_gate) return _daemons.Values.ToList();
    }

    public int EventCount
    {
        get { lock (_gate) return _events.Count; }
    }

    public IReadOnlyList<StateEvent> EventsSince(int index)
    {
        lock (_gate) return _events.Skip(index).ToList();
    }

    public IReadOnlyList<string> OtherLines()
    {
        lock (_gate) return _otherLines.ToList();
    }

    public bool Signal(int signal) => Native.kill(Pid, signal) == 0;

    public string StderrTail(int lines = 20)
    {
        lock (_stderr) _stderr.Flush();
        try { return string.Join('\n', File.ReadLines(StderrPath).TakeLast(lines)); }
        catch (IOException) { return ""; }
    }

    public void Dispose()
    {
        try
        {
            if (!Process.HasExited)
            {
                Signal(Native.SIGKILL);
                Process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException) { }
        _reader.Join(2000);
        lock (_stderr) _stderr.Dispose();
        Process.Dispose();
    }
}
