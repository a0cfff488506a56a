using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using ActorSupervisor.Health;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Probes;

/// <summary>
/// The prober against a real server on 127.0.0.1 that answers each request with whatever the test scripts: HTTP
/// semantics (2xx only, redirects refused, timeouts), connection reuse, and answers a hostile or broken server gives.
/// </summary>
public sealed class HttpProberSpecs
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private static string Ok(string body = "ok") =>
        $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\n\r\n{body}";

    [Fact]
    public async Task A_2xx_answer_is_healthy_and_its_connection_is_reused()
    {
        using var server = new LoopbackHttpServer(_ => Ok());
        for (var i = 0; i < 3; i++) Assert.True((await HttpProber.Shared.CheckAsync(server.Url("/health"), Timeout)).Healthy);
        Assert.Equal(1, server.Connections);
        Assert.All(server.Requests, r => Assert.StartsWith("GET /health HTTP/1.1\r\nHost: 127.0.0.1:", r.Head));
    }

    [Fact]
    public async Task Any_2xx_is_healthy_and_the_query_is_sent()
    {
        using var server = new LoopbackHttpServer(_ => "HTTP/1.1 204 No Content\r\n\r\n");
        Assert.True((await HttpProber.Shared.CheckAsync(server.Url("/health?deep=1"), Timeout)).Healthy);
        Assert.StartsWith("GET /health?deep=1 HTTP/1.1", server.Requests.Single().Head);
    }

    [Fact]
    public async Task A_redirect_is_not_followed_and_counts_as_unhealthy()
    {
        using var server = new LoopbackHttpServer(_ => "HTTP/1.1 301 Moved Permanently\r\nLocation: http://127.0.0.1:1/elsewhere\r\nContent-Length: 0\r\n\r\n");
        var result = await HttpProber.Shared.CheckAsync(server.Url("/health"), Timeout);
        Assert.False(result.Healthy);
        Assert.Contains("answered 301", result.Error);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task A_server_error_is_unhealthy_with_its_status()
    {
        using var server = new LoopbackHttpServer(_ => "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy");
        var result = await HttpProber.Shared.CheckAsync(server.Url("/health"), Timeout);
        Assert.False(result.Healthy);
        Assert.Equal($"GET {server.Url("/health")} answered 503", result.Error);
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out_at_the_deadline()
    {
        using var server = new LoopbackHttpServer(_ => null); // reads the request, says nothing
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await HttpProber.Shared.CheckAsync(server.Url("/health"), TimeSpan.FromMilliseconds(300));
        Assert.False(result.Healthy);
        Assert.Contains("timed out after 300 ms", result.Error);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"gave up after {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_closed_port_fails_with_the_reason()
    {
        var port = TestPorts.Unbound();
        var result = await HttpProber.Shared.CheckAsync(new Uri($"http://127.0.0.1:{port}/health"), Timeout);
        Assert.False(result.Healthy);
        Assert.Contains("Connection refused", result.Error);
    }

    [Fact]
    public async Task An_answer_that_is_not_HTTP_is_unhealthy()
    {
        using var server = new LoopbackHttpServer(_ => "SSH-2.0-OpenSSH_9.2\r\n\r\n");
        var result = await HttpProber.Shared.CheckAsync(server.Url("/health"), Timeout);
        Assert.False(result.Healthy);
        Assert.Contains("invalid response", result.Error);
    }

    [Fact]
    public async Task Endless_headers_are_refused_without_waiting_for_the_timeout()
    {
        using var server = new LoopbackHttpServer(_ => "HTTP/1.1 200 OK\r\n" + string.Concat(Enumerable.Repeat("X-Junk: " + new string('a', 1000) + "\r\n", 80)));
        var result = await HttpProber.Shared.CheckAsync(server.Url("/health"), Timeout);
        Assert.False(result.Healthy);
        Assert.Contains("exceed", result.Error);
    }

    [Fact]
    public async Task A_head_split_into_many_small_writes_is_put_together()
    {
        using var server = new LoopbackHttpServer(_ => Ok(), trickle: true);
        Assert.True((await HttpProber.Shared.CheckAsync(server.Url("/health"), Timeout)).Healthy);
    }

    [Fact]
    public async Task A_chunked_answer_is_healthy_and_its_connection_is_not_reused()
    {
        using var server = new LoopbackHttpServer(_ => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
        Assert.True((await HttpProber.Shared.CheckAsync(server.Url("/health"), Timeout)).Healthy);
        Assert.True((await HttpProber.Shared.CheckAsync(server.Url("/health"), Timeout)).Healthy);
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task A_pooled_connection_the_server_closed_is_replaced_without_a_failure()
    {
        // Answers, then closes without saying so (no Connection: close): the next probe finds a dead pooled connection.
        using var server = new LoopbackHttpServer(_ => Ok(), closeAfterAnswer: true);
        Assert.True((await HttpProber.Shared.CheckAsync(server.Url("/health"), Timeout)).Healthy);
        await Task.Delay(100);
        Assert.True((await HttpProber.Shared.CheckAsync(server.Url("/health"), Timeout)).Healthy);
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task A_pooled_connection_the_server_resets_before_answering_is_retried_once_on_a_fresh_one()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var url = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/health");
        var first = HttpProber.Shared.CheckAsync(url, Timeout);
        using var pooled = await listener.AcceptTcpClientAsync().WaitAsync(Timeout);
        await ReadHead(pooled.GetStream()).WaitAsync(Timeout);
        await pooled.GetStream().WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
        Assert.Equal(ProbeResult.Ok, await first);

        // The second probe goes out over the pooled connection, which the server then resets (an abortive close, RST).
        var second = HttpProber.Shared.CheckAsync(url, Timeout);
        await ReadHead(pooled.GetStream()).WaitAsync(Timeout);
        Reset(pooled);
        using var fresh = await listener.AcceptTcpClientAsync().WaitAsync(Timeout);
        await ReadHead(fresh.GetStream()).WaitAsync(Timeout);
        await fresh.GetStream().WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
        Assert.Equal(ProbeResult.Ok, await second.WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_fresh_connection_the_server_resets_fails_at_once_with_the_reason()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var url = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/health");
        var probe = HttpProber.Shared.CheckAsync(url, TimeSpan.FromSeconds(30));
        using var client = await listener.AcceptTcpClientAsync().WaitAsync(Timeout);
        await ReadHead(client.GetStream()).WaitAsync(Timeout);
        Reset(client);
        var result = await probe.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.False(result.Healthy);
        Assert.Contains("reset", result.Error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("timed out", result.Error!);
    }

    /// <summary>An abortive close: linger 0 makes the kernel send RST instead of FIN.</summary>
    private static void Reset(TcpClient client)
    {
        client.Client.LingerState = new LingerOption(true, 0);
        client.Client.Close();
    }

    [Fact]
    public async Task An_interim_response_is_skipped()
    {
        using var server = new LoopbackHttpServer(_ => "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" + Ok());
        Assert.True((await HttpProber.Shared.CheckAsync(server.Url("/health"), Timeout)).Healthy);
    }

    [Fact]
    public async Task A_watch_reports_the_first_result_every_failure_and_the_recovery_but_not_repeated_successes()
    {
        var healthy = true;
        using var server = new LoopbackHttpServer(_ => Volatile.Read(ref healthy) ? Ok() : "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
        var results = new BlockingCollection<ProbeResult>();
        using var watch = HttpProber.Shared.Watch(server.Url("/health"), TimeSpan.FromMilliseconds(50), Timeout, results.Add);

        Assert.True(Next(results).Healthy);
        await Poll.Until(() => server.Requests.Count >= 5);
        Assert.Empty(results); // four more successes, none reported
        Assert.NotNull(watch.LastHealthyAt);

        Volatile.Write(ref healthy, false);
        Assert.Contains("answered 500", Next(results).Error);
        Assert.False(Next(results).Healthy); // every failure is reported, so the caller can count them

        Volatile.Write(ref healthy, true);
        ProbeResult recovered;
        do recovered = Next(results);
        while (!recovered.Healthy);
        var requests = server.Requests.Count;
        await Poll.Until(() => server.Requests.Count >= requests + 3);
        Assert.Empty(results);
    }

    [Fact]
    public async Task A_disposed_watch_stops_probing()
    {
        using var server = new LoopbackHttpServer(_ => Ok());
        var results = new BlockingCollection<ProbeResult>();
        var watch = HttpProber.Shared.Watch(server.Url("/health"), TimeSpan.FromMilliseconds(50), Timeout, results.Add);
        Assert.True(Next(results).Healthy);
        watch.Dispose();
        await Task.Delay(200);
        var after = server.Requests.Count;
        await Task.Delay(400);
        Assert.Equal(after, server.Requests.Count);
    }

    [Fact]
    public async Task A_watch_follows_a_new_interval()
    {
        using var server = new LoopbackHttpServer(_ => Ok());
        var results = new BlockingCollection<ProbeResult>();
        using var watch = HttpProber.Shared.Watch(server.Url("/health"), TimeSpan.FromSeconds(30), Timeout, results.Add);
        Assert.True(Next(results).Healthy);
        watch.ChangeInterval(TimeSpan.FromMilliseconds(50));
        await Poll.Until(() => server.Requests.Count >= 4);
    }

    [Fact]
    public void Only_http_urls_with_an_address_for_a_host_are_probed_here()
    {
        Assert.True(HttpProber.CanProbe(new Uri("http://127.0.0.1:8080/health")));
        Assert.True(HttpProber.CanProbe(new Uri("http://[::1]:8080/health")));
        Assert.False(HttpProber.CanProbe(new Uri("http://localhost:8080/health")));
        Assert.False(HttpProber.CanProbe(new Uri("https://127.0.0.1:8443/health")));
    }

    [Fact]
    public async Task The_prober_runs_on_a_named_background_thread_that_sleeps_while_nothing_is_due()
    {
        using var server = new LoopbackHttpServer(_ => Ok());
        var thread = new TaskCompletionSource<(string? Name, bool Background, int Tid)>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watch = HttpProber.Shared.Watch(server.Url("/health"), TimeSpan.FromMinutes(10), Timeout,
            _ => thread.TrySetResult((Thread.CurrentThread.Name, Thread.CurrentThread.IsBackground, gettid())));
        var (name, background, tid) = await thread.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("actorsupervisor-http-prober", name);
        Assert.True(background); // never what keeps a process alive

        // Its connection now waits in the pool and the watch is due in ten minutes: the thread must block. A thread that
        // spins is always either on a CPU or waiting for one, whatever the load; schedstat gives both (ns).
        await Poll.Until(() => server.Answered >= 1);
        var (run0, queued0) = Schedstat(tid);
        var clock = Stopwatch.StartNew();
        await Task.Delay(1000);
        var (run1, queued1) = Schedstat(tid);
        var busy = TimeSpan.FromTicks((run1 - run0 + queued1 - queued0) / 100);
        Assert.True(busy < clock.Elapsed / 2, $"the prober thread was running or runnable {busy.TotalMilliseconds:0} ms of {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_watch_probes_over_one_connection_while_it_stays_fit()
    {
        using var server = new LoopbackHttpServer(_ => Ok());
        using var watch = HttpProber.Shared.Watch(server.Url("/health"), TimeSpan.FromMilliseconds(50), Timeout, _ => { });
        await Poll.Until(() => server.Requests.Count >= 6);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task A_probe_that_times_out_ends_near_its_deadline_and_closes_its_connection()
    {
        using var server = new LoopbackHttpServer(_ => null);
        // The deadline alone must wake the prober: nothing else may be pending (a generous bound, not a speed target).
        var result = await HttpProber.Shared.CheckAsync(server.Url("/health"), TimeSpan.FromMilliseconds(200)).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Contains("timed out after 200 ms", result.Error);
        await Poll.Until(() => server.ClosedByClient == 1); // a late answer must never be taken for the next probe's
    }

    [Fact]
    public async Task A_watch_given_a_longer_interval_waits_all_of_it_before_probing_again()
    {
        using var server = new LoopbackHttpServer(_ => Ok());
        var results = new BlockingCollection<ProbeResult>();
        using var watch = HttpProber.Shared.Watch(server.Url("/health"), TimeSpan.FromMinutes(10), Timeout, results.Add);
        Assert.True(Next(results).Healthy);
        watch.ChangeInterval(TimeSpan.FromMinutes(5));
        await Task.Delay(500);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task A_watch_goes_on_after_its_handler_held_up_the_prober_for_several_intervals()
    {
        using var server = new LoopbackHttpServer(_ => Ok());
        using var release = new ManualResetEventSlim();
        var calls = 0;
        using var watch = HttpProber.Shared.Watch(server.Url("/health"), TimeSpan.FromMilliseconds(50), Timeout, _ =>
        {
            if (Interlocked.Increment(ref calls) == 1) release.Wait(TimeSpan.FromSeconds(10)); // holds the prober thread
        });
        await Poll.Until(() => Volatile.Read(ref calls) == 1);
        await Task.Delay(300); // six intervals missed
        var before = server.Requests.Count;
        release.Set();
        await Poll.Until(() => server.Requests.Count >= before + 3);
    }

    [Fact]
    public async Task A_result_that_arrives_after_its_watch_was_disposed_is_dropped()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var url = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/health");
        var results = new BlockingCollection<ProbeResult>();
        var every = new BlockingCollection<ProbeResult>();
        var watch = HttpProber.Shared.Watch(url, TimeSpan.FromMinutes(10), Timeout, results.Add, (r, _) => every.Add(r));
        using var client = await listener.AcceptTcpClientAsync();
        await ReadHead(client.GetStream());
        watch.Dispose();
        await client.GetStream().WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
        await Task.Delay(500);
        Assert.Empty(results);
        Assert.Empty(every);
    }

    [Fact]
    public async Task A_url_on_port_80_sends_its_host_without_the_port()
    {
        // Port 80 of an address of our own in 127/8, which nothing else uses.
        var address = new IPAddress([127, (byte)Random.Shared.Next(1, 255), (byte)Random.Shared.Next(1, 255), (byte)Random.Shared.Next(2, 255)]);
        using var listener = new TcpListener(address, 80);
        listener.Start();
        var probe = HttpProber.Shared.CheckAsync(new Uri($"http://{address}/health"), Timeout);
        using var client = await listener.AcceptTcpClientAsync();
        var head = await ReadHead(client.GetStream());
        await client.GetStream().WriteAsync("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"u8.ToArray());
        Assert.Equal(ProbeResult.Ok, await probe);
        Assert.Equal($"GET /health HTTP/1.1\r\nHost: {address}\r\nConnection: keep-alive\r\n\r\n", head);
    }

    [Fact]
    public async Task The_probers_own_descriptors_are_not_inherited_by_a_child()
    {
        using var server = new LoopbackHttpServer(_ => Ok());
        Assert.True((await HttpProber.Shared.CheckAsync(server.Url("/health"), Timeout)).Healthy); // the prober is up
        using var child = Process.Start(new ProcessStartInfo("/bin/ls", ["-l", "/proc/self/fd"]) { RedirectStandardOutput = true })!;
        var listing = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        Assert.Contains("/proc/", listing); // ls listed something
        Assert.DoesNotContain("[eventfd]", listing);
    }

    [DllImport("libc")]
    private static extern int gettid();

    private static (long Run, long Queued) Schedstat(int tid)
    {
        var fields = File.ReadAllText($"/proc/self/task/{tid}/schedstat").Split(' ');
        return (long.Parse(fields[0]), long.Parse(fields[1]));
    }

    /// <summary>Reads a request head (to its blank line) off a raw connection, for specs that need their own listener.</summary>
    internal static async Task<string> ReadHead(NetworkStream stream)
    {
        var head = new List<byte>();
        var buffer = new byte[1024];
        while (!System.Text.Encoding.ASCII.GetString(head.ToArray()).Contains("\r\n\r\n"))
        {
            var n = await stream.ReadAsync(buffer);
            Assert.NotEqual(0, n);
            head.AddRange(buffer.AsSpan(0, n));
        }
        return System.Text.Encoding.ASCII.GetString(head.ToArray());
    }

    private static ProbeResult Next(BlockingCollection<ProbeResult> results) =>
        results.TryTake(out var r, TimeSpan.FromSeconds(10)) ? r : throw new TimeoutException("no probe result within 10 s");

}
