using System.Diagnostics;
using System.Text;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Processes;

/// <summary>The one reader of /proc: every field is untrusted (a process names itself), every read is capped.</summary>
public sealed class ProcFsSpecs
{
    [Fact]
    public void A_stat_line_is_read_after_the_last_parenthesis_whatever_the_process_called_itself()
    {
        // A process may name itself ") Z 1 1 1 (" to pose as a zombie in group 1.
        var line = "4242 (evil) Z 1 1 1 () S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 200";
        var stat = ProcFs.ParseStat(4242, Encoding.ASCII.GetBytes(line))!.Value;
        Assert.Equal(('S', 17, 4242, 4242, 987654UL), (stat.State, stat.ParentPid, stat.ProcessGroup, stat.Session, stat.StartTime));
        Assert.False(stat.IsZombie);
    }

    [Fact]
    public void Only_the_kernel_s_own_flag_makes_a_process_a_kernel_thread()
    {
        // kthreadd's flags (0x208040) carry PF_KTHREAD; a process cannot set it, whatever it calls itself.
        var kernel = ProcFs.ParseStat(2, Encoding.ASCII.GetBytes("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 1 0 0 20 0 1 0 24 0"))!.Value;
        var posing = ProcFs.ParseStat(4242, Encoding.ASCII.GetBytes("4242 (x) S 0 0 0 ) S 1 2 3 0 -1 2129984 (kthreadd) S 17 4242 4242 0 -1 4194560 0 0 0 0 0 1 0 0 20 0 1 0 24 0"))!.Value;
        Assert.Equal((true, false), (kernel.IsKernelThread, posing.IsKernelThread));
        Assert.False(ProcFs.Stat(Environment.ProcessId)!.Value.IsKernelThread);
    }

    [Theory]
    [InlineData("")]
    [InlineData("4242 no parenthesis at all")]
    [InlineData("4242 (x)")]
    [InlineData("4242 (x) S 1 2")]
    [InlineData("4242 (x) S one 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5")]
    [InlineData("4242 (x) S 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -5")]
    [InlineData("4242 (x) S 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99999999999999999999999")]
    [InlineData("4242 (x) ")]
    [InlineData("4242 (x) S 1 two 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5")]
    [InlineData("4242 (x) S 1 2 three 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5")]
    [InlineData("4242 (x) S 1 2 3 0 -1 flags 0 0 0 0 0 0 0 0 20 0 1 0 5")]
    [InlineData("4242 (x) S 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5x")]
    [InlineData("4242 (x) S 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0")]
    public void A_garbled_stat_line_is_no_process(string line) => Assert.Null(ProcFs.ParseStat(4242, Encoding.ASCII.GetBytes(line)));

    [Fact]
    public void This_process_reads_as_itself()
    {
        var self = ProcFs.Stat(Environment.ProcessId)!.Value;
        Assert.Equal(ProcessIdentity.Self.StartTime, self.StartTime);
        Assert.Equal(Environment.ProcessPath, ProcFs.CommandLine(Environment.ProcessId)![0]);
        Assert.Equal(Environment.GetEnvironmentVariable("PATH"), ProcFs.EnvironmentVariable(Environment.ProcessId, "PATH"));
        Assert.True((ProcFs.WallClock(self.StartTime)!.Value - System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime()).Duration() < TimeSpan.FromSeconds(1));
        Assert.Null(ProcFs.Stat(0));
        Assert.Null(ProcFs.Stat(-1));
        Assert.Null(ProcFs.CommandLine(int.MaxValue));
    }

    [Fact]
    public void Reads_stop_at_their_cap_and_say_so()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(file, new byte[300_000]);
            var bytes = ProcFs.ReadCapped(file, 1000, out var tooBig)!;
            Assert.Equal(1000, bytes.Length);
            Assert.True(tooBig);
            Assert.False(ProcFs.ReadCapped(file, 300_000, out var fits) is null || fits);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_stat_line_cut_right_after_its_start_time_still_reads()
    {
        var stat = ProcFs.ParseStat(4242, Encoding.ASCII.GetBytes("4242 (x) R 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5"))!.Value;
        Assert.Equal((4242, 'R', 1, 2, 3, 5UL, false), (stat.Pid, stat.State, stat.ParentPid, stat.ProcessGroup, stat.Session, stat.StartTime, stat.IsKernelThread));
    }

    [Fact]
    public void A_stat_line_whose_last_parenthesis_is_its_first_byte_is_still_read_after_it()
    {
        // ParseStat trusts nothing before the last ')': even with nothing at all there, what follows is the layout.
        var stat = ProcFs.ParseStat(4242, Encoding.ASCII.GetBytes(") S 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5"))!.Value;
        Assert.Equal(('S', 1, 2, 3, 5UL), (stat.State, stat.ParentPid, stat.ProcessGroup, stat.Session, stat.StartTime));
    }

