using System.Diagnostics;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Processes;

namespace ActorSupervisor.Tests.PidFiles;

public sealed class PidFileStoreSpecs : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("actorsupervisor-pid-").FullName;
    private PidFileStore Store => new(Path.Combine(_dir, ".ntm"));

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

    [Fact]
    public void A_pid_file_is_written_atomically_private_to_its_owner_and_read_back()
    {
        var store = Store;
        store.Write("web", Self("s1", 1234));

        var path = store.PathFor("web", "s1");
        Assert.Equal(Path.Combine(_dir, ".ntm", "pids", "web-s1.pid"), path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(store.PidDir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(store.StateRoot));
        Assert.Equal([path], Directory.GetFiles(store.PidDir)); // no temp file left
        var back = store.Read("web", "s1")!;
        Assert.Equal(1234, back.Port);
        Assert.True(back.IsAlive);
        Assert.True(back.SupervisorAlive);
    }

    [Fact]
    public void A_live_unrelated_process_with_the_recorded_pid_reads_as_not_ours()
    {
        using var unrelated = Process.Start(new ProcessStartInfo("sleep", "30"))!;
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
        }
        finally
        {
            unrelated.Kill();
        }
    }

    [Fact]
    public void An_NTM_pid_file_without_a_start_time_is_alive_only_if_the_pid_runs_the_recorded_command()
    {
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "30"))!;
        try
        {
            var ntm = new PidFileInfo { Pid = sleeper.Id, OwnerId = "s", Command = "sleep" };
            Assert.True(ntm.IsAlive);
            Assert.False((ntm with { Command = "cm" }).IsAlive);
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
    }

    [Fact]
    public void Ports_of_live_pid_files_of_other_sessions_are_reported_as_held()
    {
        var store = Store;
        store.Write("a", Self("other", 41001));
        store.Write("b", Self("mine", 41002));
        store.Write("c", Self("other", 41003) with { ProcessStartTime = 1 }); // dead: not held
        Assert.Equal([41001], store.PortsHeldByOthers("mine", new HashSet<string> { "b" }));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
