using System.Diagnostics;
using ActorSupervisor.Processes;

namespace ActorSupervisor.Tests.Processes;

/// <summary>
/// Files under the state dir are reached without following a link and only in directories nobody else can write; every
/// refusal names the path and why, and leaves nothing open and nothing changed behind it.
/// </summary>
public sealed class SafeFileSpecs : IDisposable
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const int Nobody = 65534;
    private readonly string _dir = Directory.CreateTempSubdirectory("actorsupervisor-safe-").FullName;
    private string At(string name) => Path.Combine(_dir, name);

    [Fact]
    public void A_symbolic_link_a_fifo_a_directory_or_a_hard_link_is_refused_naming_why_and_nothing_behind_it_is_touched()
    {
        File.WriteAllText(At("target"), "target");
        File.CreateSymbolicLink(At("link"), At("target"));
        Assert.Equal(0, SafeFileLibc.mkfifo(At("fifo"), 0x180));
        Directory.CreateDirectory(At("dir"));
        Assert.Equal(0, SafeFileLibc.link(At("target"), At("hard")));

        const int read = Native.O_RDONLY, append = Native.O_WRONLY | Native.O_CREAT | Native.O_APPEND;
        var refusals = new (string Name, int Flags, Type Type, string Message)[]
        {
            ("link", append, typeof(UnsafeStateException), $"{At("link")} is a symbolic link; refusing to follow it"),
            // The FIFO must not block the open (nobody is at its other end).
            ("fifo", read, typeof(UnsafeStateException), $"{At("fifo")} is not a regular file; refusing to use it"),
            ("fifo", append, typeof(IOException), $"cannot open {At("fifo")}: No such device or address"),
            ("dir", read, typeof(UnsafeStateException), $"{At("dir")} is not a regular file; refusing to use it"),
            ("dir", append, typeof(IOException), $"cannot open {At("dir")}: Is a directory"),
            ("hard", append, typeof(UnsafeStateException), $"{At("hard")} has 2 hard links; refusing to use it"),
        };
        foreach (var (name, flags, type, message) in refusals)
        {
            var e = Assert.ThrowsAny<IOException>(() => SafeFile.Open(At(name), flags).Dispose());
            Assert.Equal(message, e.Message);
            Assert.IsType(type, e);
        }
        Assert.Equal("target", File.ReadAllText(At("target")));
        SafeFileLibc.AssertNothingHeldOpenUnder(_dir);
    }

    [Fact]
    public void A_file_of_another_user_is_refused_naming_its_owner_and_you()
    {
        File.WriteAllText(At("web.pid"), "{}");
        SafeFileLibc.Chown(At("web.pid"), Nobody);

        var e = Assert.Throws<UnsafeStateException>(() => SafeFile.Read(At("web.pid"), 100, out _));

        Assert.Equal($"{At("web.pid")} belongs to uid {Nobody}, not to you (uid {SafeFile.EffectiveUid}); refusing to use it", e.Message);
        SafeFileLibc.AssertNothingHeldOpenUnder(_dir);
    }

    [Fact]
    public void A_directory_of_another_user_is_refused_naming_its_owner_and_is_not_left_open()
    {
        var other = Directory.CreateDirectory(At("pids")).FullName;
        File.WriteAllText(Path.Combine(other, "web.pid"), "{}");
        SafeFileLibc.Chown(other, Nobody);

        var e = Assert.Throws<UnsafeStateException>(() => SafeFile.Read(Path.Combine(other, "web.pid"), 100, out _));

        Assert.Equal(
            $"{other} belongs to uid {Nobody}, not to you (uid {SafeFile.EffectiveUid}); refusing to use it: another user could control what is in it",
            e.Message);
        SafeFileLibc.AssertNothingHeldOpenUnder(_dir);
    }

    [Fact]
    public void A_regular_file_in_place_of_the_state_dir_is_refused_as_not_a_directory_and_left_as_it_was()
    {
        File.WriteAllText(At("state"), "not a directory");
        var mode = File.GetUnixFileMode(At("state"));

        var ensured = Assert.Throws<UnsafeStateException>(() => SafeFile.EnsureDirectory(At("state"), tighten: true));
        var read = Assert.Throws<UnsafeStateException>(() => SafeFile.Read(Path.Combine(At("state"), "web.pid"), 100, out _));

        Assert.Equal($"{At("state")} is not a directory", ensured.Message);
        Assert.Equal($"{At("state")} is not a directory", read.Message);
        Assert.Equal("not a directory", File.ReadAllText(At("state")));
        Assert.Equal(mode, File.GetUnixFileMode(At("state")));
        SafeFileLibc.AssertNothingHeldOpenUnder(_dir);
    }

    [Fact]
    public void A_loop_of_symbolic_links_above_the_state_dir_is_refused_naming_the_directory_and_the_reason()
    {
        File.CreateSymbolicLink(At("loop"), At("loop"));
        var pids = Path.Combine(At("loop"), "pids");

        var e = Assert.ThrowsAny<IOException>(() => SafeFile.Read(Path.Combine(pids, "web.pid"), 100, out _));

        Assert.Equal($"cannot open directory {pids}: Too many levels of symbolic links", e.Message);
        Assert.IsType<IOException>(e);
    }

    [Fact]
    public void A_file_in_a_missing_directory_is_absent_naming_the_directory_and_nothing_is_created()
    {
        var pids = At("pids");
        var pid = Path.Combine(pids, "web.pid");

        var e = Assert.Throws<FileNotFoundException>(() => SafeFile.Open(pid, Native.O_RDONLY));

        Assert.Equal($"{pids} does not exist", e.Message);
        Assert.Equal(pid, e.FileName);
        Assert.Null(SafeFile.Read(pid, 100, out var tooBig));
        Assert.False(tooBig);
        Assert.False(SafeFile.Delete(pid));
        Assert.False(Directory.Exists(pids));
    }

    [Fact]
    public void A_missing_file_is_absent_naming_it()
    {
        var e = Assert.Throws<FileNotFoundException>(() => SafeFile.Open(At("web.pid"), Native.O_RDONLY));

        Assert.Equal($"{At("web.pid")} does not exist", e.Message);
        Assert.Equal(At("web.pid"), e.FileName);
        Assert.Null(SafeFile.Read(At("web.pid"), 100, out var tooBig));
        Assert.False(tooBig);
    }

    [Fact]
    public void Ensuring_a_state_dir_creates_its_missing_parents_and_makes_it_private()
    {
        var state = Path.Combine(_dir, "home", "project", "state");

        SafeFile.EnsureDirectory(state, tighten: false);

        Assert.True(Directory.Exists(state));
        Assert.Equal(Private, File.GetUnixFileMode(state));
        SafeFileLibc.AssertNothingHeldOpenUnder(_dir);
    }

    [Fact]
    public void A_relative_state_dir_with_no_parent_is_created_in_the_working_directory()
    {
        // Only a name, no directory part: there is no parent to create (the test creates it in the working directory,
        // which it does not change, and removes it).
        var name = $"actorsupervisor-safe-{Guid.NewGuid():N}";
        try
        {
            SafeFile.EnsureDirectory(name, tighten: true);

            Assert.True(Directory.Exists(Path.GetFullPath(name)));
            Assert.Equal(Private, File.GetUnixFileMode(Path.GetFullPath(name)));
        }
        finally
        {
            if (Directory.Exists(name)) Directory.Delete(name);
        }
    }

    [Fact]
    public void A_state_dir_name_longer_than_the_file_system_allows_is_refused_naming_it_and_why()
    {
        var state = Path.Combine(_dir, new string('s', 300));

        var e = Assert.ThrowsAny<IOException>(() => SafeFile.EnsureDirectory(state, tighten: true));

        Assert.Equal($"cannot create directory {state}: File name too long", e.Message);
    }

    [Fact]
    public void A_directory_others_can_write_is_refused_naming_its_mode_and_made_private_when_ensured()
    {
        var open = Directory.CreateDirectory(At("open")).FullName;
        File.SetUnixFileMode(open, (UnixFileMode)0b111_111_111);
        File.WriteAllText(Path.Combine(open, "x"), "x");

        var e = Assert.Throws<UnsafeStateException>(() => SafeFile.Read(Path.Combine(open, "x"), 100, out _));
        Assert.Equal($"{open} is writable by other users (mode 777); refusing to trust what is in it (chmod 700 {open})", e.Message);
        SafeFileLibc.AssertNothingHeldOpenUnder(_dir);

        SafeFile.EnsureDirectory(open, tighten: true);
        Assert.Equal(Private, File.GetUnixFileMode(open));
        Assert.Equal("x"u8.ToArray(), SafeFile.Read(Path.Combine(open, "x"), 100, out _));
    }

    [Fact]
    public void A_state_dir_on_a_read_only_file_system_that_others_can_read_is_refused_naming_it_and_why()
    {
        var state = Directory.CreateDirectory(At("state")).FullName;
        Assert.True(Run("mount", $"-t tmpfs -o ro,mode=0755 tmpfs {state}"), "cannot mount a tmpfs: this spec needs root");
        try
        {
            var e = Assert.ThrowsAny<IOException>(() => SafeFile.EnsureDirectory(state, tighten: true));

            Assert.Equal($"cannot make {state} private (chmod 700): Read-only file system", e.Message);
            Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(state));
            SafeFileLibc.AssertNothingHeldOpenUnder(_dir);
        }
        finally
        {
            Run("umount", state);
        }
    }


    [Fact]
    public void Ensuring_a_directory_nobody_else_can_reach_keeps_its_mode_and_its_setgid_bit()
    {
        var state = Directory.CreateDirectory(At("state")).FullName;
        var mode = Private | UnixFileMode.SetGroup;
        File.SetUnixFileMode(state, mode);

        SafeFile.EnsureDirectory(state, tighten: true);

        Assert.Equal(mode, File.GetUnixFileMode(state));
    }

    [Fact]
    public void An_atomic_write_replaces_a_symbolic_link_instead_of_writing_through_it_and_delete_removes_only_the_link()
    {
        File.WriteAllText(At("target"), "target");
        File.CreateSymbolicLink(At("file"), At("target"));

        SafeFile.WriteAtomically(At("file"), "new"u8);

        Assert.Null(new FileInfo(At("file")).LinkTarget);
        Assert.Equal("new", File.ReadAllText(At("file")));
        Assert.Equal("target", File.ReadAllText(At("target")));
        File.CreateSymbolicLink(At("other"), At("target"));
        Assert.True(SafeFile.Delete(At("other")));
        Assert.True(File.Exists(At("target")));
        Assert.False(SafeFile.Delete(At("other")));
        Assert.Equal(["file", "target"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName).Order());
        SafeFileLibc.AssertNothingHeldOpenUnder(_dir);
    }

    [Fact]
    public void An_atomic_write_onto_a_directory_fails_naming_the_file_and_leaves_no_temp_file_behind()
    {
        Directory.CreateDirectory(At("web.pid"));

        var e = Assert.ThrowsAny<IOException>(() => SafeFile.WriteAtomically(At("web.pid"), "{}"u8));

        Assert.Equal($"cannot write {At("web.pid")}: Is a directory", e.Message);
        Assert.Equal(["web.pid"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName));
        Assert.True(Directory.Exists(At("web.pid")));
        SafeFileLibc.AssertNothingHeldOpenUnder(_dir);
    }

    [Fact]
    public void Deleting_a_directory_in_place_of_a_file_fails_naming_it_and_leaves_it()
    {
        Directory.CreateDirectory(At("web.pid"));

        var e = Assert.ThrowsAny<IOException>(() => SafeFile.Delete(At("web.pid")));

        Assert.Equal($"cannot remove {At("web.pid")}: Is a directory", e.Message);
        Assert.True(Directory.Exists(At("web.pid")));
        SafeFileLibc.AssertNothingHeldOpenUnder(_dir);
    }

    [Fact]
    public void A_rename_moves_the_entry_and_says_whether_there_was_one_to_move()
    {
        File.WriteAllText(At("web.log.1"), "one");

        Assert.True(SafeFile.Rename(At("web.log.1"), At("web.log.2")));
        Assert.False(SafeFile.Rename(At("web.log.1"), At("web.log.2")));

        Assert.False(File.Exists(At("web.log.1")));
        Assert.Equal("one", File.ReadAllText(At("web.log.2")));
        SafeFileLibc.AssertNothingHeldOpenUnder(_dir);
    }

    [Fact]
    public void A_rename_onto_a_directory_fails_naming_both_paths_and_moves_nothing()
    {
        File.WriteAllText(At("web.log.1"), "one");
        Directory.CreateDirectory(At("web.log.2"));

        var e = Assert.ThrowsAny<IOException>(() => SafeFile.Rename(At("web.log.1"), At("web.log.2")));

        Assert.Equal($"cannot rename {At("web.log.1")} to {At("web.log.2")}: Is a directory", e.Message);
        Assert.Equal("one", File.ReadAllText(At("web.log.1")));
        Assert.True(Directory.Exists(At("web.log.2")));
    }

    [Fact]
    public void A_rename_into_another_directory_is_refused_and_moves_nothing()
    {
        File.WriteAllText(At("web.log.1"), "one");
        var elsewhere = Directory.CreateDirectory(At("elsewhere")).FullName;

        var e = Assert.Throws<ArgumentException>(() => SafeFile.Rename(At("web.log.1"), Path.Combine(elsewhere, "web.log.1")));

        Assert.Equal("to", e.ParamName);
        Assert.StartsWith("renames stay within one directory", e.Message);
        Assert.Equal("one", File.ReadAllText(At("web.log.1")));
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
    }

    [Fact]
    public void A_path_that_names_no_file_is_refused_naming_the_path()
    {
        var trailing = Assert.Throws<ArgumentException>(() => SafeFile.Delete(_dir + "/"));
        var root = Assert.Throws<ArgumentException>(() => SafeFile.Delete("/"));

        Assert.Equal("path", trailing.ParamName);
        Assert.StartsWith($"{_dir}/ names no file", trailing.Message);
        Assert.Equal("path", root.ParamName);
        Assert.StartsWith("/ has no directory", root.Message);
        Assert.True(Directory.Exists(_dir));
    }

    private static bool Run(string command, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(command, args) { UseShellExecute = false, RedirectStandardError = true })!;
        p.WaitForExit();
        return p.ExitCode == 0;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
