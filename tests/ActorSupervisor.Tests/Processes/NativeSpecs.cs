using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Processes;

/// <summary>
/// The libc constants and macros written out by hand in <see cref="Native"/>: wait statuses decoded as the W* macros
/// decode them, and open flags that do on this machine what their names say.
/// </summary>
public sealed class NativeSpecs : IDisposable
{
    private readonly TestProject _project = new();

    /// <summary>
    /// Wait statuses as the kernel encodes them (kernel/exit.c, and glibc's bits/waitstatus.h decodes the same):
    /// exited with code c: <c>c &lt;&lt; 8</c>; killed by signal s: <c>s</c>, plus 0x80 if it dumped core;
    /// stopped by signal s: <c>(s &lt;&lt; 8) | 0x7f</c>; continued (SIGCONT): <c>0xffff</c>.
    /// Columns: status, exited, exit code (for a stopped process glibc's WSTOPSIG: the same byte), signaled, signal.
    /// </summary>
    [Theory]
    [InlineData(0x0000, true, 0, false, 0)]      // exit 0
    [InlineData(0x0100, true, 1, false, 0)]      // exit 1
    [InlineData(0xff00, true, 255, false, 0)]    // exit 255
    [InlineData(0x0001, false, 0, true, 1)]      // killed by SIGHUP
    [InlineData(0x0002, false, 0, true, 2)]      // killed by SIGINT
    [InlineData(0x0009, false, 0, true, 9)]      // killed by SIGKILL
    [InlineData(0x000f, false, 0, true, 15)]     // killed by SIGTERM
    [InlineData(0x0086, false, 0, true, 6)]      // killed by SIGABRT, core dumped
    [InlineData(0x137f, false, 19, false, 0x7f)] // stopped by SIGSTOP
    [InlineData(0xffff, false, 255, false, 0x7f)] // continued
    public void A_wait_status_decodes_as_the_W_macros_decode_it(int status, bool exited, int code, bool signaled, int signal)
    {
        Assert.Equal(
            (exited, code, signaled, signal),
            (Native.WIfExited(status), Native.WExitStatus(status), Native.WIfSignaled(status), Native.WTermSig(status)));
    }

    [Theory]
    [InlineData("exit 0", 0, null)]
    [InlineData("exit 1", 1, null)]
    [InlineData("exit 255", 255, null)]
    [InlineData("kill -HUP $$", null, 1)]
    [InlineData("kill -INT $$", null, 2)]
    [InlineData("kill -KILL $$", null, 9)]
    [InlineData("kill -TERM $$", null, 15)]
    public async Task A_real_child_reports_the_code_it_exited_with_or_the_signal_that_killed_it(string script, int? code, int? signal)
    {
        var process = DaemonProcess.Launch(new LaunchRequest
        {
            Argv = ["/bin/sh", "-c", script],
            WorkDir = _project.Dir,
            LogPath = Path.Combine(_project.Dir, "logs", "sh.log"),
            Environment = [new(TestProject.TagVariable, _project.Tag)],
        });

        var exit = await process.Exit.WaitAsync(Poll.Patience);

        Assert.Equal((code, signal), (exit.ExitCode, exit.Signal));
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public void O_DIRECTORY_refuses_a_file_and_O_NOFOLLOW_refuses_a_symbolic_link()
    {
        // The two flags have other values on ARM than on x86; the other ABI's value means another flag here (on x86
        // 0x4000 is O_DIRECT and 0x8000 O_LARGEFILE), and the open would then succeed.
        var file = Path.Combine(_project.Dir, "file");
        var link = Path.Combine(_project.Dir, "link");
        File.WriteAllText(file, "x");
        File.CreateSymbolicLink(link, file);

        Assert.Equal(-1, Native.open(file, Native.O_RDONLY | Native.O_CLOEXEC | Native.O_DIRECTORY, 0));
        Assert.Equal(20, System.Runtime.InteropServices.Marshal.GetLastPInvokeError()); // ENOTDIR
        Assert.Equal(-1, Native.open(link, Native.O_RDONLY | Native.O_CLOEXEC | Native.O_NOFOLLOW, 0));
        Assert.Equal(Native.ELOOP, System.Runtime.InteropServices.Marshal.GetLastPInvokeError());

        var dir = Native.open(_project.Dir, Native.O_RDONLY | Native.O_CLOEXEC | Native.O_DIRECTORY | Native.O_NOFOLLOW, 0);
        Assert.True(dir >= 0, $"open of a directory failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        Native.close(dir);
    }

    [Fact]
    public void An_error_number_reads_as_libc_words_it()
    {
        Assert.Equal("Bad file descriptor", Native.ErrorText(9));
        Assert.Equal("No such process", Native.ErrorText(Native.ESRCH));
    }

    public void Dispose() => _project.Dispose();
}
