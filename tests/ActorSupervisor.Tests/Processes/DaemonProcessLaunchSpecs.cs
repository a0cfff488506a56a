using System.Diagnostics;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Processes;

/// <summary>
/// How a daemon's process is started (plain and ephemeral), taken over from a PID file, signalled through its group
/// and described: each observable through the real process it names.
/// </summary>
public sealed class DaemonProcessLaunchSpecs : IDisposable
{
    private readonly TestProject _project = new();

    private LaunchRequest Request(params string[] args) => new()
    {
        Argv = [TestDaemon.Path, .. args],
        WorkDir = _project.Dir,
        LogPath = Path.Combine(_project.Dir, "logs", "d.log"),
        Environment = [new(TestProject.TagVariable, _project.Tag)],
    };

    /// <summary>A directory holding the test daemon under a name found nowhere else, for a PATH of its own.</summary>
    private string PrivateBin(string name)
    {
        var bin = Path.Combine(_project.Dir, "bin");
        Directory.CreateDirectory(bin);
        File.CreateSymbolicLink(Path.Combine(bin, name), TestDaemon.Path);
        return bin;
    }

    [Fact]
    public async Task A_bare_command_is_found_on_the_PATH_the_request_gives_not_the_supervisors()
    {
        var bin = PrivateBin("dp-path-daemon");
        var request = Request() with
        {
            Argv = ["dp-path-daemon", "--record-signals", _project.Signals.Path],
            Environment = [new(TestProject.TagVariable, _project.Tag), new("PATH", bin)],
        };
        var process = DaemonProcess.Launch(request);
        await _project.Signals.WaitForStart(process.Pid);

        Assert.Equal(Path.Combine(bin, "dp-path-daemon"), process.Executable);
        Assert.Equal("dp-path-daemon", process.Argv![0]); // as the spec wrote it

        await process.StopAsync(TimeSpan.FromSeconds(30));
        _project.Signals.AssertStoppedGracefully(process.Pid, "the daemon");
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task An_ephemeral_daemon_runs_its_own_argv_under_the_resolved_path_after_setpriv_has_execd_it()
    {
        var bin = PrivateBin("dp-ephemeral-daemon");
        var request = Request() with
        {
            Argv = ["dp-ephemeral-daemon", "--record-signals", _project.Signals.Path],
            Environment = [new(TestProject.TagVariable, _project.Tag), new("PATH", bin)],
            Ephemeral = true,
        };
        var process = await DaemonProcess.LaunchEphemeralAsync(request).WaitAsync(TimeSpan.FromSeconds(30));
        // setpriv execs the daemon in the same process: once it has recorded its start, it is the daemon that runs.
        await _project.Signals.WaitForStart(process.Pid);

        var executable = Path.Combine(bin, "dp-ephemeral-daemon");
        Assert.False(process.HasExited);
        Assert.Equal([executable, "--record-signals", _project.Signals.Path], ProcessScan.CommandLine(process.Pid));
        Assert.Equal([executable, "--record-signals", _project.Signals.Path], process.Argv);
        Assert.Equal(executable, process.Executable);

        await process.StopAsync(TimeSpan.FromSeconds(30));
        _project.Signals.AssertStoppedGracefully(process.Pid, "the ephemeral daemon");
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public void An_ephemeral_request_is_refused_by_the_plain_launch_and_starts_nothing()
    {
        var e = Assert.Throws<ArgumentException>(() => DaemonProcess.Launch(Request() with { Ephemeral = true }));
        Assert.Contains("LaunchEphemeralAsync", e.Message);
        Assert.Empty(_project.LiveProcesses());
        Assert.False(File.Exists(Request().LogPath));
    }

    [Fact]
    public async Task A_missing_work_dir_fails_both_launches_naming_it_and_starts_nothing()
    {
        var missing = Path.Combine(_project.Dir, "no-such-dir");
        var plain = Assert.Throws<DaemonLaunchException>(() => DaemonProcess.Launch(Request() with { WorkDir = missing }));
        Assert.Equal($"work dir '{missing}' does not exist", plain.Message);
        var ephemeral = await Assert.ThrowsAsync<DaemonLaunchException>(() =>
            DaemonProcess.LaunchEphemeralAsync(Request() with { WorkDir = missing, Ephemeral = true }));
        Assert.Equal($"work dir '{missing}' does not exist", ephemeral.Message);
        Assert.Empty(_project.LiveProcesses());
        Assert.False(File.Exists(Request().LogPath));
    }

    [Fact]
    public async Task Adoption_takes_the_recorded_argv_or_else_reads_the_processes_own_command_line()
    {
        var process = DaemonProcess.Launch(Request("--record-signals", _project.Signals.Path));
        try
        {
            await _project.Signals.WaitForStart(process.Pid);
            var recorded = DaemonProcess.Adopt(process.Identity, process.ProcessGroup, process.StartedAt, argv: ["recorded", "argv"]);
            Assert.Equal(["recorded", "argv"], recorded!.Argv);
            var read = DaemonProcess.Adopt(process.Identity, 0, process.StartedAt); // 0: the record names no group
            Assert.NotNull(read);
            Assert.Equal([TestDaemon.Path, "--record-signals", _project.Signals.Path], read.Argv);
            Assert.Equal($"pid {process.Pid} (adopted)", read.ToString());
            Assert.Equal($"pid {process.Pid}", process.ToString());
        }
        finally
        {
            await process.StopAsync(TimeSpan.FromSeconds(30));
        }
        _project.Signals.AssertStoppedGracefully(process.Pid, "the daemon");
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_record_naming_another_group_or_a_process_that_leads_none_is_not_adopted_and_keeps_no_pidfd()
    {
        var pidsFile = Path.Combine(_project.Dir, "grandchildren");
        var process = DaemonProcess.Launch(Request("--spawn-grandchildren", "1", "--grandchild-pids", pidsFile, "--record-signals", _project.Signals.Path));
        try
        {
            await _project.Signals.WaitForStart(process.Pid);
            var grandchild = (await ReadPids(pidsFile, 1))[0];

            Assert.Null(DaemonProcess.Adopt(process.Identity, process.Pid + 1, process.StartedAt));
            // In the daemon's group, but not leading one: the pidfd opened to check it is closed again.
            Assert.Null(DaemonProcess.Adopt(ProcessIdentity.Of(grandchild)!.Value, 0, process.StartedAt));
            Assert.DoesNotContain(grandchild, PidFdTargets());
            Assert.Null(DaemonProcess.Adopt(ProcessIdentity.Of(1)!.Value, 1, DateTimeOffset.UtcNow));
        }
        finally
        {
            await process.StopAsync(TimeSpan.FromSeconds(30));
        }
        _project.Signals.AssertStoppedGracefully(process.Pid, "the daemon");
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_group_signal_that_was_sent_says_so_and_one_the_kernel_refuses_says_not()
    {
        var process = DaemonProcess.Launch(Request("--record-signals", _project.Signals.Path));
        await _project.Signals.WaitForStart(process.Pid);

        Assert.True(process.SignalGroup(10)); // SIGUSR1, which the test daemon records and otherwise ignores
        await _project.Signals.WaitFor(process.Pid, "SIGUSR1");
        Assert.False(process.SignalGroup(65)); // past SIGRTMAX: no such signal
        Assert.False(process.HasExited);

        await process.StopAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["start", "SIGUSR1", "SIGTERM", "exit 0"], _project.Signals.EventsOf(process.Pid));
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task The_group_has_members_while_a_grandchild_outlives_its_leader_and_none_once_stopped()
    {
        var pidsFile = Path.Combine(_project.Dir, "grandchildren");
        var process = DaemonProcess.Launch(Request("--spawn-grandchildren", "1", "--grandchild-pids", pidsFile,
            "--record-signals", _project.Signals.Path, "--exit-after", "0.3", "--exit-code", "5"));
        var grandchild = (await ReadPids(pidsFile, 1))[0];
        Assert.True(process.GroupHasMembers()); // the leader, at least until it exits

        Assert.Equal(5, (await process.Exit.WaitAsync(TimeSpan.FromSeconds(30))).ExitCode);
        Assert.True(ProcessScan.IsAlive(grandchild));
        Assert.True(process.GroupHasMembers()); // the leader is reaped; its grandchild still holds the group

        await process.StopAsync(TimeSpan.FromSeconds(30));
        Assert.False(ProcessScan.IsAlive(grandchild));
        Assert.False(process.GroupHasMembers());
        await _project.AssertNothingLeftBehind();
    }

    /// <summary>The processes this test host holds a pidfd on (fdinfo of a pidfd names its process).</summary>
    private static List<int> PidFdTargets()
    {
        var pids = new List<int>();
        foreach (var info in Directory.GetFiles("/proc/self/fdinfo"))
        {
            string text;
            try { text = File.ReadAllText(info); } catch (IOException) { continue; }
            foreach (var line in text.Split('\n'))
                if (line.StartsWith("Pid:", StringComparison.Ordinal) && int.TryParse(line[4..].Trim(), out var pid)) pids.Add(pid);
        }
        return pids;
    }

    private static async Task<int[]> ReadPids(string file, int count)
    {
        int[] pids = [];
        await DaemonProcessSpecs.WaitFor(() =>
        {
            if (!File.Exists(file)) return false;
            pids = File.ReadAllLines(file).Where(l => l.Length > 0).Select(int.Parse).ToArray();
            return pids.Length >= count;
        });
        return pids;
    }

    public void Dispose() => _project.Dispose();
}
