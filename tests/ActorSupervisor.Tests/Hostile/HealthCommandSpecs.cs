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

    [Fact]
    public async Task A_health_command_killed_by_a_signal_is_named_by_that_signal_with_what_it_said()
    {
        var run = await CommandProbe.RunAsync(["sh", "-c", "echo going; kill -KILL $$"], _project.Dir, Env, TimeSpan.FromSeconds(20));
        Assert.Equal(new CommandProbe.Outcome(null, 9, false, "going\n", false, null), run);

        var result = await CommandProbe.CheckAsync(["sh", "-c", "echo going; kill -KILL $$"], _project.Dir, Env, TimeSpan.FromSeconds(20));
        Assert.Equal("health command 'sh' was killed by signal 9: going", result.Error);
    }

    [Fact]
    public async Task A_short_output_is_kept_whole_and_not_marked_truncated()
    {
        var run = await CommandProbe.RunAsync(["sh", "-c", "echo hi; echo there >&2; exit 2"], _project.Dir, Env, TimeSpan.FromSeconds(20));
        Assert.Equal(new CommandProbe.Outcome(2, null, false, "hi\nthere\n", false, null), run);
    }

    [Fact]
    public async Task A_run_that_times_out_reports_neither_an_exit_code_nor_the_signal_that_ended_it()
    {
        // The probe's own SIGKILL ends it: that is not the command's doing, so it is not reported as its signal.
        var run = await CommandProbe.RunAsync(["sleep", "300"], _project.Dir, Env, TimeSpan.FromMilliseconds(300));
        Assert.Equal(new CommandProbe.Outcome(null, null, true, "", false, null), run);
    }

    [Fact]
    public async Task A_command_that_cannot_start_runs_nothing_and_gives_only_the_reason()
    {
        var missing = await CommandProbe.RunAsync(["no-such-health-command"], _project.Dir, Env, TimeSpan.FromSeconds(20));
        Assert.Equal(new CommandProbe.Outcome(null, null, false, "", false, "command 'no-such-health-command' not found on PATH"), missing);

        var gone = Path.Combine(_project.Dir, "gone");
        var noWorkDir = await CommandProbe.RunAsync(["true"], gone, Env, TimeSpan.FromSeconds(20));
        Assert.Equal(new CommandProbe.Outcome(null, null, false, "", false, $"work dir '{gone}' does not exist"), noWorkDir);

        // Executable by its mode, but not a program: found, then refused by the kernel when spawned.
        var garbage = Path.Combine(_project.Dir, "garbage");
        await File.WriteAllBytesAsync(garbage, [0x7f, 0x00, 0x01, 0x02, 0xff, 0xfe]);
        File.SetUnixFileMode(garbage, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var refused = await CommandProbe.RunAsync([garbage], _project.Dir, Env, TimeSpan.FromSeconds(20));
        Assert.Equal(new CommandProbe.Outcome(null, null, false, "", false, refused.StartError), refused);
        Assert.StartsWith($"cannot start '{garbage}'", refused.StartError);
    }

    [Fact]
    public async Task A_command_name_is_looked_up_on_the_PATH_of_the_daemon_s_environment()
    {
        var bin = Directory.CreateDirectory(Path.Combine(_project.Dir, "own-bin")).FullName;
        var check = Path.Combine(bin, "own-health-check");
        await File.WriteAllTextAsync(check, "#!/bin/sh\necho found\nexit 0\n");
        File.SetUnixFileMode(check, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var result = await CommandProbe.CheckAsync(["own-health-check"], _project.Dir, [.. Env, new("PATH", $"{bin}:/usr/bin:/bin")],
            TimeSpan.FromSeconds(20));

        Assert.Equal(ProbeResult.Ok, result);
    }

    [Fact]
    public async Task A_descendant_that_left_the_group_holding_the_output_is_not_waited_for_and_what_the_command_said_is_kept()
    {
        // It has its own session, so the group kill misses it, and it keeps the output open: the output never ends.
        // The command exits only once the leftover has written its PID, that is once it is out of the group.
        var pidFile = Path.Combine(_project.Dir, "leftover");
        var script = $"setsid sh -c 'echo $$ > {pidFile}; exec sleep 300' & while [ ! -s {pidFile} ]; do sleep 0.05; done; echo said; exit 1";
        var run = await CommandProbe.RunAsync(["sh", "-c", script], _project.Dir, Env,
            TimeSpan.FromSeconds(20)).WaitAsync(TimeSpan.FromSeconds(60));
        var leftover = int.Parse(File.ReadAllText(pidFile).Trim());
        try
        {
            Assert.Equal(new CommandProbe.Outcome(1, null, false, "said\n", false, null), run);
        }
        finally
        {
            // Ours for sure (it carries this test's tag) before it is signalled.
            if (_project.LiveProcesses().Contains(leftover)) Native.kill(leftover, Native.SIGKILL);
        }
    }

    [Fact]
    public async Task A_leftover_that_keeps_writing_is_not_kept_alive_by_the_probe_s_end_of_the_output()
    {
        // Out of the group (its own session), it writes without end. Once the probe has closed its end of the output
        // its writes fail and it ends; were that end left open, it would block on a full buffer for good.
        var pidFile = Path.Combine(_project.Dir, "writer");
        var script = $"setsid sh -c 'echo $$ > {pidFile}; exec yes' & while [ ! -s {pidFile} ]; do sleep 0.05; done; exit 1";
        var run = await CommandProbe.RunAsync(["sh", "-c", script], _project.Dir, Env, TimeSpan.FromSeconds(20))
            .WaitAsync(TimeSpan.FromSeconds(60));
        var writer = int.Parse(File.ReadAllText(pidFile).Trim());
        try
        {
            Assert.Equal(1, run.ExitCode);
            await _project.AssertNothingLeftBehind(); // gives it 10 s to end by itself
        }
        finally
        {
            // Ours for sure (it carries this test's tag) before it is signalled.
            if (_project.LiveProcesses().Contains(writer)) Native.kill(writer, Native.SIGKILL);
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        try { await _project.AssertNothingLeftBehind(); }
        finally { _project.Dispose(); } // kills whatever a failed test left, so it cannot cascade
    }
}
