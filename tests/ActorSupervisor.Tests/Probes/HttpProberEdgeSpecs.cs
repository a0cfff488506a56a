using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ActorSupervisor.Health;
using ActorSupervisor.Tests.Support;
using static ActorSupervisor.Tests.Support.LoopbackHttpServer;

namespace ActorSupervisor.Tests.Probes;

/// <summary>
/// What <see cref="HttpProberSpecs"/> leaves: which answers leave a connection fit for the next probe (a second probe
/// on the same connection, or on a new one, shows it), heads the prober must refuse, a server that hangs up, IPv6, and
/// the watch's own rules; plus the HttpClient path that URLs with a host name take. All against real servers on the
/// loopback.
/// </summary>
public sealed class HttpProberEdgeSpecs
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static Task<ProbeResult> Probe(LoopbackHttpServer server, string path = "/health") =>
        HttpProber.Shared.CheckAsync(server.Url(path), Timeout);

    /// <summary>Probes twice, the second time once the first answer has been written to the end.</summary>
    private static async Task<(ProbeResult First, ProbeResult Second)> ProbeTwice(LoopbackHttpServer server)
    {
        var first = await Probe(server);
        await Poll.Until(() => server.Answered >= 1);
        return (first, await Probe(server));
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\ncontent-length:\t2\t\r\n\r\nok")]                     // any case, tabs around
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n")]                            // no reason phrase
    [InlineData("HTTP/1.1 200 OK\r\nNot a header\r\n: nameless\r\nContent-Length: 0\r\n\r\n")] // lines without a name are skipped
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n\u0001hello")]                 // the body comes later: drained
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello\u0001world")]          // part now, part later
    [InlineData("HTTP/1.1 204 No Content\r\n\r\n")]
    public async Task A_complete_answer_with_a_known_end_leaves_its_connection_for_the_next_probe(string answer)
    {
        using var server = new LoopbackHttpServer(_ => answer);
        var (first, second) = await ProbeTwice(server);
        Assert.Equal(ProbeResult.Ok, first);
        Assert.Equal(ProbeResult.Ok, second);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task A_body_of_exactly_64_KB_is_drained_and_the_connection_kept()
    {
        var body = new string('x', 64 * 1024);
        using var server = new LoopbackHttpServer(_ => $"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n{body}");
        var (first, second) = await ProbeTwice(server);
        Assert.Equal(ProbeResult.Ok, first);
        Assert.Equal(ProbeResult.Ok, second);
        Assert.Equal(1, server.Connections);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")]                           // HTTP/1.0 closes unless told
    [InlineData("HTTP/1.0 200 OK\r\nConnection: other\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\n\r\nok")]                                                 // no length: ends at the close
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA")]                      // more than the body
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n\u0001okEXTRA")]                // more than the body, later
    [InlineData("HTTP/1.1 204 No Content\r\n\r\nstray")]                                     // a body where none can be
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n\u0001unasked")]                // bytes nobody asked for, while idle
    public async Task An_answer_that_ends_at_the_close_or_with_bytes_beyond_it_is_healthy_but_its_connection_is_not_reused(string answer)
    {
        using var server = new LoopbackHttpServer(_ => answer);
        var (first, second) = await ProbeTwice(server);
        Assert.Equal(ProbeResult.Ok, first);
        Assert.Equal(ProbeResult.Ok, second);
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task A_body_over_64_KB_is_not_drained_and_its_connection_is_not_reused()
    {
        var body = new string('x', 64 * 1024 + 1);
        using var server = new LoopbackHttpServer(_ => $"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n{body}");
        var (first, second) = await ProbeTwice(server);
        Assert.Equal(ProbeResult.Ok, first);
        Assert.Equal(ProbeResult.Ok, second);
        Assert.Equal(2, server.Connections);
    }

    [Theory]
    [InlineData("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", 304, 1)]  // never a body, whatever it says
    [InlineData("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found", 404, 1)]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", 101, 2)]
    [InlineData("HTTP/1.1 199 Odd\r\n\r\n\u0001HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n", 500, 1)]
    public async Task A_status_outside_2xx_is_unhealthy_naming_it(string answer, int status, int connections)
    {
        using var server = new LoopbackHttpServer(_ => answer);
        var (first, second) = await ProbeTwice(server);
        Assert.Equal($"GET {server.Url("/health")} answered {status}", first.Error);
        Assert.Equal(first, second);
        Assert.Equal(connections, server.Connections);
    }

    [Theory]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\n\u0001HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 103 Ear\u0001ly Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 2\u000100 OK\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")]
    public async Task Interim_answers_however_they_arrive_are_skipped_to_the_real_one(string answer)
    {
        using var server = new LoopbackHttpServer(_ => answer);
        var (first, second) = await ProbeTwice(server);
        Assert.Equal(ProbeResult.Ok, first);
        Assert.Equal(ProbeResult.Ok, second);
        Assert.Equal(1, server.Connections);
    }

    [Theory]
    [InlineData("HTTP/1.1 2000 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 20\r\n\r\n")]
    [InlineData("HTTP/1.1 200OK\r\n\r\n")]
    [InlineData("HTTP/1.1 2x0 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 x00 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 20x OK\r\n\r\n")]
    [InlineData("HTTP/1.1  200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1\t200 OK\r\n\r\n")]
    public async Task A_status_line_that_is_not_version_space_three_digits_is_refused(string answer)
    {
        using var server = new LoopbackHttpServer(_ => answer, closeAfterAnswer: true);
        var result = await Probe(server);
        Assert.Equal($"GET {server.Url("/health")} failed: invalid response: malformed status line", result.Error);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("+2")]
    [InlineData("")]
    [InlineData("1 2")]
    public async Task A_content_length_that_is_not_a_number_is_refused(string value)
    {
        using var server = new LoopbackHttpServer(_ => $"HTTP/1.1 200 OK\r\nContent-Length: {value}\r\n\r\n", closeAfterAnswer: true);
        var result = await Probe(server);
        Assert.Equal($"GET {server.Url("/health")} failed: invalid response: malformed Content-Length", result.Error);
    }

    [Theory]
    [InlineData("H\u0001TTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.\u00011 200 OK\r\nContent-Length: 0\r\n\r\n")]
    public async Task A_status_line_split_across_reads_is_put_together(string answer)
    {
        using var server = new LoopbackHttpServer(_ => answer);
        Assert.Equal(ProbeResult.Ok, await Probe(server));
    }

    [Theory]
    [InlineData("HTTP/2 200\r\n\r\n")]
    [InlineData("http/1.1 200 OK\r\n\r\n")]
    [InlineData("HTTP/2\u0001")] // refused on what came so far, without waiting for more
    public async Task An_answer_that_is_not_HTTP_1_x_is_refused_as_soon_as_it_shows(string answer)
    {
        using var server = new LoopbackHttpServer(_ => answer);
        var result = await Probe(server);
        Assert.Equal($"GET {server.Url("/health")} failed: invalid response: the answer is not HTTP/1.x", result.Error);
    }

    [Fact]
    public async Task A_server_that_hangs_up_without_answering_fails_the_probe_at_once_saying_so()
    {
        using var server = new LoopbackHttpServer(_ => $"{Hangup}");
        var result = await Probe(server);
        Assert.Equal($"GET {server.Url("/health")} failed: the server closed the connection without answering", result.Error);
        Assert.Equal(1, server.Connections); // a fresh connection that fails is not retried
    }

    [Fact]
    public async Task A_server_that_hangs_up_in_the_middle_of_the_head_fails_the_probe_saying_so()
    {
        using var server = new LoopbackHttpServer(_ => $"HTTP/1.1 200 OK\r\nContent-{Hangup}");
        var result = await Probe(server);
        Assert.Equal($"GET {server.Url("/health")} failed: the connection closed in the middle of the response headers", result.Error);
    }

    [Fact]
    public async Task A_server_that_hangs_up_in_the_middle_of_the_body_leaves_a_healthy_result_and_a_fresh_connection_next()
    {
        using var server = new LoopbackHttpServer(_ => $"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhel{Pause}lo{Hangup}");
        var (first, second) = await ProbeTwice(server);
        Assert.Equal(ProbeResult.Ok, first);
        Assert.Equal(ProbeResult.Ok, second);
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task A_pooled_connection_that_fails_twice_is_retried_once_only()
    {
        // The first answer leaves the connection pooled; then the server hangs up on every request without answering.
        var answers = 0;
        using var server = new LoopbackHttpServer(_ => Interlocked.Increment(ref answers) == 1
            ? "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
            : $"{Hangup}");
        var (first, second) = await ProbeTwice(server);
        Assert.Equal(ProbeResult.Ok, first);
        Assert.Equal($"GET {server.Url("/health")} failed: the server closed the connection without answering", second.Error);
        Assert.Equal(2, server.Connections); // the pooled one, then one fresh retry
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task A_pooled_connection_outlives_the_idle_sweep_while_it_is_younger_than_its_lifetime()
    {
        // The prober sweeps its pool every 10 s and closes what has idled for 2 minutes: waiting out one sweep shows a
        // young connection is kept (the test cannot wait the 2 minutes that would show an old one closed).
        using var server = new LoopbackHttpServer(_ => Answer(200, ""));
        Assert.True((await Probe(server)).Healthy);
        await Task.Delay(TimeSpan.FromSeconds(11));
        Assert.Equal(0, server.ClosedByClient);
        Assert.True((await Probe(server)).Healthy);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task An_IPv6_loopback_url_is_probed_with_its_bracketed_host()
    {
        using var listener = new TcpListener(IPAddress.IPv6Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var url = new Uri($"http://[::1]:{port}/health");
        var probe = HttpProber.Shared.CheckAsync(url, Timeout);
        using var client = await listener.AcceptTcpClientAsync();
        var stream = client.GetStream();
        var head = await HttpProberSpecs.ReadHead(stream);
        await stream.WriteAsync("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"u8.ToArray());

        Assert.Equal(ProbeResult.Ok, await probe);
        Assert.Equal($"GET /health HTTP/1.1\r\nHost: [::1]:{port}\r\nConnection: keep-alive\r\n\r\n", head);
    }

    [Fact]
    public async Task A_refused_IPv6_connection_names_the_endpoint()
    {
        using var holder = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        var port = ((IPEndPoint)holder.LocalEndPoint!).Port;
        var result = await HttpProber.Shared.CheckAsync(new Uri($"http://[::1]:{port}/health"), Timeout);
        Assert.Equal($"GET http://[::1]:{port}/health failed: Connection refused ([::1]:{port})", result.Error);
    }

    [Fact]
    public void A_url_the_prober_does_not_handle_is_refused_naming_it()
    {
        // Thrown by the call itself, not by the task it would return.
        var e = Assert.Throws<ArgumentException>(() => { _ = HttpProber.Shared.CheckAsync(new Uri("http://localhost:1/health"), Timeout); });
        Assert.Contains("'http://localhost:1/health' is not an http:// URL with an IP address for a host", e.Message);
        Assert.False(HttpProber.CanProbe(new Uri("/health", UriKind.Relative)));
    }

    [Fact]
    public void A_watch_needs_a_positive_interval()
    {
        using var server = new LoopbackHttpServer(_ => null);
        Assert.Throws<ArgumentOutOfRangeException>(() => HttpProber.Shared.Watch(server.Url(), TimeSpan.Zero, Timeout, _ => { }));
        using var watch = HttpProber.Shared.Watch(server.Url(), TimeSpan.FromMinutes(10), Timeout, _ => { });
        Assert.Throws<ArgumentOutOfRangeException>(() => watch.ChangeInterval(TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => watch.ChangeInterval(TimeSpan.FromMilliseconds(-1)));
        Assert.Equal(server.Url(), watch.Url);
    }

    [Fact]
    public async Task A_watch_never_probes_again_while_its_last_probe_waits_for_an_answer()
    {
        using var server = new LoopbackHttpServer(_ => null);
        using var watch = HttpProber.Shared.Watch(server.Url(), TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(60), _ => { });
        await Poll.Until(() => server.Requests.Count >= 1);
        await Task.Delay(500); // twenty-five intervals
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task A_watch_reports_every_timeout_and_has_no_healthy_time_until_a_healthy_answer()
    {
        using var server = new LoopbackHttpServer(_ => null);
        var results = new BlockingCollection<ProbeResult>();
        using var watch = HttpProber.Shared.Watch(server.Url("/h"), TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200), results.Add);
        Assert.Equal($"GET {server.Url("/h")} timed out after 200 ms", Next(results).Error);
        Assert.Equal($"GET {server.Url("/h")} timed out after 200 ms", Next(results).Error);
        Assert.Null(watch.LastHealthyAt);
    }

    [Fact]
    public async Task A_watch_tells_every_probe_with_its_duration_to_its_metrics_hook()
    {
        using var server = new LoopbackHttpServer(_ => "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        var results = new BlockingCollection<ProbeResult>();
        var every = new BlockingCollection<(ProbeResult, TimeSpan)>();
        var before = DateTimeOffset.UtcNow;
        using var watch = HttpProber.Shared.Watch(server.Url(), TimeSpan.FromMilliseconds(50), Timeout, results.Add, (r, d) => every.Add((r, d)));

        Assert.Equal(ProbeResult.Ok, Next(results));
        for (var i = 0; i < 3; i++)
        {
            Assert.True(every.TryTake(out var probe, TimeSpan.FromSeconds(10)), "no probe heard of within 10 s");
            Assert.Equal(ProbeResult.Ok, probe.Item1);
            Assert.InRange(probe.Item2, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        }
        Assert.Empty(results); // successes that change nothing go to the hook only
        Assert.InRange(watch.LastHealthyAt!.Value, before, DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task A_result_handler_that_throws_costs_nothing_but_its_own_call()
    {
        using var server = new LoopbackHttpServer(_ => "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        var calls = 0;
        using var watch = HttpProber.Shared.Watch(server.Url(), TimeSpan.FromMilliseconds(50), Timeout, _ =>
        {
            Interlocked.Increment(ref calls);
            throw new InvalidOperationException("a broken handler");
        });
        await Poll.Until(() => Volatile.Read(ref calls) >= 1 && server.Requests.Count >= 3); // the watch goes on
        Assert.Equal(ProbeResult.Ok, await Probe(server)); // and so does the prober
    }

    [Fact]
    public async Task A_disposed_watch_ignores_a_new_interval_and_reports_nothing_more()
    {
        using var server = new LoopbackHttpServer(_ => "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        var results = new BlockingCollection<ProbeResult>();
        var watch = HttpProber.Shared.Watch(server.Url(), TimeSpan.FromMinutes(10), Timeout, results.Add);
        Assert.Equal(ProbeResult.Ok, Next(results));
        watch.Dispose();
        watch.ChangeInterval(TimeSpan.FromMilliseconds(20));
        await Task.Delay(300);
        Assert.Single(server.Requests);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", true)]                         // more than the body
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", true)] // no known end
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n\r\n", false)]                                               // not HTTP
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n\u0001okLATER", true)]                 // more than the body, later
    public async Task A_connection_unfit_for_another_probe_is_closed_by_the_prober_even_if_the_server_keeps_it(string answer, bool healthy)
    {
        using var server = new LoopbackHttpServer(_ => answer);
        Assert.Equal(healthy, (await Probe(server)).Healthy);
        await Poll.Until(() => server.ClosedByClient == 1);
    }

    [Fact]
    public async Task A_head_that_has_reached_exactly_64_KB_without_its_end_is_still_awaited()
    {
        const string start = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Pad: ";
        var first = start + new string('a', 64 * 1024 - start.Length);
        using var server = new LoopbackHttpServer(_ => first + Pause + "\r\n\r\n");
        Assert.Equal(ProbeResult.Ok, await Probe(server));
    }

    [Fact]
    public async Task A_result_handler_that_throws_leaves_the_connection_in_the_pool()
    {
        using var server = new LoopbackHttpServer(_ => "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        var calls = 0;
        using var watch = HttpProber.Shared.Watch(server.Url(), TimeSpan.FromMinutes(10), Timeout, _ =>
        {
            Interlocked.Increment(ref calls);
            throw new InvalidOperationException("a broken handler");
        });
        await Poll.Until(() => Volatile.Read(ref calls) == 1);
        Assert.Equal(ProbeResult.Ok, await Probe(server));
        Assert.Equal(1, server.Connections);
    }

    // URLs whose host is a name go through HttpClient instead.

    [Theory]
    [InlineData(200, true)]
    [InlineData(299, true)]
    [InlineData(300, false)]
    [InlineData(503, false)]
    public async Task A_url_with_a_host_name_is_probed_through_HttpClient_with_the_same_2xx_rule(int status, bool healthy)
    {
        using var server = new LoopbackHttpServer(_ => $"HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n");
        var url = new Uri($"http://localhost:{server.Port}/health");
        var result = await HttpProbe.CheckAsync(url, Timeout);
        Assert.Equal(healthy ? ProbeResult.Ok : ProbeResult.Fail($"GET {url} answered {status}"), result);
        Assert.StartsWith("GET /health HTTP/1.1", Assert.Single(server.Requests).RequestLine);
    }

    [Fact]
    public async Task A_url_with_a_host_name_that_gets_no_answer_times_out_naming_the_timeout()
    {
        using var server = new LoopbackHttpServer(_ => null);
        var url = new Uri($"http://localhost:{server.Port}/health");
        var result = await HttpProbe.CheckAsync(url, TimeSpan.FromMilliseconds(300));
        Assert.Equal($"GET {url} timed out after 300 ms", result.Error);
    }

    [Fact]
    public async Task A_url_with_a_host_name_that_is_refused_names_the_failure()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var url = new Uri($"http://localhost:{((IPEndPoint)holder.LocalEndPoint!).Port}/health");
        var result = await HttpProbe.CheckAsync(url, Timeout);
        Assert.False(result.Healthy);
        Assert.StartsWith($"GET {url} failed: ", result.Error);
    }

    [Fact]
    public async Task A_url_with_a_host_name_is_not_redirected_and_sends_no_cookie_back()
    {
        using var target = new LoopbackHttpServer(_ => "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        using var server = new LoopbackHttpServer(r => r.RequestLine.StartsWith("GET /set")
            ? "HTTP/1.1 200 OK\r\nSet-Cookie: s=1; Path=/\r\nContent-Length: 0\r\n\r\n"
            : $"HTTP/1.1 302 Found\r\nLocation: {target.Url()}\r\nContent-Length: 0\r\n\r\n");
        var host = $"http://localhost:{server.Port}";

        Assert.Equal(ProbeResult.Ok, await HttpProbe.CheckAsync(new Uri(host + "/set"), Timeout));
        var result = await HttpProbe.CheckAsync(new Uri(host + "/health"), Timeout);

        Assert.Equal($"GET {host}/health answered 302", result.Error);
        Assert.Empty(target.Requests);
        Assert.All(server.Requests, r => Assert.Null(r.Header("Cookie")));
    }

    private static ProbeResult Next(BlockingCollection<ProbeResult> results) =>
        results.TryTake(out var r, TimeSpan.FromSeconds(10)) ? r : throw new TimeoutException("no probe result within 10 s");

}
