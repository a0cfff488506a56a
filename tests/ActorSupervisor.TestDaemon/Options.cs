using System.Globalization;

namespace ActorSupervisor.TestDaemon;

internal sealed class UsageException(string message) : Exception(message);

internal sealed class Options
{
    public int? Port { get; private set; }
    public string HealthPath { get; private set; } = "/health";
    public TimeSpan? UnhealthyAfter { get; private set; }
    public bool HangHealth { get; private set; }
    public TimeSpan? ExitAfter { get; private set; }
    public int ExitCode { get; private set; } = 1;
    public int? CrashSignal { get; private set; }
    public string CrashSignalName { get; private set; } = "";
    public bool IgnoreSigterm { get; private set; }
    public int SpawnGrandchildren { get; private set; }
    public string? GrandchildPidsFile { get; private set; }
    public int StdoutLines { get; private set; }
    public int StderrLines { get; private set; }
    public string? PidFile { get; private set; }
    public string? ReadyFile { get; private set; }
    public int? ExitAfterHealthChecks { get; private set; }
    public TimeSpan SleepBeforeListen { get; private set; }
    public bool Grandchild { get; private set; }
    public int Daemonize { get; private set; }

    /// <summary>The arguments a daemonized copy runs with: these, without the daemonizing flag.</summary>
    public IReadOnlyList<string> Rest { get; private set; } = [];

    /// <summary>Appends "&lt;pid&gt; &lt;event&gt;" lines (start, each signal caught, exit N) to this file.</summary>
    public string? RecordSignals { get; private set; }

    /// <summary>Lead a new session and process group, as a daemon does (for bystanders started with Process.Start).</summary>
    public bool Setsid { get; private set; }

    /// <summary>Answer every Nth health check with 503 (the others 200): intermittent failures.</summary>
    public int? UnhealthyEvery { get; private set; }

    /// <summary>Answer this many health checks, then hang on every later one (probe timeouts).</summary>
    public int? HangHealthAfter { get; private set; }

    /// <summary>Answer this many health checks, then stop listening while staying alive (connections refused).</summary>
    public int? CloseListenerAfter { get; private set; }

    /// <summary>Write one line of about 100 bytes to stdout at this interval (a log that grows while running).</summary>
    public TimeSpan? LogEvery { get; private set; }
    /// <summary>Answer an MCP JSON-RPC "initialize" POSTed to / (as cm does), with a result, or with an error.</summary>
    public bool Mcp { get; private set; }
    public bool McpError { get; private set; }

    // Linux numbering; the supervisor under test only runs on Linux, and macOS differs for BUS/USR1/USR2.
    private static readonly Dictionary<string, int> Signals = new(StringComparer.OrdinalIgnoreCase)
    {
        ["HUP"] = 1, ["INT"] = 2, ["QUIT"] = 3, ["ILL"] = 4, ["TRAP"] = 5, ["ABRT"] = 6, ["BUS"] = 7,
        ["FPE"] = 8, ["KILL"] = 9, ["USR1"] = 10, ["SEGV"] = 11, ["USR2"] = 12, ["PIPE"] = 13,
        ["ALRM"] = 14, ["TERM"] = 15,
    };

    /// <summary>Set in a test daemon's environment, it turns on --record-signals for that file.</summary>
    public const string RecordSignalsVariable = "TESTDAEMON_RECORD_SIGNALS";

    /// <summary>
    /// Run as "cm" or "am" (a link named so), the test daemon fakes NTM's daemons with their real command lines:
    /// `cm serve --port N` answers MCP on /, `am serve-http --host H --no-tui --no-auth --port N` serves /health/liveness.
    /// </summary>
    private static string[] AsFake(string[] args)
    {
        string? argv0 = null;
        try { argv0 = File.ReadAllText("/proc/self/cmdline").Split('\0')[0]; }
        catch (IOException) { }
        var fake = Path.GetFileName(argv0 ?? "");
        if (fake == "cm" && args is ["serve", .. var cmRest]) return ["--mcp", .. cmRest];
        if (fake == "am" && args is ["serve-http", .. var amRest])
            return ["--health-path", "/health/liveness", .. amRest.Where(a => a is not ("--no-tui" or "--no-auth")).SkipHostFlag()];
        return args;
    }

    public static Options Parse(string[] args, string? portFromEnvironment, string? recordFromEnvironment = null)
    {
        args = AsFake(args);
        var o = new Options { RecordSignals = string.IsNullOrEmpty(recordFromEnvironment) ? null : recordFromEnvironment };
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string name = arg;
            string? inlineValue = null;
            int eq = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 2)
            {
                name = arg[..eq];
                inlineValue = arg[(eq + 1)..];
            }

            string Value()
            {
                if (inlineValue is not null) return inlineValue;
                if (i + 1 >= args.Length) throw new UsageException($"missing value for {name}");
                return args[++i];
            }

