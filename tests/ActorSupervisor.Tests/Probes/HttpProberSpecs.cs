using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ActorSupervisor.Health;

namespace ActorSupervisor.Tests.Probes;

/// <summary>
/// The prober against a real server on 127.0.0.1 that answers each request with whatever the test scripts: HTTP
/// semantics (2xx only, redirects refused, timeouts), connection reuse, and answers a hostile or broken server gives.
/// </summary>
public sealed class HttpProberSpecs : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private readonly ScriptedServer _server = new();

    public void Dispose() => _server.Dispose();

    private static string Ok(string body = "ok") =>
        $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\n\r\n{body}";

    [Fact]
    public async Task A_2xx_answer_is_healthy_and_its_connection_is_reused()
    {
        _server.Answer(_ => Ok());
        for (var i = 0; i < 3; i++) Assert.True((await HttpProber.Shared.CheckAsync(_server.Url("/health"), Timeout)).Healthy);
        Assert.Equal(1, _server.Connections);
        Assert.All(_server.Requests, r => Assert.StartsWith("GET /health HTTP/1.1\r\nHost: 127.0.0.1:", r));
    }

    [Fact]
    public async Task Any_2xx_is_healthy_and_the_query_is_sent()
    {
        _server.Answer(_ => "HTTP/1.1 204 No Content\r\n\r\n");
        Assert.True((await HttpProber.Shared.CheckAsync(_server.Url("/health?deep=1"), Timeout)).Healthy);
        Assert.StartsWith("GET /health?deep=1 HTTP/1.1", _server.Requests.Single());
    }

    [Fact]
    public async Task A_redirect_is_not_followed_and_counts_as_unhealthy()
    {
        _server.Answer(_ => "HTTP/1.1 301 Moved Permanently\r\nLocation: http://127.0.0.1:1/elsewhere\r\nContent-Length: 0\r\n\r\n");
        var result = await HttpProber.Shared.CheckAsync(_server.Url("/health"), Timeout);
        Assert.False(result.Healthy);
        Assert.Contains("answered 301", result.Error);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task A_server_error_is_unhealthy_with_its_status()
    {
        _server.Answer(_ => "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy");
        var result = await HttpProber.Shared.CheckAsync(_server.Url("/health"), Timeout);
        Assert.False(result.Healthy);
        Assert.Equal($"GET {_server.Url("/health")} answered 503", result.Error);
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out_at_the_deadline()
    {
        _server.Answer(_ => null); // reads the request, says nothing
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await HttpProber.Shared.CheckAsync(_server.Url("/health"), TimeSpan.FromMilliseconds(300));
        Assert.False(result.Healthy);
        Assert.Contains("timed out after 300 ms", result.Error);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"gave up after {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_closed_port_fails_with_the_reason()
    {
        var port = FreePort();
        var result = await HttpProber.Shared.CheckAsync(new Uri($"http://127.0.0.1:{port}/health"), Timeout);
        Assert.False(result.Healthy);
        Assert.Contains("Connection refused", result.Error);
    }

    [Fact]
    public async Task An_answer_that_is_not_HTTP_is_unhealthy()
    {
        _server.Answer(_ => "SSH-2.0-OpenSSH_9.2\r\n\r\n");
        var result = await HttpProber.Shared.CheckAsync(_server.Url("/health"), Timeout);
        Assert.False(result.Healthy);
        Assert.Contains("invalid response", result.Error);
    }

    [Fact]
    public async Task Endless_headers_are_refused_without_waiting_for_the_timeout()
    {
        _server.Answer(_ => "HTTP/1.1 200 OK\r\n" + string.Concat(Enumerable.Repeat("X-Junk: " + new string('a', 1000) + "\r\n", 80)));
        var result = await HttpProber.Shared.CheckAsync(_server.Url("/health"), Timeout);
        Assert.False(result.Healthy);
        Assert.Contains("exceed", result.Error);
    }

    [Fact]
    public async Task A_head_split_into_many_small_writes_is_put_together()
    {
        _server.Answer(_ => Ok(), trickle: true);
        Assert.True((await HttpProber.Shared.CheckAsync(_server.Url("/health"), Timeout)).Healthy);
    }

    [Fact]
    public async Task A_chunked_answer_is_healthy_and_its_connection_is_not_reused()
    {
        _server.Answer(_ => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
        Assert.True((await HttpProber.Shared.CheckAsync(_server.Url("/health"), Timeout)).Healthy);
        Assert.True((await HttpProber.Shared.CheckAsync(_server.Url("/health"), Timeout)).Healthy);
        Assert.Equal(2, _server.Connections);
    }

    [Fact]
    public async Task A_pooled_connection_the_server_closed_is_replaced_without_a_failure()
    {
        // Answers, then closes without saying so (no Connection: close): the next probe finds a dead pooled connection.
        _server.Answer(_ => Ok(), closeAfterAnswer: true);
        Assert.True((await HttpProber.Shared.CheckAsync(_server.Url("/health"), Timeout)).Healthy);
        await Task.Delay(100);
        Assert.True((await HttpProber.Shared.CheckAsync(_server.Url("/health"), Timeout)).Healthy);
        Assert.Equal(2, _server.Connections);
    }

    [Fact]
    public async Task An_interim_response_is_skipped()
    {
        _server.Answer(_ => "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" + Ok());
        Assert.True((await HttpProber.Shared.CheckAsync(_server.Url("/health"), Timeout)).Healthy);
    }

    [Fact]
    public async Task A_watch_reports_the_first_result_every_failure_and_the_recovery_but_not_repeated_successes()
    {
        var healthy = true;
        _server.Answer(_ => Volatile.Read(ref healthy) ? Ok() : "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
        var results = new BlockingCollection<ProbeResult>();
        using var watch = HttpProber.Shared.Watch(_server.Url("/health"), TimeSpan.FromMilliseconds(50), Timeout, results.Add);

        Assert.True(Next(results).Healthy);
        await WaitUntil(() => _server.Requests.Count >= 5);
        Assert.Empty(results); // four more successes, none reported
        Assert.NotNull(watch.LastHealthyAt);

        Volatile.Write(ref healthy, false);
        Assert.Contains("answered 500", Next(results).Error);
        Assert.False(Next(results).Healthy); // every failure is reported, so the caller can count them

        Volatile.Write(ref healthy, true);
        ProbeResult recovered;
        do recovered = Next(results);
        while (!recovered.Healthy);
        var requests = _server.Requests.Count;
        await WaitUntil(() => _server.Requests.Count >= requests + 3);
        Assert.Empty(results);
    }

    [Fact]
    public async Task A_disposed_watch_stops_probing()
    {
        _server.Answer(_ => Ok());
        var results = new BlockingCollection<ProbeResult>();
        var watch = HttpProber.Shared.Watch(_server.Url("/health"), TimeSpan.FromMilliseconds(50), Timeout, results.Add);
        Assert.True(Next(results).Healthy);
        watch.Dispose();
        await Task.Delay(200);
        var after = _server.Requests.Count;
        await Task.Delay(400);
        Assert.Equal(after, _server.Requests.Count);
    }

    [Fact]
    public async Task A_watch_follows_a_new_interval()
    {
        _server.Answer(_ => Ok());
        var results = new BlockingCollection<ProbeResult>();
        using var watch = HttpProber.Shared.Watch(_server.Url("/health"), TimeSpan.FromSeconds(30), Timeout, results.Add);
        Assert.True(Next(results).Healthy);
        watch.ChangeInterval(TimeSpan.FromMilliseconds(50));
        await WaitUntil(() => _server.Requests.Count >= 4);
    }

    [Fact]
    public void Only_http_urls_with_an_address_for_a_host_are_probed_here()
    {
        Assert.True(HttpProber.CanProbe(new Uri("http://127.0.0.1:8080/health")));
        Assert.True(HttpProber.CanProbe(new Uri("http://[::1]:8080/health")));
        Assert.False(HttpProber.CanProbe(new Uri("http://localhost:8080/health")));
        Assert.False(HttpProber.CanProbe(new Uri("https://127.0.0.1:8443/health")));
    }

    private static ProbeResult Next(BlockingCollection<ProbeResult> results) =>
        results.TryTake(out var r, TimeSpan.FromSeconds(10)) ? r : throw new TimeoutException("no probe result within 10 s");

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met within 10 s");
            await Task.Delay(10);
        }
    }

    private static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    /// <summary>
    /// A loopback server that reads each request head and writes what the script returns for it (null: nothing), on
    /// as many connections as the client opens. Everything it opened is closed on Dispose.
    /// </summary>
    private sealed class ScriptedServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentBag<TcpClient> _clients = [];
        private readonly ConcurrentQueue<string> _requests = new();
        private Func<string, string?> _script = _ => null;
        private bool _trickle;
        private bool _closeAfterAnswer;
        private int _connections;

        public ScriptedServer()
        {
            _listener.Start();
            _ = AcceptLoop();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
        public Uri Url(string path) => new($"http://127.0.0.1:{Port}{path}");
        public int Connections => Volatile.Read(ref _connections);
        public IReadOnlyCollection<string> Requests => _requests.ToArray();

        public void Answer(Func<string, string?> script, bool trickle = false, bool closeAfterAnswer = false)
        {
            _script = script;
            _trickle = trickle;
            _closeAfterAnswer = closeAfterAnswer;
        }

        private async Task AcceptLoop()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    _clients.Add(client);
                    Interlocked.Increment(ref _connections);
                    _ = Serve(client);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { }
        }

        private async Task Serve(TcpClient client)
        {
            try
            {
                client.NoDelay = true;
                var stream = client.GetStream();
                var buffer = new byte[4096];
                var pending = new StringBuilder();
                while (true)
                {
                    var n = await stream.ReadAsync(buffer, _stop.Token);
                    if (n == 0) return;
                    pending.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    int end;
                    while ((end = pending.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
                    {
                        var request = pending.ToString(0, end + 4);
                        pending.Remove(0, end + 4);
                        _requests.Enqueue(request);
                        if (_script(request) is not { } answer) continue;
                        var bytes = Encoding.ASCII.GetBytes(answer);
                        if (_trickle)
                        {
                            foreach (var b in bytes)
                            {
                                await stream.WriteAsync(new[] { b }, _stop.Token);
                                await stream.FlushAsync(_stop.Token);
                            }
                        }
                        else await stream.WriteAsync(bytes, _stop.Token);
                        if (_closeAfterAnswer)
                        {
                            client.Close();
                            return;
                        }
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException) { }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            foreach (var c in _clients) c.Dispose();
            _stop.Dispose();
        }
    }
}
