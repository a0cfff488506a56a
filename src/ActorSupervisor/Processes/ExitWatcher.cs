using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace ActorSupervisor.Processes;

/// <summary>
/// Turns process exits into completed tasks. One thread waits in epoll on a pidfd per process, so a thousand
/// daemons cost one thread, and an exit is seen the moment it happens (no polling), for our own children
/// and for adopted processes that are not our children alike. Reaping is left to the owner of the process.
/// </summary>
internal sealed unsafe class ExitWatcher
{
    public static ExitWatcher Shared { get; } = new();

    private readonly int _epoll;
    private readonly ConcurrentDictionary<ulong, Watch> _watches = new();
    private long _nextToken;

    private sealed record Watch(int PidFd, TaskCompletionSource Exited);

    private ExitWatcher()
    {
        _epoll = Native.epoll_create1(Native.O_CLOEXEC);
        if (_epoll < 0) throw new InvalidOperationException($"epoll_create1: {Native.ErrorText(Marshal.GetLastPInvokeError())}");
        new Thread(Loop) { IsBackground = true, Name = "actorsupervisor-exit-watcher" }.Start();
    }

    /// <summary>
    /// Completes when the process behind <paramref name="pidFd"/> has exited (it may still be an unreaped zombie).
    /// The caller keeps ownership of the fd and closes it after the task completes.
    /// </summary>
    public Task WhenExited(int pidFd)
    {
        // Continuations run on the watcher thread: reaping and telling the owning actor take microseconds, and a
        // restart should not wait for a thread-pool hop (or two) to see that its process died.
        var tcs = new TaskCompletionSource();
        var token = (ulong)Interlocked.Increment(ref _nextToken);
        _watches[token] = new Watch(pidFd, tcs);
        var ev = stackalloc byte[16];
        *(uint*)ev = Native.EPOLLIN;
        *(ulong*)(ev + Native.EpollDataOffset) = token;
        if (Native.epoll_ctl(_epoll, Native.EPOLL_CTL_ADD, pidFd, ev) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            _watches.TryRemove(token, out _);
            tcs.SetException(new InvalidOperationException($"epoll_ctl for pidfd {pidFd}: {Native.ErrorText(errno)}"));
        }
        return tcs.Task;
    }

    private void Loop()
    {
        const int batch = 64;
        var events = (byte*)NativeMemory.Alloc((nuint)(batch * Native.EpollEventSize));
        while (true)
        {
            var n = Native.epoll_wait(_epoll, events, batch, -1);
            if (n < 0) continue; // EINTR: a signal landed on this thread.
            for (var i = 0; i < n; i++)
            {
                var token = *(ulong*)(events + i * Native.EpollEventSize + Native.EpollDataOffset);
                if (_watches.TryRemove(token, out var watch)) Complete(watch);
            }
        }
    }

    private void Complete(Watch watch)
    {
        Native.epoll_ctl(_epoll, Native.EPOLL_CTL_DEL, watch.PidFd, null);
        watch.Exited.TrySetResult();
    }
}
