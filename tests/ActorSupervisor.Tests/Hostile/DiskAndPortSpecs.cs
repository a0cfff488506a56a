using System.Diagnostics;
using ActorSupervisor.Daemons;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Ports;
using ActorSupervisor.Tests.Support;
using Xunit.Abstractions;

namespace ActorSupervisor.Tests.Hostile;

/// <summary>Edge cases of finding 13 at the boundary with the machine: a full disk, a port another session holds.</summary>
public sealed class DiskAndPortSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestProject _project = new();
    private readonly List<Supervisor> _supervisors = [];

    private Supervisor NewSupervisor(SupervisorConfig config)
    {
        var supervisor = Supervisor.New(config);
        _supervisors.Add(supervisor);
        return supervisor;
    }

    private static bool Run(string command, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(command, args) { UseShellExecute = false, RedirectStandardError = true })!;
        p.WaitForExit();
        return p.ExitCode == 0;
    }

    [Fact]
    public async Task A_full_disk_fails_the_start_naming_the_cause_and_leaves_no_empty_lock_file()
    {
        var disk = Directory.CreateDirectory(Path.Combine(_project.Dir, "small-disk")).FullName;
        // A 256 KB tmpfs is a full disk on demand; it needs root, as the PID namespace specs do.
        Assert.True(Run("mount", $"-t tmpfs -o size=256k,mode=0700 tmpfs {disk}"), "cannot mount a tmpfs: this spec needs root");
        try
        {
            var config = _project.Config(c => c with { StateDir = Path.Combine(disk, "state"), MaxRestarts = 1 });
            var store = new PidFileStore(config.WithDefaults().StateRoot);
            store.EnsureDirectories();
            await using (var filler = File.Create(Path.Combine(disk, "filler")))
            {
                var block = new byte[4096];
                try { while (true) filler.Write(block); }
                catch (IOException) { } // full
            }

            var e = await Assert.ThrowsAnyAsync<Exception>(() =>
                NewSupervisor(config).StartAsync(new DaemonSpec { Name = "web", Command = "sleep", Args = ["1000"], Env = [$"{TestProject.TagVariable}={_project.Tag}"] }));

            Assert.Contains("No space left on device", e.Message);
            Assert.Contains("PID file", e.Message);
            Assert.Empty(Directory.GetFileSystemEntries(store.PidDir)); // no lock file, no temp file, no PID file
            await _supervisors[0].ShutdownAsync();
            await _project.AssertNothingLeftBehind();
        }
        finally
        {
            Run("umount", disk);
        }
        output.WriteLine("hostile: full disk: tried 1, refused correctly 1, files left 0");
    }

    [Fact]
    public async Task A_refused_port_names_the_pid_holding_it_also_when_another_session_holds_it()
    {
        var port = PortAllocator.Allocate(_project.HttpDaemon("x"), 0, new HashSet<int>());
        var theirs = NewSupervisor(_project.Config(c => c with { SessionId = "other" }));
        var their = await theirs.StartAsync(_project.HttpDaemon("api") with { DefaultPort = port, RequirePort = true });
        _project.RememberPort(port);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await theirs.GetDaemonAsync("api"))!.State != DaemonState.Running && DateTime.UtcNow < deadline) await Task.Delay(20);

        var e = await Assert.ThrowsAnyAsync<Exception>(() =>
            NewSupervisor(_project.Config()).StartAsync(_project.HttpDaemon("web") with { DefaultPort = port, RequirePort = true }));

        Assert.Contains($"daemon 'web' requires port {port}, which is in use by pid {their.Pid}", e.Message);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var supervisor in _supervisors) await supervisor.ShutdownAsync();
        try { await _project.AssertNothingLeftBehind(); }
        finally { _project.Dispose(); } // kills whatever a failed test left, so it cannot cascade
    }
}