    [Fact]
    public void A_path_that_opens_but_cannot_be_read_reads_as_unreadable()
    {
        // A directory opens read-only, and read(2) on it fails with EISDIR: an error that is no interruption, so
        // the read gives up at once instead of retrying.
        using var project = new TestProject();
        Assert.Null(ProcFs.ReadCapped(project.Dir, 4096, out var tooBig));
        Assert.False(tooBig);
    }

    [Fact]
    public async Task Reading_a_process_s_stat_keeps_no_descriptor_of_it_open()
    {
        using var child = new Child(["-c", "read x"]);
        await child.Execed();
        for (var i = 0; i < 64; i++) Assert.NotNull(ProcFs.Stat(child.Process.Id));

        // Only this test knows the child's pid, so any descriptor left on its stat file is one these reads leaked.
        var statFile = $"/proc/{child.Process.Id}/stat";
        var leaked = new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos()
            .Count(fd => { try { return fd.LinkTarget == statFile; } catch (IOException) { return false; } });
        Assert.Equal(0, leaked);
    }

    /// <summary>A child of this process under sh, with the test's tag; killed and reaped by the caller's using.</summary>
    private sealed class Child : IDisposable
    {
        public readonly TestProject Project = new();
        public readonly Process Process;

        public Child(IReadOnlyList<string> args, IDictionary<string, string>? env = null)
        {
            var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true };
            foreach (var a in args) info.ArgumentList.Add(a);
            info.Environment[TestProject.TagVariable] = Project.Tag;
            foreach (var (k, v) in env ?? new Dictionary<string, string>()) info.Environment[k] = v;
            Process = Process.Start(info) ?? throw new InvalidOperationException("sh did not start");
        }

        /// <summary>Its exec is done once its stat names sh (before, the forked copy of this process is there).</summary>
        public Task Execed() => Poll.Until(() => File.Exists($"/proc/{Process.Id}/comm") && File.ReadAllText($"/proc/{Process.Id}/comm").StartsWith("sh") || Process.HasExited, "sh's exec");

        public void Dispose()
        {
            try { if (!Process.HasExited) Process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            Process.WaitForExit();
            Process.Dispose();
            Project.AssertNothingLeftBehind().GetAwaiter().GetResult();
            Project.Dispose();
        }
    }

    [Fact]
    public async Task A_command_line_reads_as_the_argv_it_was_started_with_empty_arguments_included()
    {
        using var child = new Child(["-c", "read x", "name", "a b", "", "(c) ) Z"]);
        await child.Execed();

        Assert.Equal(["/bin/sh", "-c", "read x", "name", "a b", "", "(c) ) Z"], ProcFs.CommandLine(child.Process.Id));
    }

    [Fact]
    public async Task A_command_line_or_an_environment_over_its_cap_is_not_read_at_all()
    {
        // One argument or variable may be at most 128 KiB (MAX_ARG_STRLEN): several of 100 KB pass both caps.
        var big = new string('a', 100_000);
        using var child = new Child(["-c", "read x", "name", big, big], new Dictionary<string, string>
        {
            ["PX_BIG1"] = big, ["PX_BIG2"] = big, ["PX_BIG3"] = big,
        });
        await child.Execed();

        Assert.Null(ProcFs.CommandLine(child.Process.Id));
        Assert.Null(ProcFs.EnvironmentVariable(child.Process.Id, "PX_BIG1", out var readable));
        Assert.False(readable);
    }

    [Fact]
    public async Task A_variable_is_found_by_its_whole_name_only()
    {
        using var child = new Child(["-c", "read x"], new Dictionary<string, string>
        {
            ["PX_NAME_LONGER"] = "longer", ["PX_NAME"] = "a=b", ["PX_EMPTY"] = "",
        });
        await child.Execed();
        var pid = child.Process.Id;

        Assert.Equal("a=b", ProcFs.EnvironmentVariable(pid, "PX_NAME"));
        Assert.Equal("longer", ProcFs.EnvironmentVariable(pid, "PX_NAME_LONGER"));
        Assert.Equal("", ProcFs.EnvironmentVariable(pid, "PX_EMPTY"));
        Assert.Null(ProcFs.EnvironmentVariable(pid, "PX_NAM", out var readable));
        Assert.True(readable);
        Assert.Null(ProcFs.EnvironmentVariable(0, "PATH", out var none));
        Assert.False(none);
    }

