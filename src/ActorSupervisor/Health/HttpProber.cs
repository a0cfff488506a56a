using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace ActorSupervisor.Health;

/// <summary>
/// HTTP health probes for a whole process on one thread: a fixed <c>GET</c> over pooled keep-alive connections, one
/// epoll set, no thread-pool hops. Only the status line and the headers that delimit the body are read; a 2xx status is
/// healthy, anything else (redirects included: they are never followed) is not, and a probe that has no complete
/// response head by its deadline has timed out.
/// <para>
/// Why by hand: <see cref="HttpClient"/> does this correctly but costs several thread wake-ups, a few allocations and
/// a task per probe, and with a thousand daemons probed every second that was most of an idle supervisor's CPU; it
/// also loads the TLS and HTTP/2-3 stacks (~8 MB) that a loopback probe never uses. No package offers a minimal
/// HTTP/1.1 status prober.
/// </para>
/// Two ways in: <see cref="CheckAsync"/> for one probe (its task completes on the prober thread, so continuations
/// must be short: a Tell), and <see cref="Watch"/> to have a URL probed every interval and be told the results that
/// matter (see <see cref="HealthWatch"/>). Only http:// URLs whose host is an IP address are probed here
/// (<see cref="CanProbe"/>); <see cref="HttpProbe"/> sends anything else through HttpClient.
/// </summary>
internal sealed unsafe class HttpProber
{
    private const int MaxHeadBytes = 64 * 1024;
    private const long MaxBodyToDrain = 64 * 1024;
    private static readonly TimeSpan IdleConnectionLifetime = TimeSpan.FromMinutes(2);
    private static readonly Lazy<HttpProber> LazyShared = new(() => new HttpProber(), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The process's prober; its thread starts on first use.</summary>
    public static HttpProber Shared => LazyShared.Value;

    private readonly int _epoll;
    private readonly int _wake;
    private int _wakePending;
    private readonly ConcurrentQueue<Action> _commands = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    // Everything below belongs to the prober thread.
    private readonly Dictionary<ulong, Connection> _connections = [];
    private readonly Dictionary<IPEndPoint, Stack<Connection>> _idle = [];
    private readonly HashSet<Request> _inFlight = [];
    private readonly PriorityQueue<HealthWatch, long> _due = new();
    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(64 * 1024, pinned: true);
    private ulong _nextToken = 1;
    private long _nextSweepMs;

    private HttpProber()
    {
        _epoll = ProbeNative.epoll_create1(ProbeNative.EPOLL_CLOEXEC);
        if (_epoll < 0) throw new InvalidOperationException($"epoll_create1: {ProbeNative.ErrorText(ProbeNative.Errno)}");
        _wake = ProbeNative.eventfd(0, ProbeNative.EFD_CLOEXEC | ProbeNative.EFD_NONBLOCK);
        if (_wake < 0) throw new InvalidOperationException($"eventfd: {ProbeNative.ErrorText(ProbeNative.Errno)}");
        ProbeNative.Control(_epoll, ProbeNative.EPOLL_CTL_ADD, _wake, ProbeNative.EPOLLIN, 0);
        new Thread(Loop) { IsBackground = true, Name = "actorsupervisor-http-prober" }.Start();
    }

    /// <summary>True for URLs this prober handles: http:// with an IP address for a host.</summary>
    public static bool CanProbe(Uri url) =>
        url.IsAbsoluteUri && url.Scheme == Uri.UriSchemeHttp && IPAddress.TryParse(url.IdnHost, out _);

    /// <summary>
    /// One probe. Never throws for a probe that fails: the result says why. The task completes on the prober thread.
    /// </summary>
    public Task<ProbeResult> CheckAsync(Uri url, TimeSpan timeout)
    {
        var target = Target.For(url);
        var tcs = new TaskCompletionSource<ProbeResult>();
        Post(() => Start(new Request(target, timeout, NowMs + (long)timeout.TotalMilliseconds, r => tcs.TrySetResult(r))));
        return tcs.Task;
    }

    /// <summary>
    /// Probes <paramref name="url"/> every <paramref name="interval"/>, the first time at once, until the watch is
    /// disposed. <paramref name="onResult"/> is called on the prober thread, one call at a time, for the first result,
    /// for every failure, and for the first success after a failure; successes that change nothing are only recorded
    /// (<see cref="HealthWatch.LastHealthyAt"/>). Keep it short: a Tell.
    /// </summary>
    /// <remarks>
    /// <paramref name="onEveryProbe"/>, when given, hears of every probe with its duration (for metrics), also on the
    /// prober thread; it must be cheaper still than <paramref name="onResult"/>.
    /// </remarks>
    public HealthWatch Watch(Uri url, TimeSpan interval, TimeSpan timeout, Action<ProbeResult> onResult,
        Action<ProbeResult, TimeSpan>? onEveryProbe = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        var watch = new HealthWatch(this, Target.For(url), interval, timeout, onResult) { OnEveryProbe = onEveryProbe };
        Post(() =>
        {
            if (watch.Disposed) return;
            watch.NextDueMs = NowMs;
            _due.Enqueue(watch, watch.NextDueMs);
        });
        return watch;
    }

    private long NowMs => _clock.ElapsedMilliseconds;

    internal void Post(Action command)
    {
        _commands.Enqueue(command);
        if (Interlocked.Exchange(ref _wakePending, 1) == 1) return;
        ulong one = 1;
        ProbeNative.write(_wake, (byte*)&one, 8);
    }

    internal void Reschedule(HealthWatch watch, TimeSpan interval) => Post(() =>
    {
        if (watch.Disposed) return;
        watch.Interval = interval;
        // The next probe follows the new interval from now; one already in flight still reports.
        watch.NextDueMs = NowMs + (long)interval.TotalMilliseconds;
        _due.Enqueue(watch, watch.NextDueMs);
    });

    private void Loop()
    {
        var events = (byte*)NativeMemory.Alloc((nuint)(256 * ProbeNative.EpollEventSize));
        while (true)
        {
            var n = ProbeNative.epoll_wait(_epoll, events, 256, WaitMs());
            if (n < 0 && ProbeNative.Errno != ProbeNative.EINTR)
                throw new InvalidOperationException($"epoll_wait: {ProbeNative.ErrorText(ProbeNative.Errno)}");
            for (var i = 0; i < n; i++)
            {
                var at = events + i * ProbeNative.EpollEventSize;
                var mask = *(uint*)at;
                var token = *(ulong*)(at + ProbeNative.EpollDataOffset);
                if (token == 0)
                {
                    ulong value;
                    ProbeNative.read(_wake, (byte*)&value, 8);
                    continue;
                }
                if (!_connections.TryGetValue(token, out var connection)) continue;
                try { OnEvent(connection, mask); }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // A bug here must cost one probe, never the prober thread (and with it every daemon's health).
                    Trace.TraceError($"http prober: {e}");
                    Fail(connection, ProbeResult.Fail($"GET {connection.Current?.Target.Url} failed: {e.Message}"));
                }
            }
            RunCommands();
            var now = NowMs;
            FireDueWatches(now);
            ExpireRequests(now);
            if (now >= _nextSweepMs) SweepIdle(now);
        }
    }

