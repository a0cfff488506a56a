using System.Text;
using ActorSupervisor.Processes;

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
}
