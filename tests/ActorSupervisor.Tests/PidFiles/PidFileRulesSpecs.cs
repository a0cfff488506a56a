using System.Text;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.PidFiles;

/// <summary>
/// The PID file store's rules on real files in a temp state dir: where files live, what a file that cannot be used
/// reads as (and the reason given), how names come from contents or file names, when a reader that runs nothing may
/// remove a file, and the lock beside each. No process is signalled here.
/// </summary>
public sealed class PidFileRulesSpecs : IDisposable
{
    private readonly TestProject _project = new();
    private PidFileStore Store => _project.Store;

    public void Dispose() => _project.Dispose();

    /// <summary>A file whose process is long gone (pid far above pid_max).</summary>
    private static PidFileInfo Dead(string session, string? name = null) => new()
    {
        Pid = 999_999_999, Port = 0, OwnerId = session, Command = "/bin/web", StartedAt = DateTimeOffset.UtcNow,
        Name = name, ProcessStartTime = 12345,
    };

    private string PidPath(string fileName) => Path.Combine(Store.PidDir, fileName);

    private void Plant(string fileName, string contents)
    {
        Store.EnsureDirectories();
        File.WriteAllText(PidPath(fileName), contents);
    }

    [Fact]
    public void Files_are_named_by_name_and_session_with_an_at_sign_when_the_name_has_a_dash()
    {
        Assert.Equal("web-s1", PidFileStore.Stem("web", "s1"));
        Assert.Equal("web-s-1", PidFileStore.Stem("web", "s-1"));
        Assert.Equal("api-v2@s1", PidFileStore.Stem("api-v2", "s1"));

        var store = new PidFileStore(Path.Combine(_project.Dir, "state") + "/");
        Assert.Equal(Path.Combine(_project.Dir, "state"), store.StateRoot);
        Assert.Equal(Path.Combine(_project.Dir, "state", "pids"), store.PidDir);
        Assert.Equal(Path.Combine(_project.Dir, "state", "logs"), store.LogDir);
        Assert.Equal(Path.Combine(store.PidDir, "api-v2@s1.pid"), store.PathFor("api-v2", "s1"));
        Assert.Equal(Path.Combine(store.PidDir, "api-v2@s1.lock"), store.LockPathFor("api-v2", "s1"));
        Assert.Equal(Path.Combine(store.LogDir, "api-v2@s1.log"), store.LogPathFor("api-v2", "s1"));
        Assert.Equal(Path.Combine(store.PidDir, "api-v2-s1.pid"), store.NtmPathFor("api-v2", "s1"));
        Assert.Equal(store.PathFor("web", "s1"), store.NtmPathFor("web", "s1"));
    }

    [Fact]
    public void A_relative_state_root_is_made_absolute()
    {
        Assert.Equal(Path.GetFullPath("some-state"), new PidFileStore("some-state").StateRoot);
    }

    [Fact]
    public void The_state_dir_pids_and_logs_are_created_private()
    {
        var store = Store;
        store.EnsureDirectories();
        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Assert.Equal(Private, File.GetUnixFileMode(store.StateRoot));
        Assert.Equal(Private, File.GetUnixFileMode(store.PidDir));
        Assert.Equal(Private, File.GetUnixFileMode(store.LogDir));
    }