    private void RunCommands()
    {
        Volatile.Write(ref _wakePending, 0);
        while (_commands.TryDequeue(out var command))
        {
            try { command(); }
            catch (Exception e) when (e is not OutOfMemoryException) { Trace.TraceError($"http prober: {e}"); }
        }
    }

    /// <summary>Milliseconds until the next watch is due or the next deadline passes; -1 when nothing is pending.</summary>
    private int WaitMs()
    {
        var next = long.MaxValue;
        while (_due.TryPeek(out var watch, out var due))
        {
            if (watch.Disposed || due != watch.NextDueMs) _due.Dequeue(); // stale entry
            else
            {
                next = due;
                break;
            }
        }
        foreach (var r in _inFlight) next = Math.Min(next, r.DeadlineMs);
        if (_idle.Count > 0) next = Math.Min(next, _nextSweepMs);
        if (next == long.MaxValue) return -1;
        var wait = next - NowMs;
        return wait <= 0 ? 0 : (int)Math.Min(wait, int.MaxValue);
    }

    /// <summary>
    /// A watch due within this much of now is probed now too, so that a thousand watches with scattered phases wake the
    /// prober a few dozen times a second rather than a thousand. At most a tenth of the watch's interval.
    /// </summary>
    private const long SlackMs = 25;

