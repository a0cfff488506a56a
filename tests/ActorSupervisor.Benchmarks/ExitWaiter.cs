namespace ActorSupervisor.Benchmarks;

/// <summary>
/// Sees processes exit through pidfds (poll), whether or not they are our children. A pidfd turns readable when its
/// process has exited, i.e. the moment it becomes a zombie, which is exactly "no longer running" for the benchmark.
/// </summary>
internal sealed unsafe class ExitWaiter : IDisposable
{
    private readonly Dictionary<int, int> _fds = []; // pid -> pidfd, for processes not yet seen to exit
    private readonly Dictionary<int, long> _exitedAt = [];

    /// <summary>PIDs that were already gone when the waiter was opened.</summary>
    public List<int> AlreadyGone { get; } = [];

    public ExitWaiter(IEnumerable<int> pids)
    {
        foreach (var pid in pids.Distinct())
        {
            var fd = Native.pidfd_open(pid, 0);
            if (fd >= 0) _fds[pid] = fd;
            else AlreadyGone.Add(pid);
        }
    }

    public int Watching => _fds.Count + _exitedAt.Count;
    public IReadOnlyDictionary<int, long> ExitedAt => _exitedAt;
    public IReadOnlyCollection<int> Remaining => _fds.Keys;

    /// <summary>
    /// Waits until every watched process has exited or the timeout passes. Returns true if all exited; each exit is
    /// stamped with CLOCK_REALTIME when poll reported it.
    /// </summary>
    public bool WaitAll(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (_fds.Count > 0)
        {
            var left = (int)Math.Ceiling((deadline - DateTime.UtcNow).TotalMilliseconds);
            if (left <= 0) return false;
            var entries = _fds.ToArray();
            var polls = new Native.PollFd[entries.Length];
            for (var i = 0; i < entries.Length; i++) polls[i] = new Native.PollFd { Fd = entries[i].Value, Events = Native.POLLIN };
            int n;
            fixed (Native.PollFd* p = polls) n = Native.poll(p, (nuint)polls.Length, Math.Min(left, 1000));
            var now = Native.NowNs();
            if (n < 0)
            {
                if (Native.LastError == Native.EINTR) continue;
                throw new InvalidOperationException($"poll failed: errno {Native.LastError}");
            }
            for (var i = 0; i < polls.Length; i++)
            {
                if (polls[i].Revents == 0) continue;
                var (pid, fd) = entries[i];
                _exitedAt[pid] = now;
                _fds.Remove(pid);
                Native.close(fd);
            }
        }
        return true;
    }

    public void Dispose()
    {
        foreach (var fd in _fds.Values) Native.close(fd);
        _fds.Clear();
    }
}
