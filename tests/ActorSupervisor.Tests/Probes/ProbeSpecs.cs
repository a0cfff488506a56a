using System.Net;
using System.Net.Sockets;
using System.Text;
using ActorSupervisor.Health;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Probes;

/// <summary>
/// The two probes on their own: real HTTP over 127.0.0.1 (a listener in this process that answers one fixed
/// response per connection, on a port it bound itself) and real commands.
/// </summary>
public sealed class ProbeSpecs : IDisposable
{
    private readonly TestProject _project = new();

    /// <summary>Listens on 127.0.0.1:0 and answers every request with <paramref name="status"/>, or never answers.</summary>
    private sealed class OneAnswerServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly List<Socket> _held = [];
        public int Port { get; }
        public int Requests;

        public OneAnswerServer(int? status, string? location = null)
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _ = Task.Run(async () =>
            {
                while (true)
                {
                    Socket socket;
                    try { socket = await _listener.AcceptSocketAsync(); }
                    catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException) { return; }
                    lock (_held) _held.Add(socket);
                    Interlocked.Increment(ref Requests);
                    if (status is not { } code) continue; // hold the connection, say nothing
                    var extra = location is null ? "" : $"Location: {location}\r\n";
                    var response = $"HTTP/1.1 {code} X\r\nContent-Length: 0\r\n{extra}Connection: close\r\n\r\n";
                    try { await socket.SendAsync(Encoding.ASCII.GetBytes(response)); socket.Shutdown(SocketShutdown.Send); }
                    catch (SocketException) { }
                }
            });
        }

        public Uri Url(string path = "/health") => new($"http://127.0.0.1:{Port}{path}");

        public void Dispose()
        {
            _listener.Stop();
            lock (_held) foreach (var s in _held) s.Dispose();
        }
    }

    [Theory]
    [InlineData(200)]
    [InlineData(204)]
    [InlineData(299)]
    public async Task Any_2xx_answer_is_healthy(int status)
    {
        using var server = new OneAnswerServer(status);
        Assert.Equal(ProbeResult.Ok, await HttpProbe.CheckAsync(server.Url(), TimeSpan.FromSeconds(5)));
    }

    [Theory]
    [InlineData(300)]
    [InlineData(404)]
    [InlineData(503)]
    public async Task Any_other_answer_is_unhealthy_naming_the_url_and_the_status(int status)
    {
        using var server = new OneAnswerServer(status);
        var result = await HttpProbe.CheckAsync(server.Url(), TimeSpan.FromSeconds(5));
        Assert.False(result.Healthy);
        Assert.Equal($"GET {server.Url()} answered {status}", result.Error);
    }

    [Fact]
    public async Task A_redirect_is_not_followed_even_to_a_healthy_url()
    {
        using var healthy = new OneAnswerServer(200);
        using var redirecting = new OneAnswerServer(302, healthy.Url().ToString());
        var result = await HttpProbe.CheckAsync(redirecting.Url(), TimeSpan.FromSeconds(5));
        Assert.Equal($"GET {redirecting.Url()} answered 302", result.Error);
        Assert.Equal(0, healthy.Requests);
    }

    [Fact]
    public async Task A_probe_that_gets_no_answer_fails_at_its_timeout_naming_it()
    {
        using var server = new OneAnswerServer(null);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await HttpProbe.CheckAsync(server.Url(), TimeSpan.FromMilliseconds(300));
        Assert.Equal($"GET {server.Url()} timed out after 300 ms", result.Error);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(290), $"gave up after {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_refused_connection_is_unhealthy_naming_the_url_and_the_refusal()
    {
        // Bound and kept, never listening: a connection to it is refused, and no parallel run can take the port.
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var url = new Uri($"http://127.0.0.1:{((IPEndPoint)holder.LocalEndPoint!).Port}/health");

        var result = await HttpProbe.CheckAsync(url, TimeSpan.FromSeconds(5));

        Assert.False(result.Healthy);
        Assert.StartsWith($"GET {url} failed: ", result.Error);
        Assert.Contains("refused", result.Error);
    }

    [Fact]
    public async Task A_tcp_probe_is_healthy_when_something_listens_and_names_a_refusal_when_nothing_does()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        Assert.Equal(ProbeResult.Ok, await TcpProbe.CheckAsync((IPEndPoint)listener.LocalEndPoint!, TimeSpan.FromSeconds(5)));

        // Bound and kept, never listening: refused, and no parallel run can take the port meanwhile.
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var endpoint = (IPEndPoint)holder.LocalEndPoint!;
        var refused = await TcpProbe.CheckAsync(endpoint, TimeSpan.FromSeconds(5));
        Assert.Equal($"TCP connect to {endpoint} failed: connection refused", refused.Error);
    }

    private Task<ProbeResult> Run(TimeSpan timeout, params string[] argv) =>
        CommandProbe.CheckAsync(argv, _project.Dir, [new(TestProject.TagVariable, _project.Tag)], timeout);

    [Fact]
    public async Task A_command_that_exits_0_is_healthy()
    {
        Assert.Equal(ProbeResult.Ok, await Run(TimeSpan.FromSeconds(10), "/bin/true"));
    }

    [Fact]
    public async Task A_command_that_reads_its_stdin_sees_it_closed_rather_than_waiting_out_the_timeout()
    {
        Assert.Equal(ProbeResult.Ok, await Run(TimeSpan.FromSeconds(10), "/bin/cat"));
    }

    [Fact]
    public async Task A_command_that_exits_non_zero_is_unhealthy_naming_the_code_and_what_it_said_on_stderr()
    {
        var result = await Run(TimeSpan.FromSeconds(10), "/bin/sh", "-c", "echo '  not ready  ' >&2; exit 3");
        Assert.Equal("health command '/bin/sh' exited with code 3: not ready", result.Error);
        var quiet = await Run(TimeSpan.FromSeconds(10), "/bin/false");
        Assert.Equal("health command '/bin/false' exited with code 1", quiet.Error);
    }

    [Fact]
    public async Task What_a_failing_command_said_is_cut_to_200_characters()
    {
        var result = await Run(TimeSpan.FromSeconds(10), "/bin/sh", "-c", "printf '%0500d' 0 >&2; exit 1");
        Assert.Equal("health command '/bin/sh' exited with code 1: " + new string('0', 200), result.Error);
    }

    [Fact]
    public async Task A_command_that_cannot_start_is_unhealthy_naming_it()
    {
        var missing = Path.Combine(_project.Dir, "no-such-check");
        var result = await Run(TimeSpan.FromSeconds(10), missing);
        Assert.False(result.Healthy);
        Assert.StartsWith($"health command '{missing}' could not start", result.Error);
    }

    [Fact]
    public async Task A_command_that_runs_past_its_timeout_is_killed_with_its_children_and_named()
    {
        var pids = Path.Combine(_project.Dir, "pids");
        // The shell starts a child that would outlive it; both must go.
        var result = await Run(TimeSpan.FromSeconds(2), "/bin/sh", "-c", $"sleep 60 & echo $$ $! > {pids}; wait");

        Assert.Equal("health command '/bin/sh' timed out after 2000 ms", result.Error);
        var both = File.ReadAllText(pids).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        Assert.Equal(2, both.Length);
        // SIGKILL went to the group before the answer; the child's death is the kernel's to finish, well within the
        // poll's 30 s and well before its own 60 s.
        await Poll.Until(() => !both.Any(ProcessScan.IsAlive), "the command or its child outlived the timeout's kill");
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_command_runs_in_the_given_work_dir_with_the_given_environment_over_the_supervisors_own()
    {
        await File.WriteAllTextAsync(Path.Combine(_project.Dir, "marker"), "");
        var result = await CommandProbe.CheckAsync(["/bin/sh", "-c", "test -f marker && test \"$GREETING\" = hi && test -n \"$PATH\""],
            _project.Dir, [new("GREETING", "hi")], TimeSpan.FromSeconds(10));
        Assert.Equal(ProbeResult.Ok, result);
    }

    public void Dispose() => _project.Dispose();
}