    private void FireDueWatches(long now)
    {
        while (_due.TryPeek(out var watch, out var due) && due <= now + Math.Min(SlackMs, (long)watch.Interval.TotalMilliseconds / 10))
        {
            _due.Dequeue();
            if (watch.Disposed || due != watch.NextDueMs) continue;
            var interval = (long)watch.Interval.TotalMilliseconds;
            // Keep the rhythm (early or late by the slack, the next one is still due + interval); after a stall, start
            // again from now rather than firing the missed ones.
            watch.NextDueMs = due + interval > now ? due + interval : now + interval;
            _due.Enqueue(watch, watch.NextDueMs);
            if (watch.InFlight) continue; // the previous probe has not answered yet (it has its own deadline)
            watch.InFlight = true;
            watch.ProbeStarted = Stopwatch.GetTimestamp();
            Start(new Request(watch.Target, watch.Timeout, now + (long)watch.Timeout.TotalMilliseconds, watch.Completed));
        }
    }

    private void ExpireRequests(long now)
    {
        List<Request>? expired = null;
        foreach (var r in _inFlight)
            if (r.DeadlineMs <= now) (expired ??= []).Add(r);
        if (expired is null) return;
        foreach (var r in expired)
        {
            var connection = r.Connection;
            Finish(r, ProbeResult.Fail($"GET {r.Target.Url} timed out after {r.Timeout.TotalMilliseconds:0} ms"));
            if (connection is not null) Close(connection); // a response may still be on its way: never reuse it
        }
    }

    private void SweepIdle(long now)
    {
        _nextSweepMs = now + 10_000;
        foreach (var (endpoint, stack) in _idle.ToList())
        {
            var keep = stack.Where(c => !c.Closed && now - c.IdleSinceMs < IdleConnectionLifetime.TotalMilliseconds).Reverse().ToList();
            foreach (var c in stack.Where(c => !c.Closed && !keep.Contains(c))) Close(c);
            if (keep.Count == 0) _idle.Remove(endpoint);
            else _idle[endpoint] = new Stack<Connection>(keep);
        }
    }

    private void Start(Request request)
    {
        _inFlight.Add(request);
        var connection = TakeIdle(request.Target.Endpoint);
        if (connection is not null)
        {
            Attach(connection, request);
            Send(connection);
            return;
        }
        Connect(request);
    }

    private Connection? TakeIdle(IPEndPoint endpoint)
    {
        if (!_idle.TryGetValue(endpoint, out var stack)) return null;
        while (stack.TryPop(out var c))
            if (!c.Closed) return c;
        _idle.Remove(endpoint);
        return null;
    }

    private static void Attach(Connection connection, Request request)
    {
        connection.Current = request;
        connection.State = ConnectionState.Sending;
        connection.SendOffset = 0;
        connection.PendingLength = 0;
        request.Connection = connection;
    }

    private void Connect(Request request)
    {
        var endpoint = request.Target.Endpoint;
        var family = endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? ProbeNative.AF_INET : ProbeNative.AF_INET6;
        var fd = ProbeNative.socket(family, ProbeNative.SOCK_STREAM | ProbeNative.SOCK_NONBLOCK | ProbeNative.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            Finish(request, Failed(request, ProbeNative.Errno));
            return;
        }
        var one = 1;
        ProbeNative.setsockopt(fd, ProbeNative.IPPROTO_TCP, ProbeNative.TCP_NODELAY, &one, sizeof(int));
        var connection = new Connection(fd, endpoint, _nextToken++);
        _connections[connection.Token] = connection;
        Attach(connection, request);
        connection.Reused = false;
        ProbeNative.Control(_epoll, ProbeNative.EPOLL_CTL_ADD, fd, ProbeNative.EPOLLIN | ProbeNative.EPOLLRDHUP | ProbeNative.EPOLLOUT, connection.Token);
        connection.WantsWrite = true;

        var addr = stackalloc byte[28];
        var length = ProbeNative.WriteSockaddr(endpoint, addr);
        if (ProbeNative.connect(fd, addr, length) == 0)
        {
            Send(connection);
            return;
        }
        var errno = ProbeNative.Errno;
        if (errno == ProbeNative.EINPROGRESS || errno == ProbeNative.EINTR)
        {
            connection.State = ConnectionState.Connecting;
            return;
        }
        Fail(connection, Failed(request, errno));
    }