    [Fact]
    public void Existing_state_pids_and_logs_dirs_open_to_others_are_made_private()
    {
        var store = Store;
        foreach (var dir in new[] { store.StateRoot, store.PidDir, store.LogDir })
        {
            Directory.CreateDirectory(dir);
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101); // 0755
        }
        store.EnsureDirectories();
        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Assert.Equal(Private, File.GetUnixFileMode(store.StateRoot));
        Assert.Equal(Private, File.GetUnixFileMode(store.PidDir));
        Assert.Equal(Private, File.GetUnixFileMode(store.LogDir));
    }

    [Fact]
    public void A_lock_that_is_refused_or_released_keeps_no_descriptor_open()
    {
        Store.EnsureDirectories();
        var path = PidPath("web-s1.lock");
        int OpenOn() => Directory.GetFiles("/proc/self/fd").Count(fd =>
        {
            try { return new FileInfo(fd).LinkTarget is { } t && t.StartsWith(path, StringComparison.Ordinal); }
            catch (IOException) { return false; } // a descriptor closed while listed
        });
        var held = DaemonLock.TryAcquire(path)!;
        Assert.Equal(1, OpenOn());
        Assert.Null(DaemonLock.TryAcquire(path));
        Assert.Equal(1, OpenOn()); // the refused attempt closed its own
        held.Dispose();
        Assert.Equal(0, OpenOn()); // nor does the released lock ("<path> (deleted)" would still count)
    }

    [Fact]
    public void A_missing_file_reads_as_nothing_without_a_problem()
    {
        Assert.Equal((null, null), PidFileStore.ReadChecked(PidPath("none-s1.pid")));
        Assert.Null(PidFileStore.Read(PidPath("none-s1.pid")));
        Assert.Empty(Store.Inspect()); // no pids dir at all
        Assert.Empty(Store.List());
    }

    [Theory]
    [InlineData("not json", "it is not a PID file: not valid JSON or a field of the wrong type (line 1)")]
    [InlineData("{\"pid\": \"seven\"}", "it is not a PID file: not valid JSON or a field of the wrong type at pid (line 1)")]
    [InlineData("{\n\"pid\": 5,\n\"port\": true}", "it is not a PID file: not valid JSON or a field of the wrong type at port (line 3)")]
    [InlineData("null", "it is not a PID file (JSON null)")]
    public void A_file_that_is_not_a_PID_file_says_why(string contents, string problem)
    {
        Plant("web-s1.pid", contents);
        var (info, why) = PidFileStore.ReadChecked(PidPath("web-s1.pid"));
        Assert.Null(info);
        Assert.Equal(problem, why);
        Assert.Null(PidFileStore.Read(PidPath("web-s1.pid")));
    }

    [Fact]
    public void A_file_over_64_KB_is_not_parsed_and_one_of_exactly_64_KB_is()
    {
        var json = "{\"pid\": 7, \"owner_id\": \"s1\", \"command\": \"x\"}";
        Plant("web-s1.pid", json + new string(' ', PidFileStore.MaxPidFileBytes - json.Length));
        Assert.Equal(7, PidFileStore.ReadChecked(PidPath("web-s1.pid")).Info!.Pid);

        Plant("web-s1.pid", json + new string(' ', PidFileStore.MaxPidFileBytes - json.Length + 1));
        Assert.Equal((null, "it is larger than 64 KB, so it is not a PID file"), PidFileStore.ReadChecked(PidPath("web-s1.pid")));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-4)]
    public void A_file_naming_no_positive_pid_reads_as_nothing_but_is_inspected(int pid)
    {
        Plant("web-s1.pid", $"{{\"pid\": {pid}, \"owner_id\": \"s1\", \"command\": \"x\", \"name\": \"web\"}}");
        Assert.Null(PidFileStore.Read(PidPath("web-s1.pid")));
        Assert.Empty(Store.List());
        Assert.Equal(pid, Assert.Single(Store.Inspect()).Info!.Pid);
    }

    [Fact]
    public void An_NTM_file_with_trailing_commas_and_without_our_fields_is_read()
    {
        Plant("web-s1.pid", "{\"pid\": 4242, \"port\": 8080, \"owner_id\": \"s1\", \"command\": \"web\", \"started_at\": \"2026-11-26T12:00:00Z\",}\n");
        var info = PidFileStore.Read(PidPath("web-s1.pid"))!;
        Assert.Equal(4242, info.Pid);
        Assert.Equal(8080, info.Port);
        Assert.True(info.IsNtmFormat);
        Assert.Null(info.Identity);
        Assert.Null(info.SupervisorIdentity);
        Assert.False(info.SupervisorAlive);
    }

    [Fact]
    public void A_file_is_NTMs_only_without_a_start_time_and_without_a_supervisor()
    {
        var ntm = new PidFileInfo { Pid = 5, OwnerId = "s", Command = "x" };
        Assert.True(ntm.IsNtmFormat);
        Assert.False((ntm with { ProcessStartTime = 1 }).IsNtmFormat);
        Assert.False((ntm with { SupervisorPid = 9 }).IsNtmFormat);
        Assert.Equal(new ProcessIdentity(5, 1), (ntm with { ProcessStartTime = 1 }).Identity);
        Assert.Null((ntm with { SupervisorPid = 9 }).SupervisorIdentity); // a pid alone is no identity
        Assert.Equal(new ProcessIdentity(9, 3), (ntm with { SupervisorPid = 9, SupervisorStartTime = 3 }).SupervisorIdentity);
    }

    [Fact]
    public void A_supervisor_is_alive_only_with_its_start_time_and_never_as_pid_1()
    {
        var self = ProcessIdentity.Self;
        var info = new PidFileInfo { Pid = 5, OwnerId = "s", Command = "x", SupervisorPid = self.Pid, SupervisorStartTime = self.StartTime };
        Assert.True(info.SupervisorAlive);
        Assert.False((info with { SupervisorStartTime = self.StartTime + 1 }).SupervisorAlive);
        Assert.False((info with { SupervisorPid = 1, SupervisorStartTime = ProcessIdentity.Of(1)?.StartTime ?? 0 }).SupervisorAlive);
    }

    [Fact]
    public void Unusable_files_are_named_by_their_file_name_when_it_tells_name_and_session()
    {
        Plant("web-s1.pid", "garbage");
        Plant("api-v2@s-2.pid", "garbage");
        Plant("junk.pid", "garbage");
        Plant("-x.pid", "garbage");
        Plant("a@.pid", "garbage");
        Plant("web-s1.lock", "not a pid file at all");
        Plant("web-s1.pid.tmp", "a temp file");

        var reports = Store.Inspect().Select(r => (r.Name, r.Session)).ToList();

        Assert.Equal([("-x", ""), ("a@", ""), ("api-v2", "s-2"), ("junk", ""), ("web", "s1")], reports);
        Assert.All(Store.Inspect(), r => Assert.NotNull(r.Problem));
        Assert.Empty(Store.List());
    }

    [Fact]
    public void Names_come_from_the_contents_and_a_file_at_another_pairs_path_is_misplaced()
    {
        var store = Store;
        store.Write("web", Dead("s1", "web"));                                  // ours, where it belongs
        store.Write("api-v2", Dead("s2"));                                      // no name: NTM's way, at api-v2@s2.pid
        Plant("api-v3-s2.pid", System.Text.Json.JsonSerializer.Serialize(Dead("s2"), PidFileStore.Json)); // NTM's path of api-v3
        Plant("other-s1.pid", System.Text.Json.JsonSerializer.Serialize(Dead("s1", "web"), PidFileStore.Json));
        Plant("web-s9.pid", System.Text.Json.JsonSerializer.Serialize(Dead("s1"), PidFileStore.Json)); // session not in its name

        var reports = store.Inspect();

        Assert.Equal(
        [
            ("api-v2", "s2", (string?)null),
            ("api-v3", "s2", null),
            ("web", "s1", null),
            ("web", "s1", "it describes daemon 'web' of session 's1', whose file is web-s1.pid"),
            ("web-s9", "s1", "it describes daemon 'web-s9' of session 's1', whose file is web-s9@s1.pid"),
        ], reports.Select(r => (r.Name, r.Session, r.Problem)).OrderBy(r => r.Name).ThenBy(r => r.Problem));
        Assert.Equal(["api-v2", "api-v3", "web"], store.List().Select(e => e.Name));
    }

    [Fact]
    public void Listing_is_in_name_then_session_order()
    {
        var store = Store;
        foreach (var (name, session) in new[] { ("b", "s2"), ("a", "s9"), ("b", "s1"), ("c", "s0") })
            store.Write(name, Dead(session, name));
        Assert.Equal([("a", "s9"), ("b", "s1"), ("b", "s2"), ("c", "s0")], store.List().Select(e => (e.Name, e.Info.OwnerId)));
        Assert.Equal([("a", "s9"), ("b", "s1"), ("b", "s2"), ("c", "s0")], store.Inspect().Select(e => (e.Name, e.Session)));
    }

    [Theory]
    [InlineData("{\"pid\": 5, \"owner_id\": \"../evil\", \"command\": \"x\"}")]
    [InlineData("{\"pid\": 5, \"owner_id\": \"s1\", \"command\": \"x\", \"name\": \"../../etc\"}")]
    [InlineData("{\"pid\": 5, \"owner_id\": \"\", \"command\": \"x\"}")]
    public void A_file_whose_names_could_reach_out_of_the_state_dir_is_refused_by_its_file_name(string contents)
    {
        Plant("web-s1.pid", contents);
        var report = Assert.Single(Store.Inspect());
        Assert.Equal(("web-s1", ""), (report.Name, report.Session));
        Assert.Equal("its name or owner_id is not a valid name (1 to 64 of [A-Za-z0-9._-])", report.Problem);
        Assert.NotNull(report.Info);
        Assert.Empty(Store.List());
        Assert.Equal(PidPath("web-s1.lock"), Store.LockPathFor(report));
    }

    [Fact]
    public void The_lock_of_an_entry_is_its_pairs_lock_or_the_one_beside_its_file()
    {
        var store = Store;
        Assert.Equal(store.LockPathFor("api-v2", "s1"), store.LockPathFor(new PidFileReport(PidPath("anything.pid"), "api-v2", "s1", null, null)));
        Assert.Equal(PidPath("junk.lock"), store.LockPathFor(new PidFileReport(PidPath("junk.pid"), "junk", "", null, "garbage")));
        Assert.Equal(PidPath("x.lock"), store.LockPathFor(new PidFileReport(PidPath("x.pid"), "../x", "s1", null, null)));
    }

    [Fact]
    public void Delete_removes_a_file_unconditionally_and_Remove_only_the_file_of_the_pid_given_or_an_unusable_one()
    {
        var store = Store;
        store.Write("web", Dead("s1", "web"));
        store.Remove("web", "s1", pid: 1234);
        Assert.NotNull(store.Read("web", "s1"));
        store.Delete("web", "s1");
        Assert.Null(store.Read("web", "s1"));

        Plant("web-s1.pid", "garbage");
        store.Remove("web", "s1", pid: 1234);
        Assert.False(File.Exists(PidPath("web-s1.pid")));
        store.Remove("web", "s1", pid: 1234); // nothing there: nothing happens
    }

    [Fact]
    public void A_reader_removes_a_file_it_saw_when_nobody_holds_the_lock_and_leaves_nothing_behind()
    {
        var store = Store;
        store.Write("web", Dead("s1", "web"));
        var entry = Assert.Single(store.Inspect());

        Assert.Null(store.RemoveUnowned(entry));

        Assert.Empty(Directory.GetFiles(store.PidDir)); // the file and the lock taken for it
        Assert.Null(store.RemoveUnowned(entry)); // already gone
    }

    [Fact]
    public void A_reader_leaves_a_file_whose_lock_a_live_supervisor_holds()
    {
        var store = Store;
        store.Write("web", Dead("s1", "web"));
        var entry = Assert.Single(store.Inspect());
        using var held = DaemonLock.TryAcquire(store.LockPathFor("web", "s1"))!;

        Assert.Equal("a running supervisor holds its daemon's lock", store.RemoveUnowned(entry));
        Assert.True(File.Exists(entry.Path));
        Assert.True(File.Exists(held.Path)); // the holder's lock is not touched
    }

    [Fact]
    public void A_reader_that_holds_the_lock_already_removes_under_it_and_keeps_holding_it()
    {
        var store = Store;
        store.Write("web", Dead("s1", "web"));
        var entry = Assert.Single(store.Inspect());
        using var held = DaemonLock.TryAcquire(store.LockPathFor("web", "s1"))!;

        Assert.Null(store.RemoveUnowned(entry, held));

        Assert.False(File.Exists(entry.Path));
        Assert.True(File.Exists(held.Path));
        Assert.Null(DaemonLock.TryAcquire(held.Path)); // still held
    }

    [Fact]
    public void A_reader_leaves_a_file_rewritten_since_it_was_seen()
    {
        var store = Store;
        store.Write("web", Dead("s1", "web"));
        var entry = Assert.Single(store.Inspect());
        store.Write("web", Dead("s1", "web") with { Pid = 999_999_998 });
        Assert.Equal("it was rewritten meanwhile", store.RemoveUnowned(entry));
        Assert.True(File.Exists(entry.Path));

        // An unusable file that has since become a PID file is a rewrite too, and so is the reverse.
        Plant("api-s1.pid", "garbage");
        var garbage = Assert.Single(store.Inspect(), r => r.Name == "api");
        store.Write("api", Dead("s1", "api"));
        Assert.Equal("it was rewritten meanwhile", store.RemoveUnowned(garbage));
        var good = Assert.Single(store.Inspect(), r => r.Name == "api");
        Plant("api-s1.pid", "garbage again");
        Assert.Equal("it was rewritten meanwhile", store.RemoveUnowned(good));
    }

    [Fact]
    public void A_reader_removes_an_unusable_file_that_is_still_unusable()
    {
        Plant("web-s1.pid", "garbage");
        var entry = Assert.Single(Store.Inspect());
        Plant("web-s1.pid", "other garbage");
        Assert.Null(Store.RemoveUnowned(entry));
        Assert.False(File.Exists(entry.Path));
    }

    [Fact]
    public void A_reader_whose_lock_cannot_be_used_says_so_and_removes_nothing()
    {
        var store = Store;
        store.Write("web", Dead("s1", "web"));
        var entry = Assert.Single(store.Inspect());
        Directory.CreateDirectory(store.LockPathFor("web", "s1")); // a directory where the lock file goes

        var why = store.RemoveUnowned(entry);

        Assert.StartsWith("cannot take its lock: ", why);
        Assert.True(File.Exists(entry.Path));
    }

    [Fact]
    public void A_reader_that_cannot_remove_the_file_says_so()
    {
        var store = Store;
        store.EnsureDirectories();
        Directory.CreateDirectory(PidPath("web-s1.pid")); // a directory standing where the file is
        var entry = new PidFileReport(PidPath("web-s1.pid"), "web", "s1", null, "not a file");

        var why = store.RemoveUnowned(entry);

        Assert.StartsWith("cannot remove it: ", why);
        Assert.True(Directory.Exists(PidPath("web-s1.pid")));
        Assert.False(File.Exists(store.LockPathFor("web", "s1"))); // the lock taken for it is released
    }

    [Theory]
    [InlineData("4242 0123abcd\n", 4242)]
    [InlineData("4242", 4242)]
    [InlineData("0 x", null)]
    [InlineData("-5 x", null)]
    [InlineData(" 42 x", null)]
    [InlineData("pid 42", null)]
    [InlineData("", null)]
    public void The_holder_of_a_lock_is_the_positive_pid_its_file_starts_with(string contents, int? pid)
    {
        Store.EnsureDirectories();
        File.WriteAllText(PidPath("web-s1.lock"), contents);
        Assert.Equal(pid, DaemonLock.HolderPid(PidPath("web-s1.lock")));
    }

    [Fact]
    public void A_lock_that_is_missing_or_unreadable_has_no_holder()
    {
        Store.EnsureDirectories();
        Assert.Null(DaemonLock.HolderPid(PidPath("none.lock")));
        Directory.CreateDirectory(PidPath("dir.lock"));
        Assert.Null(DaemonLock.HolderPid(PidPath("dir.lock")));
    }

    [Fact]
    public void A_lock_is_held_once_names_its_holder_and_goes_with_its_file_when_released()
    {
        Store.EnsureDirectories();
        var path = PidPath("web-s1.lock");
        var first = DaemonLock.TryAcquire(path)!;
        Assert.Equal(path, first.Path);
        Assert.Null(DaemonLock.TryAcquire(path));
        var text = LockText(path);
        Assert.Matches($"^{Environment.ProcessId} [0-9a-f]{{32}}\n$", text);
        Assert.Equal(Environment.ProcessId, DaemonLock.HolderPid(path));

        first.Dispose();
        first.Dispose(); // twice is harmless
        Assert.False(File.Exists(path));
        using var second = DaemonLock.TryAcquire(path)!;
        Assert.NotEqual(text, LockText(path)); // a new holder's token
    }

    /// <summary>Read as the supervisor reads it: .NET's own File API would take a shared flock and fail on the held lock.</summary>
    private static string LockText(string path) => Encoding.ASCII.GetString(SafeFile.Read(path, 256, out _)!);

    [Fact]
    public void A_lock_file_left_with_a_long_holder_text_is_rewritten_whole()
    {
        Store.EnsureDirectories();
        var path = PidPath("web-s1.lock");
        File.WriteAllText(path, new string('9', 200));
        using var held = DaemonLock.TryAcquire(path)!;
        Assert.Equal(Environment.ProcessId, DaemonLock.HolderPid(path));
        Assert.Equal($"{Environment.ProcessId} ".Length + 32 + 1, new FileInfo(path).Length);
    }

    [Fact]
    public void A_lock_through_a_symbolic_link_is_refused_naming_it()
    {
        Store.EnsureDirectories();
        var target = Path.Combine(_project.Dir, "elsewhere");
        File.WriteAllText(target, "");
        File.CreateSymbolicLink(PidPath("web-s1.lock"), target);
        var e = Assert.ThrowsAny<IOException>(() => DaemonLock.TryAcquire(PidPath("web-s1.lock")));
        Assert.Contains("web-s1.lock", e.Message);
        Assert.Equal("", File.ReadAllText(target));
    }
}
