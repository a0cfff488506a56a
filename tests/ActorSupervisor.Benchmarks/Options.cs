using System.Globalization;

namespace ActorSupervisor.Benchmarks;

internal sealed class UsageException(string message) : Exception(message);

/// <summary>A run failed: a daemon never started, a kill was not followed by a restart, something was left behind...</summary>
internal sealed class BenchmarkFailure(string message) : Exception(message);

internal sealed record Options
{
    public const string Usage = """
        usage: dotnet run -c Release --project tests/ActorSupervisor.Benchmarks -- [options]

          --daemons N          daemons under the supervisor (default 200)
          --kills K            kill -9 restarts to time, each of a different daemon where N allows (default 15, at least 15
                               unless --smoke)
          --idle-seconds S     how long the idle CPU is measured (default 20)
          --json FILE          where the results go as JSON (default benchmark-results.json)
          --smoke              a tiny run (5 daemons, 3 kills, 2 s idle) that exits non-zero if anything did not work
          --baseline FILE      a results JSON of an earlier run (e.g. N=200) to print growth ratios against
          --floor-iterations I repetitions of each single-process floor measurement (default 50, smoke 10)
          --cli PATH           the actorsupervisor executable (default: src/ActorSupervisor.Cli/bin/Release/net10.0/actorsupervisor)
          --keep               keep the temp dir (specs, daemon logs, supervisor stderr) for inspection
          --env KEY=VALUE      set an environment variable for the supervisor process only (repeatable), to try runtime
                               knobs such as DOTNET_gcServer=0 without touching its code
          --no-floor           skip the floor measurements (quicker experiments; no ratios)
          --peers              side by side: ours (--cli, and --native if given) and supervisord, runit, s6 and pm2 (those
                               installed) over the same benchdaemon, N and kill schedule; one table with ratios
          --native PATH        a NativeAOT actorsupervisor (dotnet publish src/ActorSupervisor.Cli -c Release -o DIR) to
                               measure beside the JIT build in --peers mode
          --only LIST          --peers: only these, comma-separated (ours-jit, ours-native, supervisord, runit, s6, pm2)
          --pm2 PATH           the pm2 executable (default: pm2 on PATH)
        """;

    public int Daemons { get; init; } = 200;
    public int Kills { get; init; } = 15;
    public double IdleSeconds { get; init; } = 20;
    public string JsonPath { get; init; } = "benchmark-results.json";
    public bool Smoke { get; init; }
    public string? Baseline { get; init; }
    public int FloorIterations { get; init; } = 50;
    public string? Cli { get; init; }
    public bool KeepTemp { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> SupervisorEnv { get; init; } = [];
    public bool NoFloor { get; init; }
    public bool Peers { get; init; }
    public string? Native { get; init; }
    public IReadOnlyList<string>? Only { get; init; }
    public string? Pm2 { get; init; }

    /// <summary>A daemon is killed only once its current process has been up this long.</summary>
    public TimeSpan MinAgeBeforeKill { get; init; } = TimeSpan.FromSeconds(1.5);

    /// <summary>Quiet time before an idle measurement starts.</summary>
    public TimeSpan IdleSettle { get; init; } = TimeSpan.FromSeconds(1);

    public static Options Parse(string[] args)
    {
        var smoke = args.Contains("--smoke");
        var o = smoke ? new Options { Smoke = true, Daemons = 5, Kills = 3, IdleSeconds = 2, FloorIterations = 10 } : new Options();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value");
            int Int(int min)
            {
                var name = args[i];
                var text = Value();
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min
                    ? v
                    : throw new UsageException($"{name}: '{text}' must be a whole number of at least {min}");
            }

            o = args[i] switch
            {
                "--smoke" => o,
                "--daemons" => o with { Daemons = Int(1) },
                "--kills" => o with { Kills = Int(1) },
                "--idle-seconds" => o with { IdleSeconds = Int(1) },
                "--json" => o with { JsonPath = Value() },
                "--baseline" => o with { Baseline = Value() },
                "--floor-iterations" => o with { FloorIterations = Int(1) },
                "--cli" => o with { Cli = Value() },
                "--keep" => o with { KeepTemp = true },
                "--no-floor" => o with { NoFloor = true },
                "--peers" => o with { Peers = true },
                "--native" => o with { Native = Value() },
                "--only" => o with { Only = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--pm2" => o with { Pm2 = Value() },
                "--env" => o with { SupervisorEnv = [.. o.SupervisorEnv, EnvPair(Value())] },
                "-h" or "--help" => throw new UsageException(""),
                var other => throw new UsageException($"unknown argument '{other}'"),
            };
        }
        if (!o.Smoke && o.Kills < 15) throw new UsageException("--kills: at least 15 kills make a median and a p90 worth reading");
        return o;
    }

    private static KeyValuePair<string, string> EnvPair(string text)
    {
        var eq = text.IndexOf('=');
        return eq > 0 ? new(text[..eq], text[(eq + 1)..]) : throw new UsageException($"--env: '{text}' is not KEY=VALUE");
    }
}