            bool Switch()
            {
                if (inlineValue is not null) throw new UsageException($"{name} takes no value");
                return true;
            }

            switch (name)
            {
                case "--port": o.Port = ParsePort(name, Value()); break;
                case "--health-path":
                    o.HealthPath = Value();
                    if (!o.HealthPath.StartsWith('/')) throw new UsageException($"{name} must start with '/'");
                    break;
                case "--unhealthy-after": o.UnhealthyAfter = ParseDuration(name, Value()); break;
                case "--hang-health": o.HangHealth = Switch(); break;
                case "--exit-after": o.ExitAfter = ParseDuration(name, Value()); break;
                case "--exit-code": o.ExitCode = ParseInt(name, Value(), int.MinValue); break;
                case "--crash-signal": (o.CrashSignalName, o.CrashSignal) = ParseSignal(name, Value()); break;
                case "--ignore-sigterm": o.IgnoreSigterm = Switch(); break;
                case "--spawn-grandchildren": o.SpawnGrandchildren = ParseInt(name, Value(), 0); break;
                case "--grandchild-pids": o.GrandchildPidsFile = Value(); break;
                case "--stdout-lines": o.StdoutLines = ParseInt(name, Value(), 0); break;
                case "--stderr-lines": o.StderrLines = ParseInt(name, Value(), 0); break;
                case "--pid-file": o.PidFile = Value(); break;
                case "--ready-file": o.ReadyFile = Value(); break;
                case "--exit-after-health-checks": o.ExitAfterHealthChecks = ParseInt(name, Value(), 1); break;
                case "--sleep-before-listen": o.SleepBeforeListen = ParseDuration(name, Value()); break;
                case "--grandchild": o.Grandchild = Switch(); break;
                case "--record-signals": o.RecordSignals = Value(); break;
                case "--setsid": o.Setsid = Switch(); break;
                case "--unhealthy-every": o.UnhealthyEvery = ParseInt(name, Value(), 1); break;
                case "--hang-health-after": o.HangHealthAfter = ParseInt(name, Value(), 0); break;
                case "--close-listener-after": o.CloseListenerAfter = ParseInt(name, Value(), 1); break;
                case "--log-every": o.LogEvery = ParseDuration(name, Value()); break;
                case "--daemonize": o.Daemonize = ParseInt(name, Value(), 1); break;
                case "--mcp": o.Mcp = Switch(); break;
                case "--mcp-error": o.McpError = o.Mcp = Switch(); break;
                default: throw new UsageException($"unknown flag {arg}");
            }
        }

        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--daemonize") { i++; continue; }
            if (args[i].StartsWith("--daemonize=", StringComparison.Ordinal)) continue;
            rest.Add(args[i]);
        }
        o.Rest = rest;

        if (o.Port is null && !string.IsNullOrEmpty(portFromEnvironment))
            o.Port = ParsePort("PORT", portFromEnvironment);
        return o;
    }

    private static int ParsePort(string name, string s)
    {
        int port = ParseInt(name, s, 0);
        if (port > 65535) throw new UsageException($"bad value for {name}: {s}");
        return port;
    }

    private static int ParseInt(string name, string s, int min)
    {
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < min)
            throw new UsageException($"bad value for {name}: {s}");
        return v;
    }

    public static TimeSpan ParseDuration(string name, string s)
    {
        double scale = 1;
        string number = s;
        if (s.EndsWith("ms", StringComparison.Ordinal)) (scale, number) = (0.001, s[..^2]);
        else if (s.EndsWith('s')) number = s[..^1];
        else if (s.EndsWith('m')) (scale, number) = (60, s[..^1]);
        else if (s.EndsWith('h')) (scale, number) = (3600, s[..^1]);

        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
            || !double.IsFinite(v) || v < 0)
            throw new UsageException($"bad value for {name}: {s}");
        var duration = TimeSpan.FromSeconds(v * scale);
        // Task.Delay rejects anything beyond ~24.8 days; fail at parse time rather than mid-run.
        if (duration.TotalMilliseconds > int.MaxValue) throw new UsageException($"value for {name} too large: {s}");
        return duration;
    }

    private static (string, int) ParseSignal(string name, string s)
    {
        string bare = s.StartsWith("SIG", StringComparison.OrdinalIgnoreCase) ? s[3..] : s;
        if (Signals.TryGetValue(bare, out int number)) return (bare.ToUpperInvariant(), number);
        if (int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out number) && number is > 0 and < 65)
            return (s, number);
        throw new UsageException($"bad value for {name}: {s}");
    }
}

internal static class FakeArgs
{
    public static IEnumerable<string> SkipHostFlag(this IEnumerable<string> args)
    {
        var skip = false;
        foreach (var a in args)
        {
            if (skip) { skip = false; continue; }
            if (a == "--host") { skip = true; continue; }
            yield return a;
        }
    }
}
