using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace ActorSupervisor.Cli.Demo;

/// <summary>
/// The demo daemons' whole program: an HTTP server on 127.0.0.1 whose GET /health answers 200 "ok", a heartbeat line
/// every few seconds (so the log file shows it working), and, if asked, a crash (exit 1) after a while, or, as a
/// one-shot task, a clean exit (code 0) once its "work" is done.
/// Plain sockets rather than a web framework, so the CLI stays small and the demo starts in a blink.
/// </summary>
internal static class DemoDaemon
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(int? port, TimeSpan? crashAfter, TimeSpan? exitAfter = null)
    {
        var exit = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        // A supervisor stops us with SIGTERM; exiting 0 then is what tells it the stop was clean.
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            Say("SIGTERM, exiting");
            exit.TrySetResult(0);
        });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx =>
        {
            ctx.Cancel = true;
            Say("SIGINT, exiting");
            exit.TrySetResult(0);
        });

        using var stop = new CancellationTokenSource();
        TcpListener? listener = null;
        var served = 0;
        if (port is > 0)
        {
            listener = new TcpListener(IPAddress.Loopback, port.Value);
            try { listener.Start(); }
            catch (SocketException e)
            {
                Say($"cannot listen on 127.0.0.1:{port}: {e.Message}");
                return 1;
            }
            _ = AcceptAsync(listener, () => Interlocked.Increment(ref served), stop.Token);
            Say($"pid {Environment.ProcessId} listening on http://127.0.0.1:{port}/health");
        }
        else
        {
            Say($"pid {Environment.ProcessId} working (no port)");
        }

        var started = DateTime.UtcNow;
        _ = HeartbeatAsync(() => $"alive for {(int)(DateTime.UtcNow - started).TotalSeconds}s, {Volatile.Read(ref served)} requests served",
            stop.Token);
        if (crashAfter is { } after)
            _ = Task.Delay(after, stop.Token).ContinueWith(_ =>
            {
                Say($"crashing on purpose after {Configuration.Duration.Format(after)} (exit code 1)");
                exit.TrySetResult(1);
            }, TaskContinuationOptions.OnlyOnRanToCompletion);

        if (exitAfter is { } done)
            _ = Task.Delay(done, stop.Token).ContinueWith(_ =>
            {
                Say($"work done after {Configuration.Duration.Format(done)} (exit code 0)");
                exit.TrySetResult(0);
            }, TaskContinuationOptions.OnlyOnRanToCompletion);

        var code = await exit.Task;
        await stop.CancelAsync();
        listener?.Stop();
        return code;
    }

    private static async Task HeartbeatAsync(Func<string> status, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(Heartbeat, stop);
                Say(status());
            }
        }
        catch (OperationCanceledException) { }
    }

    private static async Task AcceptAsync(TcpListener listener, Action countRequest, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(stop); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            _ = AnswerAsync(client, countRequest, stop);
        }
    }

    /// <summary>One request per connection (Connection: close): enough for health probes and curl.</summary>
    private static async Task AnswerAsync(TcpClient client, Action countRequest, CancellationToken stop)
    {
        using var _ = client;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            var stream = client.GetStream();
            var head = await ReadHeadAsync(stream, timeout.Token);
            if (head is null) return;
            countRequest();
            var requestLine = head.Split("\r\n", 2)[0].Split(' ');
            var (status, body) = requestLine switch
            {
                ["GET", "/health", ..] => ("200 OK", "ok"),
                ["GET", "/", ..] => ("200 OK", "actorsupervisor demo daemon\n"),
                ["GET", ..] => ("404 Not Found", "not found\n"),
                _ => ("405 Method Not Allowed", "only GET\n"),
            };
            var bytes = Encoding.UTF8.GetBytes(body);
            var response = Encoding.ASCII.GetBytes(
                $"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n");
            await stream.WriteAsync(response, timeout.Token);
            await stream.WriteAsync(bytes, timeout.Token);
            // Let the client hang up first: the side that closes first keeps the port in TIME_WAIT, and that should be
            // the client's throwaway port, not ours (a supervisor checks the daemon's port is free once it is gone).
            using var linger = CancellationTokenSource.CreateLinkedTokenSource(stop);
            linger.CancelAfter(TimeSpan.FromSeconds(1));
            var sink = new byte[512];
            while (await stream.ReadAsync(sink, linger.Token) > 0) { }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { }
    }

    /// <summary>Reads up to the blank line that ends the request head; null if the client gave up or sent too much.</summary>
    private static async Task<string?> ReadHeadAsync(NetworkStream stream, CancellationToken cancel)
    {
        var buffer = new byte[8192];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(filled), cancel);
            if (n == 0) return null;
            filled += n;
            var text = Encoding.ASCII.GetString(buffer, 0, filled);
            if (text.Contains("\r\n\r\n", StringComparison.Ordinal)) return text;
        }
        return null;
    }

    private static void Say(string text)
    {
        try { Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd'T'HH:mm:ss.fff'Z'} demo-daemon: {text}"); }
        catch (IOException) { }
    }
}
