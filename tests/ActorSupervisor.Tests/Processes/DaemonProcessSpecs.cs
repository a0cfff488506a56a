using System.Diagnostics;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Processes;

public sealed class DaemonProcessSpecs : IDisposable
{
    private readonly TestProject _project = new();

    private LaunchRequest Request(params string[] args) => new()
    {
        Argv = [TestDaemon.Path, .. args],
        WorkDir = _project.Dir,
        LogPath = Path.Combine(_project.Dir, "logs", "d.log"),
        Environment = [new(TestProject.TagVariable, _project.Tag)],
    };

    [Fact]
    public async Task A_daemon_runs_in_its_own_session_and_process_group_with_its_output_in_the_log()
    {
        // Shell syntax in an argument reaches the daemon as one literal argv element: there is no shell to run it.
        var request = Request("--stdout-lines", "3", "--stderr-lines", "2", "--health-path", "/$(touch pwned)", "--exit-after", "0.2", "--exit-code", "4");
        var process = DaemonProcess.Launch(request);
        var exit = await process.Exit.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(4, exit.ExitCode);
        Assert.False(File.Exists(Path.Combine(_project.Dir, "pwned")));
        var log = await File.ReadAllTextAsync(request.LogPath);
        Assert.Contains("line 3", log);
        Assert.Contains("--health-path /$(touch pwned)", log);
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task The_daemon_leads_its_own_group_and_session_in_the_work_dir_with_the_given_environment()
    {
        var request = Request() with { Environment = [new(TestProject.TagVariable, _project.Tag), new("EXTRA", "yes")] };
        var process = DaemonProcess.Launch(request);
        try
        {
            var stat = File.ReadAllText($"/proc/{process.Pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            Assert.Equal(process.Pid.ToString(), fields[2]); // pgrp
            Assert.Equal(process.Pid.ToString(), fields[3]); // session
            Assert.Equal(_project.Dir, new DirectoryInfo($"/proc/{process.Pid}/cwd").LinkTarget);
            // posix_spawn returns once the child has begun exec, a moment before its new environment is laid out.
            string[] environ = [];
            await WaitFor(() => (environ = File.ReadAllText($"/proc/{process.Pid}/environ").Split('\0')).Length > 1);
            Assert.Contains("EXTRA=yes", environ);
            Assert.Contains(environ, e => e.StartsWith("PATH=", StringComparison.Ordinal)); // the supervisor's own environment is inherited
            Assert.Equal(process.Identity, ProcessIdentity.Of(process.Pid));
        }
        finally
        {
            await process.StopAsync(TimeSpan.FromSeconds(5));
        }
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task An_exit_reports_its_code_and_a_crash_its_signal()
    {
        var exited = DaemonProcess.Launch(Request("--exit-after", "100ms", "--exit-code", "3"));
        var crashed = DaemonProcess.Launch(Request("--exit-after", "100ms", "--crash-signal", "SEGV"));
        Assert.Equal(3, (await exited.Exit.WaitAsync(TimeSpan.FromSeconds(30))).ExitCode);
        var crash = await crashed.Exit.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(11, crash.Signal);
        Assert.Null(crash.ExitCode);
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public void A_missing_binary_fails_at_once_naming_it_and_starts_nothing()
    {
        var e = Assert.Throws<DaemonLaunchException>(() => DaemonProcess.Launch(Request() with { Argv = ["no-such-daemon-xyz", "serve"] }));
        Assert.Contains("no-such-daemon-xyz", e.Message);
        var relative = Assert.Throws<DaemonLaunchException>(() => DaemonProcess.Launch(Request() with { Argv = ["./bin/missing"] }));
        Assert.Contains("./bin/missing", relative.Message);
        Assert.False(File.Exists(Request().LogPath));
    }

    [Fact]
    public async Task Stop_reaches_grandchildren_in_the_process_group()
    {
        var pidsFile = Path.Combine(_project.Dir, "grandchildren");
        var process = DaemonProcess.Launch(Request("--spawn-grandchildren", "2", "--grandchild-pids", pidsFile));
        var grandchildren = await ReadPids(pidsFile, 2);
        Assert.All(grandchildren, pid => Assert.True(ProcessScan.IsAlive(pid)));

        var exit = await process.StopAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(0, exit.ExitCode); // the test daemon exits 0 on SIGTERM
        Assert.All(grandchildren, pid => Assert.False(ProcessScan.IsAlive(pid)));
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_daemon_that_ignores_SIGTERM_is_killed_after_the_grace_period_with_its_grandchildren()
    {
        var pidsFile = Path.Combine(_project.Dir, "grandchildren");
        var ready = Path.Combine(_project.Dir, "ready");
        var process = DaemonProcess.Launch(Request("--ignore-sigterm", "--spawn-grandchildren", "1", "--grandchild-pids", pidsFile, "--ready-file", ready));
        var grandchild = (await ReadPids(pidsFile, 1))[0];
        await WaitFor(() => File.Exists(ready));

        var clock = Stopwatch.StartNew();
        var exit = await process.StopAsync(TimeSpan.FromMilliseconds(500));

        Assert.Equal(9, exit.Signal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(10));
        Assert.False(ProcessScan.IsAlive(grandchild));
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_process_that_merely_has_the_recorded_pid_is_not_adopted_nor_signalled()
    {
        // An unrelated live process, and a record claiming its PID with another start time: a reused PID.
        using var unrelated = Process.Start(new ProcessStartInfo("sleep", "30"))!;
        try
        {
            var real = ProcessIdentity.Of(unrelated.Id)!.Value;
            var recorded = real with { StartTime = real.StartTime - 1 };
            Assert.False(recorded.IsAlive);
            Assert.True(real.IsAlive);
            Assert.Null(DaemonProcess.Adopt(recorded, unrelated.Id, DateTimeOffset.UtcNow));
            Assert.False(unrelated.HasExited);
        }
        finally
        {
            unrelated.Kill();
        }
    }

    [Fact]
    public async Task An_adopted_process_that_is_not_our_child_is_watched_until_it_exits()
    {
        var process = DaemonProcess.Launch(Request("--record-signals", _project.Signals.Path));
        await _project.Signals.WaitForStart(process.Pid); // its SIGTERM handler is in place
        var adopted = DaemonProcess.Adopt(process.Identity, process.ProcessGroup, process.StartedAt);
        Assert.NotNull(adopted);
        Assert.False(adopted.IsChild);
        Assert.False(adopted.HasExited);

        var adoptedExit = await adopted.StopAsync(TimeSpan.FromSeconds(5));

        // Only the parent reaps: the launch gets the exit status, the adoption (not the parent) none.
        Assert.Equal(0, (await process.Exit.WaitAsync(TimeSpan.FromSeconds(30))).ExitCode);
        Assert.Null(adoptedExit.ExitCode);
        Assert.Null(adoptedExit.Signal);
        Assert.True(adopted.HasExited);
        Assert.False(adopted.SignalGroup(15)); // nothing of its group is left to signal
        await _project.AssertNothingLeftBehind();
    }

    private static async Task<int[]> ReadPids(string file, int count)
    {
        int[] pids = [];
        await WaitFor(() =>
        {
            if (!File.Exists(file)) return false;
            pids = File.ReadAllLines(file).Where(l => l.Length > 0).Select(int.Parse).ToArray();
            return pids.Length >= count;
        });
        return pids;
    }

    internal static async Task WaitFor(Func<bool> condition, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met in time");
            await Task.Delay(20);
        }
    }

    public void Dispose() => _project.Dispose();
}