    private void OnEvent(Connection connection, uint mask)
    {
        switch (connection.State)
        {
            case ConnectionState.Connecting:
                var error = 0;
                var size = sizeof(int);
                ProbeNative.getsockopt(connection.Fd, ProbeNative.SOL_SOCKET, ProbeNative.SO_ERROR, &error, &size);
                if (error != 0) Fail(connection, Failed(connection.Current!, error));
                else if ((mask & (ProbeNative.EPOLLOUT | ProbeNative.EPOLLERR | ProbeNative.EPOLLHUP)) != 0) Send(connection);
                break;
            case ConnectionState.Sending:
                if ((mask & ProbeNative.EPOLLOUT) != 0) Send(connection);
                // An answer (or a close) can come before the whole request is out; level-triggered, so read it now.
                if (!connection.Closed && (mask & (ProbeNative.EPOLLIN | ProbeNative.EPOLLRDHUP | ProbeNative.EPOLLERR | ProbeNative.EPOLLHUP)) != 0)
                    Receive(connection);
                break;
            case ConnectionState.AwaitingHead:
            case ConnectionState.Draining:
                Receive(connection);
                break;
            case ConnectionState.Idle:
                // Nothing was asked: the server closed the connection (or sent something unasked). Either way it is done.
                Close(connection);
                break;
        }
    }

    private void Send(Connection connection)
    {
        var request = connection.Current!;
        var bytes = request.Target.RequestBytes;
        fixed (byte* p = bytes)
        {
            while (connection.SendOffset < bytes.Length)
            {
                var sent = ProbeNative.send(connection.Fd, p + connection.SendOffset, bytes.Length - connection.SendOffset, ProbeNative.MSG_NOSIGNAL);
                if (sent > 0)
                {
                    connection.SendOffset += (int)sent;
                    continue;
                }
                var errno = ProbeNative.Errno;
                if (errno == ProbeNative.EINTR) continue;
                if (errno == ProbeNative.EAGAIN)
                {
                    WantWrite(connection, true);
                    return;
                }
                FailOrRetry(connection, errno);
                return;
            }
        }
        WantWrite(connection, false);
        connection.State = ConnectionState.AwaitingHead;
    }

    private void WantWrite(Connection connection, bool want)
    {
        if (connection.WantsWrite == want) return;
        connection.WantsWrite = want;
        var events = ProbeNative.EPOLLIN | ProbeNative.EPOLLRDHUP | (want ? ProbeNative.EPOLLOUT : 0);
        ProbeNative.Control(_epoll, ProbeNative.EPOLL_CTL_MOD, connection.Fd, events, connection.Token);
    }

    private void Receive(Connection connection)
    {
        fixed (byte* buffer = _buffer)
        {
            while (!connection.Closed)
            {
                var n = ProbeNative.recv(connection.Fd, buffer, _buffer.Length, 0);
                if (n < 0)
                {
                    var errno = ProbeNative.Errno;
                    if (errno == ProbeNative.EINTR) continue;
                    if (errno == ProbeNative.EAGAIN) return;
                    FailOrRetry(connection, errno);
                    return;
                }
                if (n == 0)
                {
                    EndOfStream(connection);
                    return;
                }
                connection.GotBytes = true;
                switch (connection.State)
                {
                    case ConnectionState.Draining:
                        Drain(connection, (int)n);
                        break;
                    case ConnectionState.AwaitingHead:
                    case ConnectionState.Sending:
                        Parse(connection, _buffer.AsSpan(0, (int)n));
                        break;
                    default:
                        Close(connection); // bytes nobody asked for
                        return;
                }
            }
        }
    }

    private void Drain(Connection connection, int n)
    {
        connection.DrainLeft -= n;
        if (connection.DrainLeft < 0) Close(connection); // more than the body: not a response we asked for
        else if (connection.DrainLeft == 0) MakeIdle(connection);
    }

