using ActorSupervisor.Processes;

namespace ActorSupervisor.Tests.Processes;

public sealed class LogFileSpecs : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("actorsupervisor-log-").FullName;

    [Fact]
    public void Rotation_keeps_the_set_size_and_the_newest_copy_first()
    {
        var log = Path.Combine(_dir, "d.log");
        for (var round = 1; round <= 5; round++)
        {
            File.AppendAllText(log, new string((char)('a' + round), 2000));
            Assert.True(LogFile.NeedsRotation(log, 1000));
            LogFile.Rotate(log, keep: 3);
        }
        Assert.Equal(0, new FileInfo(log).Length);
        Assert.Equal([log, $"{log}.1", $"{log}.2", $"{log}.3"], LogFile.Set(log, 3));
        Assert.False(File.Exists($"{log}.4"));
        Assert.StartsWith("fff", File.ReadAllText($"{log}.1")); // round 5
        Assert.StartsWith("ddd", File.ReadAllText($"{log}.3")); // round 3
    }

    [Fact]
    public async Task A_writer_holding_the_file_open_keeps_writing_after_rotation()
    {
        var log = Path.Combine(_dir, "d.log");
        // As a daemon's stdout is: an O_APPEND descriptor that outlives the rotation (.NET's FileMode.Append is not O_APPEND).
        var fd = open(log, 0x1 | 0x40 | 0x400, 0x180);
        Assert.True(fd >= 0);
        try
        {
            Assert.Equal(5000, write(fd, new byte[5000], 5000));
            LogFile.Rotate(log, keep: 1);
            Assert.Equal(5, write(fd, "after"u8.ToArray(), 5));
        }
        finally
        {
            close(fd);
        }
        await Task.CompletedTask;
        Assert.Equal("after", File.ReadAllText(log));
        Assert.Equal(5000, new FileInfo($"{log}.1").Length);
    }

    [Fact]
    public void The_tail_gives_the_last_lines()
    {
        var log = Path.Combine(_dir, "d.log");
        File.WriteAllLines(log, Enumerable.Range(1, 100).Select(i => $"line {i}"));
        Assert.Equal(["line 98", "line 99", "line 100"], LogFile.Tail(log, 3));
        Assert.Empty(LogFile.Tail(Path.Combine(_dir, "missing.log")));
    }

    [Fact]
    public void A_log_needs_rotation_only_once_it_is_larger_than_the_limit()
    {
        var log = Path.Combine(_dir, "d.log");
        File.WriteAllBytes(log, new byte[1000]);
        Assert.False(LogFile.NeedsRotation(log, 1000));
        Assert.True(LogFile.NeedsRotation(log, 999));
    }

    [Fact]
    public void A_log_larger_than_one_copy_chunk_is_copied_whole()
    {
        var log = Path.Combine(_dir, "d.log");
        var content = new byte[200_000];
        new Random(7).NextBytes(content);
        File.WriteAllBytes(log, content);
        LogFile.Rotate(log, keep: 1);
        Assert.Equal(content, File.ReadAllBytes($"{log}.1"));
        Assert.Equal(0, new FileInfo(log).Length);
    }

    [Fact]
    public void A_limit_of_zero_means_no_rotation()
    {
        var log = Path.Combine(_dir, "d.log");
        File.WriteAllBytes(log, new byte[10]);
        Assert.False(LogFile.NeedsRotation(log, 0));
    }

    [Fact]
    public void Rotating_a_log_that_does_not_exist_does_nothing()
    {
        var log = Path.Combine(_dir, "d.log");
        LogFile.Rotate(log, keep: 0);
        LogFile.Rotate(log, keep: 2);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void Keeping_no_copies_empties_the_log_in_place_and_makes_none()
    {
        var log = Path.Combine(_dir, "d.log");
        File.WriteAllText(log, "old lines\n");
        LogFile.Rotate(log, keep: 0);
        Assert.Equal([log], Directory.GetFileSystemEntries(_dir));
        Assert.Equal(0, new FileInfo(log).Length);
    }

    [Fact]
    public void The_oldest_copy_goes_even_when_a_younger_one_is_missing()
    {
        var log = Path.Combine(_dir, "d.log");
        File.WriteAllText(log, "live");
        File.WriteAllText($"{log}.2", "stale"); // .1 was removed by hand
        LogFile.Rotate(log, keep: 2);
        Assert.Equal("live", File.ReadAllText($"{log}.1"));
        Assert.False(File.Exists($"{log}.2"), "a copy older than the kept ones is still there");
    }

    [Fact]
    public void Copies_beyond_the_kept_number_are_left_as_they_are()
    {
        // As after the limit was lowered: rotation renames only within the copies it keeps.
        var log = Path.Combine(_dir, "d.log");
        File.WriteAllText(log, "live");
        File.WriteAllText($"{log}.1", "one");
        File.WriteAllText($"{log}.3", "three");
        LogFile.Rotate(log, keep: 2);
        Assert.Equal("live", File.ReadAllText($"{log}.1"));
        Assert.Equal("one", File.ReadAllText($"{log}.2"));
        Assert.Equal("three", File.ReadAllText($"{log}.3"));
        Assert.False(File.Exists($"{log}.4"));
    }

    [Fact]
    public void The_tail_of_a_short_log_is_every_line_of_it()
    {
        var log = Path.Combine(_dir, "d.log");
        File.WriteAllText(log, "first\r\nsecond\nthird\n");
        Assert.Equal(["first", "second", "third"], LogFile.Tail(log, 10));
    }

    [Fact]
    public void The_tail_of_a_long_log_leaves_out_the_line_its_window_cut()
    {
        // 300 lines of 100 bytes: the last 16 KiB start 16 bytes into line 136, which must not appear cut.
        var log = Path.Combine(_dir, "d.log");
        File.WriteAllLines(log, Enumerable.Range(0, 300).Select(i => $"{i:D3}" + new string('x', 96)));
        var tail = LogFile.Tail(log, 1000);
        Assert.Equal(Enumerable.Range(137, 163).Select(i => $"{i:D3}" + new string('x', 96)), tail);
    }

    [Fact]
    public void The_tail_of_a_long_log_of_blank_lines_is_empty()
    {
        var log = Path.Combine(_dir, "d.log");
        File.WriteAllText(log, new string('\n', 20_000));
        Assert.Empty(LogFile.Tail(log));
    }

    [Fact]
    public void The_tail_of_a_huge_log_reads_only_its_end()
    {
        // A sparse 4 GiB file: reading more than the last 16 KiB of it would not fit in memory, let alone one array.
        var log = Path.Combine(_dir, "d.log");
        using (var f = new FileStream(log, FileMode.CreateNew, FileAccess.Write))
        {
            f.SetLength(4L << 30);
            f.Seek(0, SeekOrigin.End);
            f.Write("cut\nlast line\n"u8);
        }
        Assert.Equal(["last line"], LogFile.Tail(log));
    }

    [Fact]
    public void Appended_lines_land_at_the_end_of_the_log_each_with_its_newline()
    {
        var log = Path.Combine(_dir, "d.log");
        Assert.True(LogFile.AppendLine(log, "created"));
        Assert.True(LogFile.AppendLine(log, "appended"));
        Assert.Equal("created\nappended\n", File.ReadAllText(log));
    }

    [Fact]
    public void A_line_is_not_appended_through_a_symbolic_link_nor_into_a_missing_directory()
    {
        var target = Path.Combine(_dir, "target");
        File.WriteAllText(target, "untouched");
        var link = Path.Combine(_dir, "d.log");
        File.CreateSymbolicLink(link, target);
        Assert.False(LogFile.AppendLine(link, "line"));
        Assert.Equal("untouched", File.ReadAllText(target));
        Assert.False(LogFile.AppendLine(Path.Combine(_dir, "missing", "d.log"), "line"));
        Assert.False(Directory.Exists(Path.Combine(_dir, "missing")));
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int open(string path, int flags, int mode);

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern nint write(int fd, byte[] buffer, nint count);

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int close(int fd);

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