    [Fact]
    public async Task A_zombie_is_a_child_with_a_stat_but_no_command_line_and_no_environment()
    {
        // sh starts `true` in the background and becomes `sleep`, which never reaps it: a zombie child of the sleep.
        using var child = new Child(["-c", "true & exec sleep 1000"]);
        var pid = child.Process.Id;
        var zombie = 0;
        await Poll.Until(() =>
        {
            zombie = ProcFs.Children(pid).FirstOrDefault();
            return zombie > 0 && ProcFs.Stat(zombie) is { IsZombie: true };
        }, "the zombie child of the sleep");

        Assert.Equal([zombie], ProcFs.Children(pid));
        Assert.Equal([zombie], ProcFs.ThreadChildren(pid, pid));
        Assert.Equal(pid, ProcFs.Stat(zombie)!.Value.ParentPid);
        Assert.Null(ProcFs.CommandLine(zombie));
        Assert.Null(ProcFs.EnvironmentVariable(zombie, "PATH", out var readable));
        Assert.False(readable);
        Assert.Contains(zombie, ProcFs.Pids());
        Assert.Contains(Environment.ProcessId, ProcFs.Pids());
        Assert.Empty(ProcFs.ThreadChildren(0, pid));
        Assert.Empty(ProcFs.ThreadChildren(pid, 0));
        Assert.Empty(ProcFs.Children(int.MaxValue));

        // Killing the sleep hands the zombie to this process if it is a subreaper (another spec made it one): reap it.
        child.Process.Kill();
        await child.Process.WaitForExitAsync().WaitAsync(Poll.Patience);
        await Poll.Until(() =>
        {
            if (ProcFs.Stat(zombie) is not { } stat) return true; // reaped
            if (stat.ParentPid != Environment.ProcessId) return stat.ParentPid != pid; // handed to init, which reaps it
            Native.waitpid(zombie, out _, Native.WNOHANG);
            return false;
        }, "the zombie reaped or handed on");
    }

    [Fact]
    public void A_child_starts_between_two_readings_of_the_time_since_boot()
    {
        // Start times (stat field 22) count CLOCK_BOOTTIME in clock ticks, as TicksSinceBoot does: a process started
        // between two readings has a start time between them.
        var before = ProcFs.TicksSinceBoot()!.Value;
        using var child = new Child(["-c", "read x"]);
        var start = ProcFs.Stat(child.Process.Id)!.Value.StartTime;
        var after = ProcFs.TicksSinceBoot()!.Value;

        Assert.InRange(start, before, after);
        Assert.True(ProcFs.ClockTicksPerSecond > 0);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4095)]
    [InlineData(4096)]
    [InlineData(65_536)]
    [InlineData(300_000)]
    public void A_file_no_bigger_than_the_cap_is_read_whole_and_one_byte_more_is_too_big(int cap)
    {
        var file = Path.GetTempFileName();
        try
        {
            var content = Enumerable.Range(0, cap).Select(i => (byte)(i % 251)).ToArray();
            File.WriteAllBytes(file, content);
            Assert.Equal(content, ProcFs.ReadCapped(file, cap, out var fits));
            Assert.False(fits);
            File.WriteAllBytes(file, [.. content, 7]);
            Assert.Equal(content, ProcFs.ReadCapped(file, cap, out var over));
            Assert.True(over);
            Assert.Null(ProcFs.ReadCapped(file + ".missing", cap, out _));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("v1 0123456789abcdef0123456789abcdef 42 7 s web /tmp/p/.ntm", true)]
    [InlineData("v1 0123456789abcdef0123456789abcdef 42 7 s web /tmp/with space/.ntm", true)]
    [InlineData("v2 0123456789abcdef0123456789abcdef 42 7 s web /tmp/p/.ntm", false)]
    [InlineData("v1 0123 42 7 s web /tmp/p/.ntm", false)]
    [InlineData("v1 0123456789ABCDEF0123456789ABCDEF 42 7 s web /tmp/p/.ntm", false)]
    [InlineData("v1 0123456789abcdef0123456789abcdef -1 7 s web /tmp/p/.ntm", false)]
    [InlineData("v1 0123456789abcdef0123456789abcdef 42 7 ../s web /tmp/p/.ntm", false)]
    [InlineData("v1 0123456789abcdef0123456789abcdef 42 7 s ../../etc /tmp/p/.ntm", false)]
    [InlineData("v1 0123456789abcdef0123456789abcdef 42 7 s web relative/.ntm", false)]
    [InlineData("", false)]
    public void A_launch_tag_from_a_process_environment_is_believed_only_when_well_formed(string value, bool valid) =>
        Assert.Equal(valid, LaunchTag.Parse(value) is not null);

    [Theory]
    [InlineData("12 345 6789 ", false, new[] { 12, 345, 6789 })]
    [InlineData("12 345 6789", false, new[] { 12, 345, 6789 })]
    [InlineData("12 345 67", true, new[] { 12, 345 })] // cut at the cap: 67 may be the start of 6789
    [InlineData("12 345 ", true, new[] { 12, 345 })]
    [InlineData("123", true, new int[0])]
    [InlineData("12 3x4 0 -5 99999999999 7", false, new[] { 12, 7 })]
    public void A_children_list_gives_only_whole_pids_and_drops_the_last_of_a_list_cut_at_its_cap(string list, bool cut, int[] expected)
    {
        var pids = new List<int>();
        ProcFs.ParsePids(System.Text.Encoding.ASCII.GetBytes(list), cut, pids);
        Assert.Equal(expected, pids);
    }
}
