using System.Diagnostics;
using ActorSupervisor.Daemons;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;
using Xunit.Abstractions;

namespace ActorSupervisor.Tests.Hostile;

/// <summary>
/// The state dir as attack surface: a symbolic link planted where the supervisor creates, writes, locks or removes a
/// file is never followed, and a state dir another user owns or can write is refused or made private. Finding 4.
/// </summary>
public sealed class SymlinkSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private const string VictimText = "the victim's own content\n";
    private readonly TestProject _project = new();
    private readonly List<Supervisor> _supervisors = [];
    private string Victim => Path.Combine(_project.Dir, "victim.txt");
    private PidFileStore Store => _project.Store;

    private Supervisor NewSupervisor()
    {
        var supervisor = Supervisor.New(_project.Config());
        _supervisors.Add(supervisor);
        return supervisor;
    }

    private async Task<Exception> StartRefused(DaemonSpec spec)
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(() => NewSupervisor().StartAsync(spec));
        Assert.Empty(_project.LiveProcesses());
        Assert.Equal(VictimText, File.ReadAllText(Victim));
        return e;
    }

    [Fact]
    public async Task A_lock_file_planted_as_a_symbolic_link_is_refused_and_its_target_is_untouched()
    {
        Store.EnsureDirectories();
        File.CreateSymbolicLink(Store.LockPathFor("web", _project.SessionId), Victim);

        var e = await StartRefused(_project.Daemon("web"));

        Assert.Contains("symbolic link", e.Message);
        Assert.Contains(".lock", e.Message);
        File.Delete(Store.LockPathFor("web", _project.SessionId));
        output.WriteLine("hostile: lock file symlink: tried 1, refused correctly 1");
    }

    [Fact]
    public async Task A_log_file_planted_as_a_symbolic_link_is_refused_and_nothing_is_written_through_it()
    {
        Store.EnsureDirectories();
        File.CreateSymbolicLink(Store.LogPathFor("web", _project.SessionId), Victim);

        var e = await StartRefused(_project.Daemon("web", "--stdout-lines", "5"));

        Assert.Contains("symbolic link", e.Message);
        Assert.Contains(".log", e.Message);
        File.Delete(Store.LogPathFor("web", _project.SessionId));
        output.WriteLine("hostile: log file symlink: tried 1, refused correctly 1");
    }

    [Fact]
    public async Task A_pid_file_planted_as_a_symbolic_link_is_replaced_not_followed()
    {
        Store.EnsureDirectories();
        var path = Store.PathFor("web", _project.SessionId);
        File.CreateSymbolicLink(path, Victim);

        var supervisor = NewSupervisor();
        var started = await supervisor.StartAsync(_project.Daemon("web"));

        Assert.Null(new FileInfo(path).LinkTarget);
        Assert.Equal(started.Pid, Store.Read("web", _project.SessionId)!.Pid);
        Assert.Equal(VictimText, File.ReadAllText(Victim));
        await supervisor.ShutdownAsync();
        Assert.Equal(VictimText, File.ReadAllText(Victim));
    }

    [Fact]
    public void Log_rotation_never_truncates_or_copies_through_a_symbolic_link()
    {
        Store.EnsureDirectories();
        var log = Store.LogPathFor("web", _project.SessionId);
        File.WriteAllText(Victim, VictimText + new string('x', 5000));
        var before = File.ReadAllText(Victim);
        File.CreateSymbolicLink(log, Victim);

        Assert.False(LogFile.NeedsRotation(log, 1000));
        Assert.ThrowsAny<IOException>(() => LogFile.Rotate(log, keep: 2));
        Assert.Empty(LogFile.Tail(log));

        Assert.Equal(before, File.ReadAllText(Victim));
        Assert.False(File.Exists($"{log}.1"));
        File.Delete(log);
        File.WriteAllText(Victim, VictimText);
    }

    [Fact]
    public async Task A_state_dir_that_belongs_to_another_user_is_refused_with_a_message_naming_its_owner()
    {
        var root = Store.StateRoot;
        Directory.CreateDirectory(root);
        Chown(root, 65534);

        var e = await StartRefused(_project.Daemon("web"));

        Assert.Contains(root, e.Message);
        Assert.Contains("belongs to uid 65534", e.Message);
        Assert.False(Directory.Exists(Store.PidDir)); // nothing was created in it
        Chown(root, 0);
        output.WriteLine("hostile: state dir of another user: tried 1, refused correctly 1");
    }

    [Fact]
    public async Task A_state_dir_that_others_can_write_is_made_private_before_use()
    {
        Directory.CreateDirectory(Store.PidDir);
        File.SetUnixFileMode(Store.StateRoot, (UnixFileMode)0b111_111_111);
        File.SetUnixFileMode(Store.PidDir, (UnixFileMode)0b111_111_111);

        var supervisor = NewSupervisor();
        await supervisor.StartAsync(_project.Daemon("web"));

        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Assert.Equal(Private, File.GetUnixFileMode(Store.StateRoot));
        Assert.Equal(Private, File.GetUnixFileMode(Store.PidDir));
        Assert.Equal(Private, File.GetUnixFileMode(Store.LogDir));
        await supervisor.ShutdownAsync();
    }

    [Fact]
    public async Task A_pids_dir_that_is_a_symbolic_link_is_refused()
    {
        var elsewhere = Directory.CreateDirectory(Path.Combine(_project.Dir, "elsewhere")).FullName;
        Directory.CreateDirectory(Store.StateRoot);
        File.CreateSymbolicLink(Store.PidDir, elsewhere);

        var e = await StartRefused(_project.Daemon("web"));

        Assert.Contains("symbolic link", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
        File.Delete(Store.PidDir);
    }

    private static void Chown(string path, int uid)
    {
        using var chown = Process.Start(new ProcessStartInfo("chown", $"{uid}:{uid} {path}") { UseShellExecute = false })!;
        chown.WaitForExit();
        Assert.Equal(0, chown.ExitCode);
    }

    public Task InitializeAsync()
    {
        File.WriteAllText(Victim, VictimText);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var supervisor in _supervisors) await supervisor.ShutdownAsync();
        try { await _project.AssertNothingLeftBehind(); }
        finally { _project.Dispose(); } // kills whatever a failed test left, so it cannot cascade
    }
}
