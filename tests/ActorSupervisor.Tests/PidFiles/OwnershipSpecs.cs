using System.Diagnostics;
using ActorSupervisor.Daemons;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.PidFiles;

/// <summary>The identity rules, one by one: each alone keeps a process from being taken for a daemon.</summary>
public sealed class OwnershipSpecs : IAsyncLifetime
{
    private readonly TestProject _project = new();
    private DaemonProcess? _daemon;
    private DaemonSpec Spec => _project.Daemon("web", "--stdout-lines", "1");
    private PidFileInfo File => Orphans.Describe(_daemon!, Spec, _project.SessionId, 0, Orphans.DeadProcess());

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void A_file_naming_pid_1_or_less_is_invalid_whatever_else_it_says(int pid)
    {
        var verdict = Ownership.Verify(File with { Pid = pid, ProcessGroup = pid });
        Assert.Equal(ProcessMatch.Invalid, verdict.Match);
        Assert.Contains($"pid {pid}, which is never a daemon", verdict.Reason);
    }

    [Fact]
    public void The_real_daemon_is_ours_by_start_time_command_line_and_launch_tag()
    {
        var verdict = Ownership.Verify(File, "web", _project.SessionId);
        Assert.True(verdict.IsOurs, verdict.Reason);
        Assert.True(verdict.ByLaunchTag);
        Assert.True(Ownership.VerifyForSpec(File, Spec, _project.SessionId).IsOurs);
    }

    [Fact]
    public void Each_rule_alone_refuses_the_process()
    {
        var cases = new (PidFileInfo File, string? Name, string? Session, ProcessMatch Expected, string Reason)[]
        {
            (File, "api", _project.SessionId, ProcessMatch.Invalid, "describes daemon 'web', not 'api'"),
            (File, "web", "other", ProcessMatch.Invalid, "belongs to session"),
            (File with { ProcessGroup = _daemon!.Pid + 1 }, null, null, ProcessMatch.Invalid, "records process group"),
            (File with { ProcessStartTime = File.ProcessStartTime + 1 }, null, null, ProcessMatch.Gone, "belongs to another process"),
            (File with { Argv = [TestDaemon.Path, "--other"], LaunchId = null }, null, null, ProcessMatch.NotOurs, "runs"),
            (File with { Argv = null, LaunchId = null, Command = "/usr/bin/" + Path.GetFileName(TestDaemon.Path) }, null, null, ProcessMatch.NotOurs, "runs"),
            (File with { LaunchId = new string('0', 32) }, null, null, ProcessMatch.NotOurs, "launch id"),
        };
        foreach (var (file, name, session, expected, reason) in cases)
        {
            var verdict = Ownership.Verify(file, name, session);
            Assert.True(expected == verdict.Match, $"{reason}: got {verdict.Match} ({verdict.Reason})");
            Assert.Contains(reason, verdict.Reason);
        }
    }

    [Fact]
    public void A_daemon_that_rewrote_its_command_line_is_still_ours_to_stop_by_its_launch_tag_but_never_adopted()
    {
        var rewritten = File with { Argv = [TestDaemon.Path, "--title", "worker: idle"] };
        var verdict = Ownership.Verify(rewritten, "web", _project.SessionId);
        Assert.True(verdict.IsOurs && verdict.ByLaunchTag, verdict.Reason);
        Assert.False(Ownership.VerifyForSpec(rewritten, Spec, _project.SessionId).IsOurs);
        Assert.False(Ownership.Verify(rewritten with { ProcessStartTime = File.ProcessStartTime + 1 }).IsOurs);
    }

    [Fact]
    public void For_adoption_the_file_must_record_the_launch_this_spec_makes()
    {
        Assert.Equal(ProcessMatch.NotOurs, Ownership.VerifyForSpec(File, Spec with { Args = ["--stdout-lines", "2"] }, _project.SessionId).Match);
        Assert.Equal(ProcessMatch.NotOurs, Ownership.VerifyForSpec(File, Spec with { Command = "/bin/sleep" }, _project.SessionId).Match);
        Assert.Equal(ProcessMatch.NotOurs, Ownership.VerifyForSpec(File with { Port = 8080 }, Spec with { PortFlag = "--port" }, _project.SessionId).Match);
    }

    [Fact]
    public void An_NTM_file_matches_only_by_full_command_line_and_a_start_within_the_tolerance()
    {
        var ntm = new PidFileInfo { Pid = _daemon!.Pid, OwnerId = _project.SessionId, Command = TestDaemon.Path, StartedAt = _daemon.StartedAt };
        Assert.True(Ownership.Verify(ntm).IsOurs);
        Assert.False(Ownership.Verify(ntm).ByLaunchTag);
        Assert.Equal(ProcessMatch.Gone, Ownership.Verify(ntm with { StartedAt = _daemon.StartedAt.AddSeconds(10) }).Match);
        Assert.Equal(ProcessMatch.NotOurs, Ownership.Verify(ntm with { Command = "testdaemon" }).Match); // a base name is not a command
        // For adoption, the whole argv is the spec's launch.
        Assert.True(Ownership.VerifyForSpec(ntm, Spec, _project.SessionId).IsOurs);
        Assert.False(Ownership.VerifyForSpec(ntm, Spec with { Args = [] }, _project.SessionId).IsOurs);
    }

