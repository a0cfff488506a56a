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

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int open(string path, int flags, int mode);

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern nint write(int fd, byte[] buffer, nint count);

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int close(int fd);

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
