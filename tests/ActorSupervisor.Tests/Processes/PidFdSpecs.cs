using System.Diagnostics;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Processes;

/// <summary>
/// A pidfd names one process or none: never pid 1 or below, never a process that is not there, and once disposed it
/// holds no descriptor and sends nothing (even when a send races the dispose).
/// </summary>
public sealed class PidFdSpecs : IDisposable
{
    private readonly TestProject _project = new();
    private readonly List<Process> _children = [];

    private Process Sleeper()
    {
        var info = new ProcessStartInfo("sleep", "1000") { UseShellExecute = false };
        info.Environment[TestProject.TagVariable] = _project.Tag;
        var child = Process.Start(info) ?? throw new InvalidOperationException("sleep did not start");
        _children.Add(child);
        return child;
    }

    /// <summary>
    /// The descriptors of this process that are pidfds on <paramref name="pid"/>: /proc/self/fdinfo of a pidfd says
    /// "Pid: N". Counting by the child's pid, not by fd number, so that descriptors other specs open and close in
    /// parallel (and a number reused by them) cannot be mistaken for ours.
    /// </summary>
    internal static List<int> PidFdsOn(int pid)
    {
        var found = new List<int>();
        foreach (var path in Directory.EnumerateFiles("/proc/self/fdinfo"))
        {
            string[] lines;
            try { lines = File.ReadAllLines(path); }
            catch (IOException) { continue; } // closed by another spec while we list
            if (lines.Contains($"Pid:\t{pid}")) found.Add(int.Parse(Path.GetFileName(path)));
        }
        return found;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void Pid_1_and_below_are_never_opened(int pid)
    {
        // pidfd_open(1) would succeed (init is always there): only the guard refuses it.
        Assert.Null(PidFd.Open(pid));
    }

    [Fact]
    public void A_pid_that_names_no_process_gives_no_handle()
    {
        // Above pid_max (at most 2^22), so no process can ever have it: pidfd_open fails with ESRCH.
        Assert.Null(PidFd.Open(int.MaxValue));
    }

    [Fact]
    public async Task A_handle_is_valid_and_holds_one_descriptor_on_its_process_until_disposed()
    {
        var child = Sleeper();

        var fd = PidFd.Open(child.Id) ?? throw new Xunit.Sdk.XunitException("no pidfd for a live child");
        Assert.False(fd.IsInvalid);
        Assert.Equal([fd.Fd], PidFdsOn(child.Id));

        fd.Dispose();
        Assert.True(fd.IsClosed);
        Assert.Empty(PidFdsOn(child.Id));

        child.Kill();
        await child.WaitForExitAsync().WaitAsync(Poll.Patience);
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task An_exact_open_of_a_stale_identity_returns_null_and_keeps_no_descriptor()
    {
        var child = Sleeper();
        var identity = ProcessIdentity.Of(child.Id) ?? throw new Xunit.Sdk.XunitException("no identity for a live child");

        // The same pid with another start time: the process a forged or stale record names is gone, and the pid
        // belongs to another one now.
        for (var i = 0; i < 5; i++) Assert.Null(PidFd.OpenExact(identity with { StartTime = identity.StartTime + 1 }));
        Assert.Empty(PidFdsOn(child.Id));

        using (var exact = PidFd.OpenExact(identity)) Assert.NotNull(exact);
        Assert.Empty(PidFdsOn(child.Id));

        child.Kill();
        await child.WaitForExitAsync().WaitAsync(Poll.Patience);
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_handle_that_has_sent_signals_still_closes_its_descriptor_on_dispose()
    {
        var child = Sleeper();
        var fd = PidFd.Open(child.Id)!;

        Assert.Equal(0, fd.Send(0));
        Assert.Equal(0, fd.Send(0));
        fd.Dispose();

        // Each send takes a reference on the handle and gives it back; one not given back keeps the fd open for ever.
        Assert.Empty(PidFdsOn(child.Id));
        child.Kill();
        await child.WaitForExitAsync().WaitAsync(Poll.Patience);
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_send_through_a_disposed_handle_reports_no_such_process_and_signals_nothing()
    {
        var child = Sleeper();
        var fd = PidFd.Open(child.Id)!;
        fd.Dispose();

        // Without the reference the send would go to a closed descriptor number (EBADF), or to whatever process a
        // pidfd opened since under that number names.
        Assert.Equal(Native.ESRCH, fd.Send(Native.SIGKILL));
        Assert.Equal(Native.ESRCH, fd.Send(0));
        Assert.False(child.HasExited);

        child.Kill();
        await child.WaitForExitAsync().WaitAsync(Poll.Patience);
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Sends_racing_a_dispose_either_reach_the_process_or_report_no_such_process()
    {
        var child = Sleeper();
        var fd = PidFd.Open(child.Id)!;
        using var started = new CountdownEvent(4);

        // A dispose closes the fd only once no send holds a reference, so senders that overlap can keep it open (and
        // reaching the process) for as long as they go on: each stops at its first refusal or after 20000 sends.
        var senders = Enumerable.Range(0, 4).Select(_ => Task.Factory.StartNew(() =>
        {
            var results = new List<int>();
            for (var i = 0; i < 20_000; i++)
            {
                var r = fd.Send(0);
                results.Add(r);
                if (i == 0) started.Signal();
                if (r != 0) break;
            }
            return results;
        }, TaskCreationOptions.LongRunning)).ToList();
        started.Wait(Poll.Patience);
        fd.Dispose();

        var all = (await Task.WhenAll(senders).WaitAsync(Poll.Patience)).SelectMany(r => r).ToList();
        Assert.All(all, r => Assert.True(r is 0 or Native.ESRCH, $"send returned errno {r}"));
        Assert.Equal(Native.ESRCH, fd.Send(0));
        Assert.Empty(PidFdsOn(child.Id));

        child.Kill();
        await child.WaitForExitAsync().WaitAsync(Poll.Patience);
        await _project.AssertNothingLeftBehind();
    }

    public void Dispose()
    {
        foreach (var c in _children)
        {
            try { if (!c.HasExited) c.Kill(); } catch (InvalidOperationException) { }
            c.WaitForExit();
            c.Dispose();
        }
        _project.Dispose();
    }
}