    [Fact]
    public void A_script_launch_matches_its_interpreter_s_command_line_and_nothing_looser()
    {
        string[] argv = ["./serve.py", "--port", "8080"];
        Assert.True(Ownership.Matches(argv, argv, "/srv/app/serve.py"));
        Assert.True(Ownership.Matches(["/usr/bin/python3", "/srv/app/serve.py", "--port", "8080"], argv, "/srv/app/serve.py"));
        Assert.True(Ownership.Matches(["python3", "-u", "/srv/app/serve.py", "--port", "8080"], argv, "/srv/app/serve.py"));
        Assert.False(Ownership.Matches(["/usr/bin/python3", "/srv/other.py", "--port", "8080"], argv, "/srv/app/serve.py"));
        Assert.False(Ownership.Matches(["/usr/bin/python3", "/srv/app/serve.py", "--port", "9090"], argv, "/srv/app/serve.py"));
        Assert.False(Ownership.Matches(["/srv/app/serve.py", "--port", "8080"], argv, null));
        Assert.False(Ownership.Matches(["python3", "", "--port", "8080"], argv, ""));
        Assert.False(Ownership.Matches(["/srv/app/serve.py"], [], "/srv/app/serve.py"));
        Assert.False(Ownership.Matches(["python3"], argv, "/srv/app/serve.py")); // too short to hold the file and its args
    }

    [Fact]
    public void Each_verdict_says_why_in_words()
    {
        Assert.Equal("verified", Ownership.Verify(File, "web", _project.SessionId).Reason);
        Assert.Equal("no such process", Ownership.Verify(File with { Pid = 999_999_999, ProcessGroup = null }).Reason);
        Assert.Equal("the file records no command", Ownership.Verify(File with { Command = "", Argv = null }).Reason);
        // A file that leaves out "command" reads it as empty, and is refused for that.
        Assert.Equal("", new PidFileInfo().Command);
        Assert.Equal("", new PidFileInfo().OwnerId);

        var ntm = new PidFileInfo { Pid = _daemon!.Pid, OwnerId = _project.SessionId, Command = TestDaemon.Path, StartedAt = _daemon.StartedAt.AddSeconds(10) };
        Assert.Matches(@"^that pid now belongs to another process \(started \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z, the file says \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\)$",
            Ownership.Verify(ntm).Reason);

        Assert.Equal($"the file records the command '{TestDaemon.Path} --stdout-lines 1', not this spec's '/bin/sleep --stdout-lines 1'",
            Ownership.VerifyForSpec(File, Spec with { Command = "/bin/sleep" }, _project.SessionId).Reason);
        Assert.Equal($"the file records the launch '{TestDaemon.Path} --stdout-lines 1 --port 8080', not this spec's '{TestDaemon.Path} --stdout-lines 1 --port 9090'",
            Ownership.VerifyForSpec(File with { Port = 9090, Argv = [TestDaemon.Path, "--stdout-lines", "1", "--port", "8080"] },
                Spec with { PortFlag = "--port" }, _project.SessionId).Reason);
    }

    [Fact]
    public void A_process_that_does_not_lead_its_own_group_is_not_the_daemon()
    {
        using var child = Process.Start(new ProcessStartInfo("sleep", "30"))!; // our child, in our group
        try
        {
            var identity = ProcessIdentity.Of(child.Id)!.Value;
            var file = new PidFileInfo { Pid = child.Id, OwnerId = "s", Command = "sleep", StartedAt = DateTimeOffset.UtcNow, ProcessStartTime = identity.StartTime };
            var verdict = Ownership.Verify(file);
            Assert.Equal(ProcessMatch.NotOurs, verdict.Match);
            Assert.StartsWith($"pid {child.Id} does not lead its own process group (group ", verdict.Reason);
        }
        finally
        {
            child.Kill();
            child.WaitForExit();
        }
    }

    [Fact]
    public void A_file_without_argv_must_record_the_args_the_process_runs()
    {
        var verdict = Ownership.Verify(File with { Argv = null, LaunchId = null, Args = ["--stdout-lines", "2"] });
        Assert.Equal(ProcessMatch.NotOurs, verdict.Match);
        Assert.Equal(ProcessMatch.Ours, Ownership.Verify(File with { Argv = null, LaunchId = null }).Match);
    }

    [Fact]
    public void A_command_line_in_a_reason_is_cut_after_160_characters()
    {
        var exactly = new string('a', 160);
        var longer = new string('b', 161);
        Assert.EndsWith($", not '{exactly}'", Ownership.Verify(File with { Argv = [exactly], LaunchId = null }).Reason);
        Assert.EndsWith($", not '{longer[..160]}…'", Ownership.Verify(File with { Argv = [longer], LaunchId = null }).Reason);
    }

    public Task InitializeAsync()
    {
        _daemon = Orphans.Launch(_project, _project.Store, Spec, 0);
        // Its environment (the launch tag) is readable a moment after posix_spawn returns.
        SpinWait.SpinUntil(() => LaunchTag.Of(_daemon.Pid) is not null, TimeSpan.FromSeconds(10));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _daemon!.StopAsync(TimeSpan.FromSeconds(5));
        try { await _project.AssertNothingLeftBehind(); }
        finally { _project.Dispose(); }
    }
}
