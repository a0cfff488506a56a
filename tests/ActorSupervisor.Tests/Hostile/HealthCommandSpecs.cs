using System.Text.Json;
using ActorSupervisor.Daemons;
using ActorSupervisor.Health;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Cli;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Hostile;

/// <summary>
/// Health commands run like daemons: in a process group of their own, killed with that group on timeout and after
/// they exit, their output kept to a bounded buffer. Finding 10 (`yes` as a health command took `up` to 3.9 GB).
/// </summary>
public sealed class HealthCommandSpecs(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestProject _project = new();
    private KeyValuePair<string, string>[] Env => [new(TestProject.TagVariable, _project.Tag)];

    [Fact]
    public async Task A_health_command_that_prints_without_end_costs_up_a_bounded_buffer_not_gigabytes()
    {
        // Measured in `up`'s own process (its peak RSS), where nothing else the test suite does can add to it.
        var specs = Path.Combine(_project.Dir, "specs.json");
        await File.WriteAllTextAsync(specs, JsonSerializer.Serialize(new[]
        {
            new DaemonSpec { Name = "web", Command = "sleep", Args = ["1000"], HealthCmd = ["yes"], Env = [$"{TestProject.TagVariable}={_project.Tag}"] },
        }));
        using var up = CliProcess.Start(_project, "up", "--specs", specs, "--project-dir", _project.Dir, "--session", _project.SessionId,
            "--health-interval", "200ms");
        await up.WaitForState("web", "starting");

        // Each probe reads `yes` for its whole 2 s timeout; unbounded, two of them are gigabytes.
        long peak = 0;
        var until = DateTime.UtcNow.AddSeconds(6);
        while (DateTime.UtcNow < until && peak < Limit)
        {
            peak = PeakRss(up.Pid);
            await Task.Delay(100);
        }
        up.Signal(Native.SIGTERM);
        Assert.Equal(0, await up.WaitForExitAsync());
        output.WriteLine($"hostile: `yes` as a health command for 6 s: up peaked at {peak / 1024 / 1024} MB RSS");
        Assert.True(peak < Limit, $"`up` peaked at {peak / 1024 / 1024} MB with `yes` as a health command");
    }

    // `up` idles near 80 MB RSS; unbounded, the first probe's 2 s of `yes` alone take it past this.
    private const long Limit = 250L * 1024 * 1024;

    private static long PeakRss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    [Fact]
    public async Task Only_the_first_64_KB_of_a_health_command_s_output_is_kept()
    {
        var run = await CommandProbe.RunAsync(["sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' a; echo; echo failing >&2; exit 3"],
            _project.Dir, Env, TimeSpan.FromSeconds(20));

        Assert.Equal(3, run.ExitCode);
        Assert.False(run.TimedOut);
        Assert.Equal(CommandProbe.OutputLimit, run.Output.Length);
        Assert.True(run.OutputTruncated);
    }

    [Fact]
    public async Task A_health_command_s_background_children_do_not_outlive_it()
    {
        var result = await CommandProbe.CheckAsync(["sh", "-c", "sleep 300 & sleep 300 & echo started"], _project.Dir, Env, TimeSpan.FromSeconds(20));

        Assert.True(result.Healthy, result.Error);
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_health_command_that_times_out_is_killed_with_everything_in_its_group()
    {
        var result = await CommandProbe.CheckAsync(["sh", "-c", "sleep 300 & sleep 300"], _project.Dir, Env, TimeSpan.FromMilliseconds(300));

        Assert.False(result.Healthy);
        Assert.Contains("timed out", result.Error);
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_failing_health_command_reports_its_exit_code_and_output_and_a_missing_one_its_name()
    {
        var failing = await CommandProbe.CheckAsync(["sh", "-c", "echo not ready >&2; exit 4"], _project.Dir, Env, TimeSpan.FromSeconds(20));
        var missing = await CommandProbe.CheckAsync(["no-such-health-command"], _project.Dir, Env, TimeSpan.FromSeconds(20));

        Assert.Equal("health command 'sh' exited with code 4: not ready", failing.Error);
        Assert.Contains("'no-such-health-command' not found", missing.Error);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        try { await _project.AssertNothingLeftBehind(); }
        finally { _project.Dispose(); } // kills whatever a failed test left, so it cannot cascade
    }
}
