using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ActorSupervisor.Tests.Support;

/// <summary>
/// A real HTTP/1.1 server on 127.0.0.1:0 (a port it bound itself) that reads each request, head and
/// Content-Length body, and writes whatever the test's script returns for it, byte for byte: null says nothing and
/// keeps the connection open. Keeps serving the same connection until the client closes it, or closes it after
/// each answer when told to. Everything it opened is closed on Dispose.
/// <para>
/// An answer may hold <see cref="Pause"/> (what comes before it is sent on its own, then a short wait) and
/// <see cref="Hangup"/> (the connection is closed there), to split a response across reads or cut it off.
/// </para>
/// </summary>
public sealed class LoopbackHttpServer : IDisposable
{
    /// <summary>One request as it arrived.</summary>
    public sealed record Request(string Head, string Body)
    {
        public string RequestLine => Head[..Head.IndexOf("\r\n", StringComparison.Ordinal)];

        /// <summary>The value of the first header with this name, or null.</summary>
        public string? Header(string name) => Head.Split("\r\n").Skip(1)
            .Where(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))
            .Select(l => l[(name.Length + 1)..].Trim()).FirstOrDefault();
    }

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<TcpClient> _clients = [];
    private readonly ConcurrentQueue<Request> _requests = new();
    private readonly Func<Request, string?> _script;
    private readonly bool _closeAfterAnswer;
    private readonly bool _trickle;
    private int _connections;
    private int _answered;
    private int _closedByClient;

    /// <param name="script">The answer to each request (null: say nothing, keep the connection).</param>
    /// <param name="closeAfterAnswer">Close each connection after its first answer, without saying so.</param>
    /// <param name="trickle">Write each answer one byte at a time, so the client must put it together.</param>
    public LoopbackHttpServer(Func<Request, string?> script, bool closeAfterAnswer = false, bool trickle = false)
    {
        _script = script;
        _closeAfterAnswer = closeAfterAnswer;
        _trickle = trickle;
        _listener.Start();
        _ = AcceptLoop();
    }

    /// <summary>In an answer: send what came before, then wait 100 ms.</summary>
    public const char Pause = '\u0001';

    /// <summary>In an answer: close the connection here.</summary>
    public const char Hangup = '\u0002';

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public Uri Url(string path = "/") => new($"http://127.0.0.1:{Port}{path}");
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Answers written to the end (every part sent, or the hangup done).</summary>
    public int Answered => Volatile.Read(ref _answered);
    public IReadOnlyList<Request> Requests => _requests.ToArray();

    /// <summary>Connections the client closed (the server read the end of the stream on them).</summary>
    public int ClosedByClient => Volatile.Read(ref _closedByClient);

    /// <summary>A complete response with a Content-Length body.</summary>
    public static string Answer(int status, string body, string contentType = "application/json", string extraHeaders = "") =>
        $"HTTP/1.1 {status} X\r\nContent-Type: {contentType}\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n{extraHeaders}\r\n{body}";

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
            var pending = new List<byte>();
            var buffer = new byte[8192];
            while (true)
            {
                int end;
                while ((end = IndexOfBlankLine(pending)) < 0)
                {
                    var n = await stream.ReadAsync(buffer, _stop.Token);
                    if (n == 0)
                    {
                        Interlocked.Increment(ref _closedByClient);
                        return;
                    }
                    pending.AddRange(buffer.AsSpan(0, n));
                }
                var head = Encoding.ASCII.GetString(pending.GetRange(0, end + 4).ToArray());
                pending.RemoveRange(0, end + 4);
                var length = new Request(head, "").Header("Content-Length") is { } l ? int.Parse(l) : 0;
                while (pending.Count < length)
                {
                    var n = await stream.ReadAsync(buffer, _stop.Token);
                    if (n == 0) return;
                    pending.AddRange(buffer.AsSpan(0, n));
                }
                var request = new Request(head, Encoding.UTF8.GetString(pending.GetRange(0, length).ToArray()));
                pending.RemoveRange(0, length);
                _requests.Enqueue(request);
                if (_script(request) is not { } answer) continue;
                var hangup = answer.IndexOf(Hangup);
                var parts = (hangup < 0 ? answer : answer[..hangup]).Split(Pause);
                for (var i = 0; i < parts.Length; i++)
                {
                    if (i > 0) await Task.Delay(100, _stop.Token);
                    var bytes = Encoding.UTF8.GetBytes(parts[i]);
                    if (!_trickle) await stream.WriteAsync(bytes, _stop.Token);
                    else
                        for (var b = 0; b < bytes.Length; b++)
                        {
                            await stream.WriteAsync(bytes.AsMemory(b, 1), _stop.Token);
                            await stream.FlushAsync(_stop.Token);
                        }
                }
                if (_closeAfterAnswer || hangup >= 0)
                {
                    client.Close();
                    Interlocked.Increment(ref _answered);
                    return;
                }
                Interlocked.Increment(ref _answered);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException) { }
    }

    private static int IndexOfBlankLine(List<byte> data)
    {
        for (var i = 0; i + 3 < data.Count; i++)
            if (data[i] == '\r' && data[i + 1] == '\n' && data[i + 2] == '\r' && data[i + 3] == '\n') return i;
        return -1;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var c in _clients) c.Dispose();
        _stop.Dispose();
    }
}
