using System.Runtime.InteropServices;
using ActorSupervisor.Processes;

namespace ActorSupervisor.Tests.Processes;

/// <summary>Files under the state dir are reached without following a link and only in directories nobody else can write.</summary>
public sealed class SafeFileSpecs : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("actorsupervisor-safe-").FullName;
    private string At(string name) => Path.Combine(_dir, name);

    [DllImport("libc", SetLastError = true)]
    private static extern int mkfifo(string path, uint mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int link(string existing, string created);

    [Fact]
    public void A_symbolic_link_a_fifo_a_directory_or_a_hard_link_is_refused_and_nothing_behind_it_is_touched()
    {
        File.WriteAllText(At("target"), "target");
        File.CreateSymbolicLink(At("link"), At("target"));
        Assert.Equal(0, mkfifo(At("fifo"), 0x180));
        Directory.CreateDirectory(At("dir"));
        Assert.Equal(0, link(At("target"), At("hard")));

        foreach (var name in new[] { "link", "fifo", "dir", "hard" })
        {
            // The FIFO must not block the open (nobody writes to it).
            var e = Assert.ThrowsAny<IOException>(() => SafeFile.Open(At(name), Native.O_WRONLY | Native.O_CREAT | Native.O_APPEND).Dispose());
            Assert.Contains(At(name), e.Message);
        }
        Assert.Equal("target", File.ReadAllText(At("target")));
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
    }

    [Fact]
    public void A_directory_others_can_write_is_refused_for_reading_and_made_private_when_ensured()
    {
        var open = Directory.CreateDirectory(At("open")).FullName;
        File.SetUnixFileMode(open, (UnixFileMode)0b111_111_111);
        File.WriteAllText(Path.Combine(open, "x"), "x");

        var e = Assert.Throws<UnsafeStateException>(() => SafeFile.Read(Path.Combine(open, "x"), 100, out _));
        Assert.Contains("writable by other users (mode 777)", e.Message);

        SafeFile.EnsureDirectory(open, tighten: true);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(open));
        Assert.Equal("x"u8.ToArray(), SafeFile.Read(Path.Combine(open, "x"), 100, out _));
    }

    [Fact]
    public void Reads_are_capped()
    {
        File.WriteAllBytes(At("big"), new byte[1_000_000]);
        var bytes = SafeFile.Read(At("big"), 4096, out var tooBig)!;
        Assert.Equal(4096, bytes.Length);
        Assert.True(tooBig);
        Assert.Null(SafeFile.Read(At("missing"), 4096, out _));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
