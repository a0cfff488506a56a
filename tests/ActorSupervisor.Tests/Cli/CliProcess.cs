using System.Diagnostics;
using System.Text.RegularExpressions;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Cli;

/// <summary>
/// The built `actorsupervisor` executable run as a real process, with the test's tag in its environment (so the leak
/// check finds it and every daemon it starts), stdout and stderr collected line by line.
/// </summary>
public sealed partial class CliProcess : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Built in the same configuration as the tests, like the test daemon.</summary>
    public static string ExecutablePath { get; } = Find();

    private readonly Process _process;
    private readonly object _gate = new();
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];

    private CliProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_gate) _stdout.Add(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_gate) _stderr.Add(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static CliProcess Start(TestProject project, params string[] args)
    {
        // Through `env --default-signal` (it execs, so the pid is the CLI's): a test runner started under nohup or from a
        // non-interactive shell hands its children SIGHUP or SIGINT ignored, and `up` would rightly keep them so.
        var info = new ProcessStartInfo("/usr/bin/env")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = project.Dir,
        };
        info.ArgumentList.Add("--default-signal");
        info.ArgumentList.Add(ExecutablePath);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment[TestProject.TagVariable] = project.Tag;
        return new CliProcess(Process.Start(info) ?? throw new InvalidOperationException("actorsupervisor did not start"));
    }

    /// <summary>Runs a command that is expected to finish (status, stop, a refused up) and returns what it printed.</summary>
    public static async Task<CliResult> RunAsync(TestProject project, params string[] args)
    {
        using var cli = Start(project, args);
        var code = await cli.WaitForExitAsync();
        return new CliResult(code, cli.Stdout, cli.Stderr);
    }

    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    public IReadOnlyList<string> Stdout
    {
        get { lock (_gate) return _stdout.ToList(); }
    }

    public IReadOnlyList<string> Stderr
    {
        get { lock (_gate) return _stderr.ToList(); }
    }

    /// <summary>The state lines seen so far, parsed (<see cref="StateLine.TryParse"/>).</summary>
    public IReadOnlyList<StateLine> States => Stdout.Select(StateLine.TryParse).OfType<StateLine>().ToList();

    /// <summary>The first state line for <paramref name="daemon"/> in <paramref name="state"/>, waiting for it.</summary>
    public async Task<StateLine> WaitForState(string daemon, string state)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var hit = States.FirstOrDefault(s => s.Daemon == daemon && s.State == state);
            if (hit is not null) return hit;
            if (DateTime.UtcNow > deadline || HasExited)
                throw new TimeoutException($"no state={state} line for {daemon}; stdout:\n{string.Join('\n', Stdout)}\nstderr:\n{string.Join('\n', Stderr)}");
            await Task.Delay(20);
        }
    }

    public async Task<int> WaitForExitAsync()
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(Patience);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"actorsupervisor did not exit; stdout:\n{string.Join('\n', Stdout)}\nstderr:\n{string.Join('\n', Stderr)}");
        }
        return _process.ExitCode;
    }

    public void Signal(int signal) => Assert.Equal(0, Native.kill(_process.Id, signal));

    public void Dispose()
    {
        // A test that failed half-way must not leave a supervisor behind; TestProject.Dispose kills its daemons.
        try
        {
            if (!_process.HasExited) _process.Kill();
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }

    private static string Find()
    {
        // .../tests/ActorSupervisor.Tests/bin/<Configuration>/net10.0/
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var path = Path.Combine(TestDaemon.RepoRoot, "src", "ActorSupervisor.Cli", "bin", configuration, "net10.0", "actorsupervisor");
        if (!File.Exists(path)) throw new InvalidOperationException($"actorsupervisor not built: {path}");
        return path;
    }
}

public sealed record CliResult(int ExitCode, IReadOnlyList<string> Stdout, IReadOnlyList<string> Stderr)
{
    public string Out => string.Join('\n', Stdout);
    public string Err => string.Join('\n', Stderr);
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Err}";
}

/// <summary>One line of `up`'s non-terminal output format, which outside tools parse; the pattern is the contract.</summary>
public sealed partial record StateLine(string Daemon, string State, int Pid, int Port, int Restarts, string? Reason)
{
    [GeneratedRegex("""^ts=\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z daemon=(?<d>[A-Za-z0-9._-]+) state=(?<s>starting|running|stopping|stopped|failed|restarting) pid=(?<pid>\d+) port=(?<port>\d+) restarts=(?<r>\d+)(?: reason="(?<reason>(?:[^"\\]|\\.)*)")?$""")]
    private static partial Regex Pattern();

    [GeneratedRegex("""^ts=\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z supervisor=up session=(?<session>[A-Za-z0-9._-]+) pid=(?<pid>\d+) daemons=(?<n>\d+)$""")]
    public static partial Regex SupervisorUp();

    [GeneratedRegex("""^ts=\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z supervisor=stopped$""")]
    public static partial Regex SupervisorStopped();

    public static StateLine? TryParse(string line)
    {
        var m = Pattern().Match(line);
        if (!m.Success) return null;
        return new StateLine(m.Groups["d"].Value, m.Groups["s"].Value, int.Parse(m.Groups["pid"].Value),
            int.Parse(m.Groups["port"].Value), int.Parse(m.Groups["r"].Value),
            m.Groups["reason"].Success ? m.Groups["reason"].Value : null);
    }

    /// <summary>A quoted value as it was before LogLine.Quote escaped it (\" \\ \n \r \t \uXXXX).</summary>
    public static string Unescape(string quoted) =>
        EscapeSequence().Replace(quoted, m => m.Groups[1].Value switch
        {
            "n" => "\n",
            "r" => "\r",
            "t" => "\t",
            var u when u.Length == 5 => ((char)Convert.ToInt32(u[1..], 16)).ToString(),
            var c => c,
        });

    [GeneratedRegex("""\\(u[0-9a-f]{4}|.)""")]
    private static partial Regex EscapeSequence();

    /// <summary>True for every line `up` may print on a non-terminal stdout.</summary>
    public static bool IsContractLine(string line) =>
        Pattern().IsMatch(line) || SupervisorUp().IsMatch(line) || SupervisorStopped().IsMatch(line);
}
