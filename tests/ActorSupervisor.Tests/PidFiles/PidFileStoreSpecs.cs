using System.Diagnostics;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.PidFiles;

public sealed class PidFileStoreSpecs : IAsyncLifetime
{
    private readonly TestProject _project = new();
    private readonly List<DaemonProcess> _daemons = [];
    private PidFileStore Store => _project.Store;

    private static PidFileInfo Self(string session, int port = 0) => new()
    {
        Pid = Environment.ProcessId,
        Port = port,
        OwnerId = session,
        Command = "dotnet",
        StartedAt = DateTimeOffset.UtcNow,
        ProcessStartTime = ProcessIdentity.Self.StartTime,
        SupervisorPid = Environment.ProcessId,
        SupervisorStartTime = ProcessIdentity.Self.StartTime,
    };

    private DaemonProcess Daemon(string name, string session, int port = 0)
    {
        var spec = _project.Daemon(name);
        var process = Orphans.Launch(_project, Store, spec, port, session);
        _daemons.Add(process);
        Store.Write(name, Orphans.Describe(process, spec, session, port, ProcessIdentity.Self));
        return process;
    }

    /// <summary>A process that leads its own session and group (as a daemon does), started by `setsid`.</summary>
    private static Process SetsidSleep()
    {
        var p = Process.Start(new ProcessStartInfo("setsid", "sleep 30") { UseShellExecute = false })!;
        // Until setsid has made its session and exec'd sleep, the process is neither a group leader nor `sleep`.
        SpinWait.SpinUntil(() => ProcFs.Stat(p.Id) is { } s && s.ProcessGroup == p.Id && ProcFs.CommandLine(p.Id)?[0] == "sleep",
            TimeSpan.FromSeconds(10));
        return p;
    }

    [Fact]
    public void A_pid_file_is_written_atomically_private_to_its_owner_and_read_back()
    {
        var store = Store;
        var daemon = Daemon("web", "s1", 1234);

        var path = store.PathFor("web", "s1");
        Assert.Equal(Path.Combine(_project.Dir, ".ntm", "pids", "web-s1.pid"), path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(store.PidDir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(store.StateRoot));
        Assert.Equal([path], Directory.GetFiles(store.PidDir)); // no temp file left
        var back = store.Read("web", "s1")!;
        Assert.Equal(1234, back.Port);
        Assert.Equal(daemon.LaunchId, back.LaunchId);
        Assert.Equal(daemon.Argv, back.Argv);
        Assert.True(back.IsAlive);
        Assert.True(back.SupervisorAlive);
    }

    [Fact]
    public void A_live_unrelated_process_with_the_recorded_pid_reads_as_not_ours()
    {
        using var unrelated = SetsidSleep();
        try
        {
            var identity = ProcessIdentity.Of(unrelated.Id)!.Value;
            var reused = new PidFileInfo
            {
                Pid = unrelated.Id, OwnerId = "s1", Command = "sleep", StartedAt = DateTimeOffset.UtcNow,
                ProcessStartTime = identity.StartTime + 7, // the daemon that had this PID started at another time
            };
            Assert.False(reused.IsAlive);
            Assert.True((reused with { ProcessStartTime = identity.StartTime }).IsAlive);
            Assert.Equal(ProcessMatch.Gone, Ownership.Verify(reused).Match);
        }
        finally
        {
            unrelated.Kill();
        }
    }

    [Fact]
    public void An_NTM_pid_file_is_alive_only_if_the_pid_runs_the_recorded_command_and_started_when_the_file_says()
    {
        using var sleeper = SetsidSleep();
        try
        {
            var ntm = new PidFileInfo { Pid = sleeper.Id, OwnerId = "s", Command = "sleep", StartedAt = DateTimeOffset.UtcNow };
            Assert.True(ntm.IsNtmFormat);
            Assert.True(ntm.IsAlive);
            Assert.False((ntm with { Command = "cm" }).IsAlive);
            Assert.False((ntm with { Command = "/usr/local/bin/sleep" }).IsAlive); // the same base name is not the same command
            Assert.False((ntm with { StartedAt = DateTimeOffset.UtcNow.AddMinutes(-10) }).IsAlive); // a process that reused the pid
        }
        finally
        {
            sleeper.Kill();
        }
    }

    [Fact]
    public void Remove_leaves_a_file_that_a_newer_supervisor_rewrote_for_another_process()
    {
        var store = Store;
        store.Write("web", Self("s1"));
        store.Remove("web", "s1", pid: 999999);
        Assert.NotNull(store.Read("web", "s1"));
        store.Remove("web", "s1", Environment.ProcessId);
        Assert.Null(store.Read("web", "s1"));
    }

    [Fact]
    public void Listing_gives_every_pid_file_with_its_name_and_tolerates_junk()
    {
        var store = Store;
        store.Write("web", Self("s1"));
        store.Write("api-v2", Self("s-2") with { Name = null }); // as NTM writes it: no name field
        File.WriteAllText(Path.Combine(store.PidDir, "junk.pid"), "not json");
        var entries = store.List();
        Assert.Equal(["api-v2", "web"], entries.Select(e => e.Name));
        Assert.Equal(["s-2", "s1"], entries.Select(e => e.Info.OwnerId));
        var junk = Assert.Single(store.Inspect(), r => r.Info is null);
        Assert.Equal("junk", junk.Name);
        Assert.Contains("not a PID file", junk.Problem);
    }

    [Fact]
    public void Ports_of_live_pid_files_of_other_sessions_are_reported_as_held()
    {
        var store = Store;
        // Ports only recorded, never bound, yet asserted free at the end: picked below the ephemeral range, so that
        // no daemon of a parallel run (which binds port 0) can be holding one of them then.
        int[] ports = [TestPorts.Unbound(), TestPorts.Unbound(), TestPorts.Unbound()];
        Daemon("a", "other", ports[0]);
        Daemon("b", "mine", ports[1]);
        store.Write("c", Self("other", ports[2]) with { ProcessStartTime = 1 }); // dead: not held
        Assert.Equal([ports[0]], store.PortsHeldByOthers("mine", new HashSet<string> { "b" }));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var d in _daemons) await d.StopAsync(TimeSpan.FromSeconds(5));
        foreach (var f in _project.PidFiles()) File.Delete(f);
        try { await _project.AssertNothingLeftBehind(); }
        finally { _project.Dispose(); } // kills whatever a failed test left, so it cannot cascade
    }
}