    private void Parse(Connection connection, ReadOnlySpan<byte> received)
    {
        ReadOnlySpan<byte> data;
        if (connection.PendingLength == 0) data = received;
        else
        {
            Append(connection, received);
            data = connection.Pending.AsSpan(0, connection.PendingLength);
        }

        while (true)
        {
            var request = connection.Current!;
            switch (ResponseHead.TryParse(data, out var head, out var error))
            {
                case ResponseHead.Outcome.Incomplete:
                    if (data.Length > MaxHeadBytes)
                    {
                        Fail(connection, ProbeResult.Fail($"GET {request.Target.Url} failed: the response headers exceed {MaxHeadBytes / 1024} KB"));
                        return;
                    }
                    if (connection.PendingLength == 0) Append(connection, data);
                    return;
                case ResponseHead.Outcome.Invalid:
                    Fail(connection, ProbeResult.Fail($"GET {request.Target.Url} failed: invalid response: {error}"));
                    return;
            }

            // An interim response (103 Early Hints and the like) is followed by the real one.
            if (head.Status is >= 100 and < 200 && head.Status != 101)
            {
                data = data[head.Length..];
                if (connection.PendingLength > 0)
                {
                    var rest = data.ToArray();
                    connection.PendingLength = 0;
                    Append(connection, rest);
                    data = connection.Pending.AsSpan(0, connection.PendingLength);
                }
                if (data.IsEmpty) return;
                continue;
            }

            var result = head.Status is >= 200 and < 300
                ? ProbeResult.Ok
                : ProbeResult.Fail($"GET {request.Target.Url} answered {head.Status}");
            var afterHead = data.Length - head.Length;
            connection.PendingLength = 0;
            var reusable = !head.Close && head.Status != 101;
            long bodyLeft = 0;
            if (reusable && !head.HasNoBody)
            {
                if (head.Chunked || head.ContentLength is not { } length || length > MaxBodyToDrain) reusable = false;
                else bodyLeft = length - afterHead;
            }
            else if (reusable && afterHead > 0) reusable = false;
            if (bodyLeft < 0) reusable = false; // bytes beyond the body: nothing we asked for

            Finish(request, result);
            if (!reusable) Close(connection);
            else if (bodyLeft == 0) MakeIdle(connection);
            else
            {
                connection.State = ConnectionState.Draining;
                connection.DrainLeft = bodyLeft;
            }
            return;
        }
    }

    private static void Append(Connection connection, ReadOnlySpan<byte> data)
    {
        var needed = connection.PendingLength + data.Length;
        if (connection.Pending.Length < needed)
            Array.Resize(ref connection.Pending, Math.Max(needed, Math.Max(1024, connection.Pending.Length * 2)));
        data.CopyTo(connection.Pending.AsSpan(connection.PendingLength));
        connection.PendingLength = needed;
    }

    private void EndOfStream(Connection connection)
    {
        switch (connection.State)
        {
            case ConnectionState.AwaitingHead:
            case ConnectionState.Sending:
                if (!connection.GotBytes && connection.Reused && !connection.Current!.Retried)
                {
                    Retry(connection);
                    return;
                }
                var request = connection.Current!;
                Fail(connection, ProbeResult.Fail(connection.GotBytes
                    ? $"GET {request.Target.Url} failed: the connection closed in the middle of the response headers"
                    : $"GET {request.Target.Url} failed: the server closed the connection without answering"));
                return;
            default:
                Close(connection);
                return;
        }
    }

    private void FailOrRetry(Connection connection, int errno)
    {
        // A pooled connection the server has meanwhile closed fails before any answer: once, try a fresh one, as
        // HttpClient does for a request that is safe to repeat.
        if (!connection.GotBytes && connection.Reused && connection.Current is { Retried: false }) Retry(connection);
        else Fail(connection, Failed(connection.Current!, errno));
    }

    private void Retry(Connection connection)
    {
        var request = connection.Current!;
        request.Retried = true;
        connection.Current = null;
        request.Connection = null;
        Close(connection);
        Connect(request);
    }

    private static ProbeResult Failed(Request request, int errno) =>
        ProbeResult.Fail($"GET {request.Target.Url} failed: {ProbeNative.ErrorText(errno)} ({request.Target.Authority})");

    private void Fail(Connection connection, ProbeResult result)
    {
        if (connection.Current is { } request) Finish(request, result);
        Close(connection);
    }

    private void Finish(Request request, ProbeResult result)
    {
        if (!_inFlight.Remove(request)) return; // already finished (timed out, say)
        if (request.Connection is { } connection && connection.Current == request) connection.Current = null;
        request.Connection = null;
        try { request.Complete(result); }
        catch (Exception e) when (e is not OutOfMemoryException) { Trace.TraceError($"http prober: a result handler threw: {e}"); }
    }

    private void MakeIdle(Connection connection)
    {
        connection.State = ConnectionState.Idle;
        connection.Current = null;
        connection.Reused = true;
        connection.GotBytes = false;
        connection.IdleSinceMs = NowMs;
        if (!_idle.TryGetValue(connection.Endpoint, out var stack)) _idle[connection.Endpoint] = stack = new Stack<Connection>(1);
        stack.Push(connection);
    }

