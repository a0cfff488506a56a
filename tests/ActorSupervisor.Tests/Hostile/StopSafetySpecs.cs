using System.Text.Json;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Cli;
using ActorSupervisor.Tests.Support;
using Xunit.Abstractions;

namespace ActorSupervisor.Tests.Hostile;

/// <summary>
/// `actorsupervisor status` and `stop` (the real executable) against PID files that lie: `stop` signals only what the
/// identity rules verify, never a daemon NTM may own without --force, never removes a file a live owner holds, and
/// lists and cleans up what it cannot use. Findings 1, 8, 13 and 14.
/// </summary>
public sealed class StopSafetySpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestProject _project = new();
    private readonly List<TargetProcess> _bystanders = [];

    private PidFileStore Store => _project.Store;

    private async Task<TargetProcess> NewBystander()
    {
        var b = await TargetProcess.StartAsync(_project.Tag);
        _bystanders.Add(b);
        return b;
    }

    private Task<CliResult> Run(params string[] args) => CliProcess.RunAsync(_project, [.. args, "--project-dir", _project.Dir]);

    private void WriteRaw(string fileName, string text)
    {
        Store.EnsureDirectories();
        File.WriteAllText(Path.Combine(Store.PidDir, fileName), text);
    }

    private static string Ntm(int pid, string owner, string command, DateTimeOffset startedAt, int port = 0) =>
        $$"""{"pid": {{pid}}, "port": {{port}}, "owner_id": "{{owner}}", "command": "{{command}}", "started_at": "{{startedAt:O}}"}""";

    [Fact]
    public async Task An_NTM_pid_file_naming_a_process_with_the_same_base_name_but_another_path_is_never_signalled()
    {
        var bystander = await NewBystander();
        var started = bystander.Identity.StartedAtWallClock()!.Value;
        // The bystander runs .../testdaemon; the file says /usr/local/bin/testdaemon, with the right start time.
        WriteRaw($"shell-{_project.SessionId}.pid", Ntm(bystander.Pid, _project.SessionId, "/usr/local/bin/" + Path.GetFileName(TestDaemon.Path), started));

        var stop = await Run("stop", "--all", "--force", "--stop-grace", "200ms");

        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains("stale PID file removed", stop.Out);
        Assert.Contains("nothing signalled", stop.Out);
        Assert.True(bystander.Untouched, bystander.Describe());
        Assert.Empty(_project.PidFiles());
        output.WriteLine("hostile: NTM file, same base name, other path: tried 1, refused correctly 1, wrongly signalled 0");
    }

    [Fact]
    public async Task A_live_daemon_in_an_NTM_pid_file_is_never_signalled_by_stop_without_force()
    {
        var daemon = await NewBystander(); // plays NTM's daemon: its own session and group, recorded exactly
        WriteRaw($"cm-{_project.SessionId}.pid", Ntm(daemon.Pid, _project.SessionId, TestDaemon.Path, daemon.Identity.StartedAtWallClock()!.Value));

        var status = await Run("status", "--json");
        var refused = await Run("stop", "--all", "--stop-grace", "200ms");

        Assert.True(status.ExitCode == 0, status.ToString());
        using (var json = JsonDocument.Parse(status.Out))
            Assert.True(json.RootElement.EnumerateArray().Single().GetProperty("alive").GetBoolean());
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("written by NTM's supervisor", refused.Err);
        Assert.True(daemon.Untouched, daemon.Describe());
        Assert.Single(_project.PidFiles());

        var forced = await Run("stop", "--all", "--force", "--stop-grace", "200ms");

        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.Contains($"cm (session {_project.SessionId}, pid {daemon.Pid}): stopped", forced.Out);
        Assert.Contains("SIGTERM", daemon.Received); // it records SIGTERM and ignores it; SIGKILL followed after the grace
        Assert.False(daemon.Alive);
        Assert.Empty(_project.PidFiles());
    }

    [Fact]
    public async Task Stop_never_removes_a_pid_file_whose_daemon_lock_a_live_supervisor_holds()
    {
        // A supervisor restarting its daemon holds the daemon's lock and is about to rewrite the file for the
        // replacement; the file names the old, dead process. A read-then-delete would remove the replacement's file.
        Store.EnsureDirectories();
        var dead = Orphans.DeadProcess();
        Store.Write("web", new PidFileInfo
        {
            Pid = dead.Pid, OwnerId = _project.SessionId, Command = TestDaemon.Path, Name = "web", StartedAt = DateTimeOffset.UtcNow,
            ProcessStartTime = dead.StartTime, ProcessGroup = dead.Pid, SupervisorPid = Environment.ProcessId,
            SupervisorStartTime = ProcessIdentity.Self.StartTime,
        });
        using (var held = DaemonLock.TryAcquire(Store.LockPathFor("web", _project.SessionId)))
        {
            Assert.NotNull(held);
            var stop = await Run("stop", "web", "--force");

            Assert.True(stop.ExitCode == 1, stop.ToString());
            Assert.Contains("left: a running supervisor holds its daemon's lock", stop.Err);
            Assert.NotNull(Store.Read("web", _project.SessionId));
        }
        var after = await Run("stop", "web");
        Assert.True(after.ExitCode == 0, after.ToString()); // once the lock is free, the stale file goes
        Assert.Empty(_project.PidFiles());
    }

    [Fact]
    public async Task Garbage_negative_zero_huge_symlinked_and_misplaced_pid_files_are_listed_by_status_and_removed_by_stop_all()
    {
        var bystander = await NewBystander();
        var victim = Path.Combine(_project.Dir, "victim.json");
        File.WriteAllText(victim, Ntm(bystander.Pid, "s", TestDaemon.Path, bystander.Identity.StartedAtWallClock()!.Value));
        WriteRaw("garbage-s.pid", "\u0001\u0002 not json at all {{{");
        WriteRaw("negative-s.pid", """{"pid": -1, "port": 0, "owner_id": "s", "command": "x", "started_at": "2026-01-01T00:00:00Z"}""");
        WriteRaw("zero-s.pid", """{"pid": 0, "port": 0, "owner_id": "s", "command": "x", "started_at": "2026-01-01T00:00:00Z"}""");
        WriteRaw("huge-s.pid", "{\"pid\": 12, \"port\": 0, \"owner_id\": \"s\", \"command\": \"" + new string('x', 1024 * 1024) + "\"}");
        File.CreateSymbolicLink(Path.Combine(Store.PidDir, "link-s.pid"), victim);
        // A real-looking file of daemon "web", stored under another daemon's name.
        WriteRaw("api-s.pid", Ntm(bystander.Pid, "s", TestDaemon.Path, bystander.Identity.StartedAtWallClock()!.Value).Replace("{", """{"name": "web", """));

        var status = await Run("status", "--json");
        var table = await Run("status");
        var stop = await Run("stop", "--all", "--force", "--stop-grace", "200ms");

        Assert.True(status.ExitCode == 0, status.ToString());
        using (var json = JsonDocument.Parse(status.Out))
        {
            var rows = json.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!, e => e.Clone());
            Assert.Equal(["garbage", "huge", "link", "negative", "web", "zero"], rows.Keys.Order());
            Assert.All(rows.Values, r => Assert.False(r.GetProperty("alive").GetBoolean()));
            Assert.All(rows.Values, r => Assert.False(string.IsNullOrEmpty(r.GetProperty("problem").GetString())));
            Assert.Contains("symbolic link", rows["link"].GetProperty("problem").GetString());
            Assert.Contains("larger than 64 KB", rows["huge"].GetProperty("problem").GetString());
            Assert.Contains("never a daemon", rows["negative"].GetProperty("problem").GetString());
        }
        Assert.Contains(table.Stdout, l => l.StartsWith("garbage ", StringComparison.Ordinal) && l.Contains("no (unusable)"));
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Equal(6, stop.Stdout.Count(l => l.Contains("nothing signalled")));
        Assert.Empty(_project.PidFiles());
        Assert.True(File.Exists(victim)); // the link was removed, not what it points to
        Assert.True(bystander.Untouched, bystander.Describe());
        output.WriteLine("hostile: unusable PID files (garbage, -1, 0, 1 MB, symlink, misplaced): tried 6, listed 6, removed 6, wrongly signalled 0");
    }

    [Fact]
    public void A_huge_pid_file_costs_its_cap_to_read_not_its_size()
    {
        Store.EnsureDirectories();
        var path = Path.Combine(Store.PidDir, "huge-s.pid");
        using (var file = File.Create(path))
        {
            file.Write("{\"pid\": 12, \"port\": 0, \"owner_id\": \"s\", \"command\": \""u8);
            var chunk = new byte[1024 * 1024];
            Array.Fill(chunk, (byte)'a');
            for (var i = 0; i < 100; i++) file.Write(chunk);
            file.Write("\"}"u8);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var info = PidFileStore.Read(path);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(info is null, "a 100 MB file was read as a PID file");
        Assert.True(allocated < 4 * 1024 * 1024, $"reading a 100 MB PID file allocated {allocated / 1024 / 1024} MB");
        File.Delete(path);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var b in _bystanders) b.Dispose();
        try { await _project.AssertNothingLeftBehind(); }
        finally { _project.Dispose(); } // kills whatever a failed test left, so it cannot cascade
    }
}
