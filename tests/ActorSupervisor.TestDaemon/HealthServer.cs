using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ActorSupervisor.TestDaemon;

/// <summary>
/// Just enough HTTP/1.1 to be probed like a real service: persistent connections, Connection: close,
/// request bodies skipped, one task per connection.
/// </summary>
internal sealed class HealthServer(Options options, long startTimestamp, Action<int> onHealthLimitReached)
{
    private int _healthRequests;
    private volatile bool _closed;
    private readonly TcpListener _listener = new(IPAddress.Loopback, options.Port ?? 0);

    public int Start()
    {
        // A generous backlog so a burst of concurrent probes is not refused before the accept loop catches up.
        _listener.Start(512);
        _ = AcceptLoopAsync();
        return ((IPEndPoint)_listener.LocalEndpoint).Port;
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (InvalidOperationException) when (_closed)
            {
                return;
            }
            catch (SocketException)
            {
                if (_closed) return;
                continue;
            }
            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private bool IsHealthy =>
        options.UnhealthyAfter is not { } after || Stopwatch.GetElapsedTime(startTimestamp) < after;

    private async Task ServeAsync(Socket socket)
    {
        // Probes are tiny request/response pairs; Nagle would only add latency to them.
        socket.NoDelay = true;
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        // Latin1 maps bytes 1:1 to chars, so Content-Length can be skipped by counting chars.
        using var reader = new StreamReader(stream, Encoding.Latin1, detectEncodingFromByteOrderMarks: false,
            bufferSize: 4096, leaveOpen: true);
        try
        {
            while (true)
            {
                string? requestLine = await reader.ReadLineAsync().ConfigureAwait(false);
                if (requestLine is null) return;
                // Past --close-listener-after, no connection serves another request.
                if (_closed) return;
                // RFC 9112 asks servers to tolerate stray empty lines before a request line.
                if (requestLine.Length == 0) continue;

                string[] parts = requestLine.Split(' ');
                if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
                {
                    await WriteAsync(stream, 400, "Bad Request", "bad request", keepAlive: false, headOnly: false);
                    return;
                }
                string method = parts[0];
                string target = parts[1];
                bool keepAlive = parts[2] == "HTTP/1.1";
                long contentLength = 0;
                bool chunked = false;

                string? header;
                while (!string.IsNullOrEmpty(header = await reader.ReadLineAsync().ConfigureAwait(false)))
                {
                    int colon = header.IndexOf(':');
                    if (colon <= 0) continue;
                    string name = header[..colon].Trim();
                    string value = header[(colon + 1)..].Trim();
                    if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
                    {
                        foreach (string token in value.Split(','))
                        {
                            if (token.Trim().Equals("close", StringComparison.OrdinalIgnoreCase)) keepAlive = false;
                            else if (token.Trim().Equals("keep-alive", StringComparison.OrdinalIgnoreCase)
                                     && parts[2] == "HTTP/1.0") keepAlive = true;
                        }
                    }
                    else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    {
                        if (!long.TryParse(value, out contentLength) || contentLength < 0) contentLength = -1;
                    }
                    else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                    {
                        chunked = true;
                    }
                }
                if (header is null) return;

                // Chunked or malformed bodies would desynchronise the connection; refusing and closing is simpler.
                if (chunked || contentLength < 0)
                {
                    await WriteAsync(stream, 400, "Bad Request", "bad request", keepAlive: false, headOnly: false);
                    return;
                }
                if (!await SkipAsync(reader, contentLength)) return;

                string path = PathOf(target);
                bool headOnly = method == "HEAD";
                if (options.Mcp && path == "/" && method == "POST")
                {
                    // What cm answers to an MCP initialize: a JSON-RPC 2.0 result with serverInfo (or an error, on request).
                    string json = options.McpError
                        ? """{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"store locked"}}"""
                        : """{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2024-11-05","capabilities":{},"serverInfo":{"name":"fake-cm","version":"0"}}}""";
                    await WriteAsync(stream, IsHealthy ? 200 : 503, IsHealthy ? "OK" : "Service Unavailable", json, keepAlive, headOnly);
                }
                else if (path != options.HealthPath)
                {
                    await WriteAsync(stream, 404, "Not Found", "not found", keepAlive, headOnly);
                }
                else if (method is not ("GET" or "HEAD"))
                {
                    await WriteAsync(stream, 405, "Method Not Allowed", "method not allowed", keepAlive, headOnly);
                }
                else if (options.HangHealth
                         || (options.HangHealthAfter is { } hangAfter && Volatile.Read(ref _healthRequests) >= hangAfter))
                {
                    // Hold the connection open without a byte in reply, until the prober gives up and closes it.
                    var sink = new char[1024];
                    while (await reader.ReadAsync(sink).ConfigureAwait(false) > 0) { }
                    return;
                }
                else
                {
                    // Counted before answering: probes racing the exit must not get an answer past the limit.
                    int n = Interlocked.Increment(ref _healthRequests);
                    if (n > options.ExitAfterHealthChecks) return;
                    bool healthy = IsHealthy && !(options.UnhealthyEvery is { } every && n % every == 0);
                    bool closing = n == options.CloseListenerAfter;
                    if (closing)
                    {
                        // From now on a connection is refused; this one closes after the answer, so no pooled
                        // keep-alive connection lets a prober go on past the listener.
                        _closed = true;
                        _listener.Stop();
                        keepAlive = false;
                    }
                    await WriteAsync(stream, healthy ? 200 : 503, healthy ? "OK" : "Service Unavailable",
                        healthy ? "ok" : "unhealthy", keepAlive, headOnly);
                    if (!healthy) Console.WriteLine($"testdaemon: health check {n} answered 503");
                    if (closing) Console.WriteLine($"testdaemon: stopped listening after {n} health checks");
                    if (n == options.ExitAfterHealthChecks) onHealthLimitReached(n);
                }

                if (!keepAlive)
                {
                    socket.Shutdown(SocketShutdown.Send);
                    return;
                }
            }
        }
        catch (IOException) { }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
    }

    private static string PathOf(string target)
    {
        // Absolute-form targets ("http://host/health") are legal HTTP/1.1; reduce them to the path.
        if (target.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            int slash = target.IndexOf('/', "http://".Length);
            target = slash < 0 ? "/" : target[slash..];
        }
        int query = target.IndexOfAny(['?', '#']);
        return query < 0 ? target : target[..query];
    }

    private static async Task<bool> SkipAsync(StreamReader reader, long count)
    {
        var buffer = new char[4096];
        while (count > 0)
        {
            int read = await reader.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)))
                .ConfigureAwait(false);
            if (read == 0) return false;
            count -= read;
        }
        return true;
    }

    private static async Task WriteAsync(Stream stream, int status, string reason, string body, bool keepAlive,
        bool headOnly)
    {
        // One write per response: a split header/body would interact badly with delayed ACKs on the client.
        string response =
            $"HTTP/1.1 {status} {reason}\r\n" +
            "Content-Type: text/plain; charset=utf-8\r\n" +
            $"Content-Length: {body.Length}\r\n" +
            $"Connection: {(keepAlive ? "keep-alive" : "close")}\r\n" +
            "\r\n" +
            (headOnly ? "" : body);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(response)).ConfigureAwait(false);
        await stream.FlushAsync().ConfigureAwait(false);
    }
}
