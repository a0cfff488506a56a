using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace ActorSupervisor.Benchmarks.Peers;

/// <summary>pm2 (npm), with its own PM2_HOME in the run's directory, so it never touches a user's pm2.</summary>
internal sealed class Pm2 : PeerSupervisor
{
    private Process? _stopCli;

    public override string Name => "pm2";

    public override string Settings =>
        "PM2_HOME in the run's temp dir; `pm2 start ecosystem.json` with, per app: interpreter none (the binary " +
        "itself), exec_mode fork, autorestart true, restart_delay 0 (no exp_backoff_restart_delay), max_restarts " +
        "1000000, kill_timeout 2000, one log file per app. Start is timed from launching `pm2 start` (which starts " +
        "the God daemon); stop is `pm2 kill`";

    public override string? Missing(Options options) =>
        Pm2Path(options) is null ? "pm2 not found (npm install -g pm2@7.0.4, or into a prefix and pass --pm2 PREFIX/bin/pm2)" : null;

    private static string? Pm2Path(Options options) =>
        options.Pm2 is { } p ? (File.Exists(p) ? p : null) : Which("pm2");

    private static string Home(PeerRun run) => Path.Combine(run.Dir, "pm2home");

    public override void Prepare(PeerRun run)
    {
        var logs = Directory.CreateDirectory(Path.Combine(run.Dir, "logs")).FullName;
        Directory.CreateDirectory(Home(run));
        var apps = run.Names.Select(name => new Dictionary<string, object>
        {
            ["name"] = name,
            ["script"] = run.DaemonPath,
            ["interpreter"] = "none",
            ["exec_mode"] = "fork",
            ["autorestart"] = true,
            ["restart_delay"] = 0,
            ["max_restarts"] = 1000000,
            ["kill_timeout"] = 2000,
            ["out_file"] = Path.Combine(logs, name + ".log"),
            ["error_file"] = Path.Combine(logs, name + ".log"),
        });
        File.WriteAllText(Path.Combine(run.Dir, "ecosystem.json"), JsonSerializer.Serialize(new { apps }));
    }

    public override void Launch(PeerRun run)
    {
        var cli = run.Start(Pm2Path(run.Context.Options)!, ["start", Path.Combine(run.Dir, "ecosystem.json")],
            run.Environment(("PM2_HOME", Home(run))), "pm2-start.out");
        // The CLI exits once every app is started; the God daemon it spawned stays. WaitForExit(ms) does not wait for
        // the end of the output, which the daemon may hold open.
        if (!cli.WaitForExit(TimeSpan.FromSeconds(60 + run.Daemons / 5)))
            throw new BenchmarkFailure($"pm2 start did not return\n{run.LogTail("pm2-start.out")}");
        if (cli.ExitCode != 0) throw new BenchmarkFailure($"pm2 start exited with {cli.ExitCode}\n{run.LogTail("pm2-start.out")}");
    }

    public override IReadOnlyList<int> Roots(PeerRun run)
    {
        var pidFile = Path.Combine(Home(run), "pm2.pid");
        return File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture, out var pid)
            ? [pid]
            : throw new BenchmarkFailure($"pm2: no God daemon PID in {pidFile}");
    }

    public override void Stop(PeerRun run) =>
        _stopCli = run.Start(Pm2Path(run.Context.Options)!, ["kill"], run.Environment(("PM2_HOME", Home(run))), "pm2-kill.out");

    public override void AfterStop(PeerRun run)
    {
        if (_stopCli is { } cli && !cli.WaitForExit(TimeSpan.FromSeconds(30)))
            run.Context.Problem("pm2: `pm2 kill` did not return within 30 s");
    }
}