    private void Close(Connection connection)
    {
        if (connection.Closed) return;
        connection.Closed = true;
        _connections.Remove(connection.Token);
        ProbeNative.close(connection.Fd); // also takes it out of the epoll set
        if (connection.Current is { } request && _inFlight.Contains(request))
            Finish(request, ProbeResult.Fail($"GET {request.Target.Url} failed: the connection was closed"));
    }

    private enum ConnectionState { Connecting, Sending, AwaitingHead, Draining, Idle }

    private sealed class Connection(int fd, IPEndPoint endpoint, ulong token)
    {
        public readonly int Fd = fd;
        public readonly IPEndPoint Endpoint = endpoint;
        public readonly ulong Token = token;
        public ConnectionState State;
        public Request? Current;
        public int SendOffset;
        public byte[] Pending = [];
        public int PendingLength;
        public long DrainLeft;
        public bool Reused;
        public bool GotBytes;
        public bool WantsWrite;
        public bool Closed;
        public long IdleSinceMs;
    }

    private sealed class Request(Target target, TimeSpan timeout, long deadlineMs, Action<ProbeResult> complete)
    {
        public readonly Target Target = target;
        public readonly TimeSpan Timeout = timeout;
        public readonly long DeadlineMs = deadlineMs;
        public readonly Action<ProbeResult> Complete = complete;
        public Connection? Connection;
        public bool Retried;
    }

    /// <summary>A URL made ready to probe: its endpoint and its request bytes, built once.</summary>
    internal sealed class Target
    {
        public required Uri Url { get; init; }
        public required IPEndPoint Endpoint { get; init; }
        public required string Authority { get; init; }
        public required byte[] RequestBytes { get; init; }

        public static Target For(Uri url)
        {
            if (!CanProbe(url)) throw new ArgumentException($"'{url}' is not an http:// URL with an IP address for a host", nameof(url));
            var address = IPAddress.Parse(url.IdnHost);
            var authority = url.IsDefaultPort ? url.Host : $"{url.Host}:{url.Port}";
            var request = $"GET {url.PathAndQuery} HTTP/1.1\r\nHost: {authority}\r\nConnection: keep-alive\r\n\r\n";
            return new Target
            {
                Url = url,
                Endpoint = new IPEndPoint(address, url.Port),
                Authority = new IPEndPoint(address, url.Port).ToString(),
                RequestBytes = Encoding.ASCII.GetBytes(request),
            };
        }
    }
}

/// <summary>
/// A URL probed every interval by <see cref="HttpProber.Watch"/>. Dispose it to stop; results that arrive after that
/// are dropped. Safe to use from any thread.
/// </summary>
internal sealed class HealthWatch : IDisposable
{
    private readonly HttpProber _prober;
    private readonly Action<ProbeResult> _onResult;
    private ProbeResult? _last;
    private long _lastHealthyTicks;
    private volatile bool _disposed;

    internal HealthWatch(HttpProber prober, HttpProber.Target target, TimeSpan interval, TimeSpan timeout, Action<ProbeResult> onResult)
    {
        _prober = prober;
        Target = target;
        Interval = interval;
        Timeout = timeout;
        _onResult = onResult;
    }

    internal HttpProber.Target Target { get; }
    internal TimeSpan Timeout { get; }

    // The prober thread's own bookkeeping.
    internal TimeSpan Interval { get; set; }
    internal long NextDueMs { get; set; }
    internal bool InFlight { get; set; }
    internal long ProbeStarted { get; set; }
    internal Action<ProbeResult, TimeSpan>? OnEveryProbe { get; init; }

    public Uri Url => Target.Url;
    internal bool Disposed => _disposed;

    /// <summary>When the last healthy answer arrived, or null if none has yet.</summary>
    public DateTimeOffset? LastHealthyAt
    {
        get
        {
            var ticks = Interlocked.Read(ref _lastHealthyTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>Probes every <paramref name="interval"/> from now on (e.g. the health interval once a daemon is running).</summary>
    public void ChangeInterval(TimeSpan interval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        if (!_disposed) _prober.Reschedule(this, interval);
    }

    internal void Completed(ProbeResult result)
    {
        InFlight = false;
        if (_disposed) return;
        OnEveryProbe?.Invoke(result, Stopwatch.GetElapsedTime(ProbeStarted));
        if (result.Healthy) Interlocked.Exchange(ref _lastHealthyTicks, DateTimeOffset.UtcNow.UtcTicks);
        var report = _last is null || !result.Healthy || !_last.Healthy;
        _last = result;
        if (report) _onResult(result);
    }

    public void Dispose() => _disposed = true;
}
