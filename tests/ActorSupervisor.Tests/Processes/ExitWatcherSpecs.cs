using System.Diagnostics;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Processes;

/// <summary>
/// The one thread that turns pidfd readiness into completed tasks: every exit of a batch that one epoll_wait returns
/// is reported, a descriptor it cannot watch fails its task at once with the reason, an exit reported leaves no
/// registration behind, and the thread is a named background thread (it must not keep a finished program alive).
/// </summary>
public sealed class ExitWatcherSpecs : IDisposable
{
    private readonly TestProject _project = new();
    private readonly List<Process> _children = [];
    private readonly List<PidFd> _fds = [];

    /// <summary>
    /// A watcher of this spec's own (its constructor is private: the process has one, <see cref="ExitWatcher.Shared"/>).
    /// Made here so that a spec which holds its thread up delays no exit another spec waits for, and so that what its
    /// constructor does is done while this spec runs. Its idle thread and epoll descriptor stay for the test run.
    /// </summary>
    private static ExitWatcher NewWatcher() => (ExitWatcher)Activator.CreateInstance(typeof(ExitWatcher), nonPublic: true)!;

    private Process Sleeper()
    {
        var info = new ProcessStartInfo("sleep", "1000") { UseShellExecute = false };
        info.Environment[TestProject.TagVariable] = _project.Tag;
        var child = Process.Start(info) ?? throw new InvalidOperationException("sleep did not start");
        _children.Add(child);
        return child;
    }

    private PidFd OpenOn(Process child)
    {
        var fd = PidFd.Open(child.Id) ?? throw new Xunit.Sdk.XunitException($"no pidfd for live child {child.Id}");
        _fds.Add(fd);
        return fd;
    }

    [Fact]
    public async Task Twenty_exits_returned_by_one_epoll_wait_each_complete_their_own_watch()
    {
        var watcher = NewWatcher();
        var gateChild = Sleeper();
        var children = Enumerable.Range(0, 20).Select(_ => Sleeper()).ToList();

        // The watcher runs continuations on its own thread: the first exit's continuation holds that thread until all
        // twenty others have exited, so its next epoll_wait finds the twenty ready at once (one batch, up to 64).
        using var holding = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var gate = watcher.WhenExited(OpenOn(gateChild).Fd).ContinueWith(_ =>
        {
            holding.Set();
            release.Wait(Poll.Patience);
        }, TaskContinuationOptions.ExecuteSynchronously);
        var watches = children.Select(c => (Child: c, Exited: watcher.WhenExited(OpenOn(c).Fd))).ToList();

        gateChild.Kill();
        await Poll.Until(() => holding.IsSet, "the watcher thread held by the first exit");
        foreach (var c in children) c.Kill();
        foreach (var c in children) await c.WaitForExitAsync().WaitAsync(Poll.Patience);
        Assert.All(watches, w => Assert.False(w.Exited.IsCompleted, $"watch of {w.Child.Id} completed while the watcher was held"));
        release.Set();

        await Task.WhenAll(watches.Select(w => w.Exited)).WaitAsync(Poll.Patience);
        await gate.WaitAsync(Poll.Patience);
        Assert.All(watches, w => Assert.True(w.Exited.IsCompletedSuccessfully));
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task An_exit_completes_its_watch_only_and_leaves_the_watches_of_live_processes_pending()
    {
        var watcher = NewWatcher();
        var dying = Sleeper();
        var living = Enumerable.Range(0, 3).Select(_ => Sleeper()).ToList();
        var livingWatches = living.Select(c => watcher.WhenExited(OpenOn(c).Fd)).ToList();
        var dyingWatch = watcher.WhenExited(OpenOn(dying).Fd);

        dying.Kill();
        await dyingWatch.WaitAsync(Poll.Patience);
        Assert.All(livingWatches, w => Assert.False(w.IsCompleted));

        foreach (var c in living) c.Kill();
        await Task.WhenAll(livingWatches).WaitAsync(Poll.Patience);
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task The_watcher_thread_is_a_background_thread_named_for_ps_and_top()
    {
        var watcher = NewWatcher();
        var child = Sleeper();
        var seen = watcher.WhenExited(OpenOn(child).Fd).ContinueWith(
            _ => (Thread.CurrentThread, Comm: File.ReadAllText("/proc/thread-self/comm").TrimEnd('\n')),
            TaskContinuationOptions.ExecuteSynchronously);

        child.Kill();
        var (thread, comm) = await seen.WaitAsync(Poll.Patience);

        // Background: a program whose work is done exits even though this thread waits in epoll for ever.
        Assert.True(thread.IsBackground);
        Assert.Equal("actorsupervisor-exit-watcher", thread.Name);
        // The kernel keeps 15 bytes of a thread's name: that is what ps -L, top -H and /proc/*/task/*/comm show.
        Assert.Equal("actorsupervisor", comm);
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public void A_descriptor_epoll_cannot_watch_fails_its_task_at_once_naming_the_descriptor_and_the_error()
    {
        var watcher = NewWatcher();

        var watch = watcher.WhenExited(-1);

        Assert.True(watch.IsFaulted);
        var error = Assert.IsType<InvalidOperationException>(watch.Exception!.InnerException);
        Assert.Equal("epoll_ctl for pidfd -1: Bad file descriptor", error.Message);
    }

    [Fact]
    public async Task A_reported_exit_leaves_no_registration_so_the_same_descriptor_can_be_watched_again()
    {
        var watcher = NewWatcher();
        var child = Sleeper();
        var fd = OpenOn(child);
        var first = watcher.WhenExited(fd.Fd);
        child.Kill();
        await first.WaitAsync(Poll.Patience);

        // The watcher removed the descriptor from its epoll before completing the task; a registration left behind
        // would make this add fail (EEXIST), and would report the descriptor's readiness for as long as it is open.
        var again = watcher.WhenExited(fd.Fd);
        Assert.False(again.IsFaulted, again.Exception?.InnerException?.Message);
        await again.WaitAsync(Poll.Patience);
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
        foreach (var fd in _fds) fd.Dispose();
        _project.Dispose();
    }
}
