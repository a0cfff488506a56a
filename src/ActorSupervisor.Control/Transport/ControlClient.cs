using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ActorSupervisor.Control.Model;

namespace ActorSupervisor.Control.Transport;

/// <summary>HTTP over a session's control socket, for the CLI and other tools of the same user.</summary>
internal sealed class ControlClient : IDisposable
{
    private readonly HttpClient _http;

    public string Session { get; }
    public string SocketPath { get; }

    public ControlClient(string socketPath, string session, TimeSpan? timeout = null)
    {
        SocketPath = socketPath;
        Session = session;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                var (endPoint, dirHandle) = ControlSocket.EndPoint(socketPath);
                try
                {
                    await socket.ConnectAsync(endPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
                finally
                {
                    dirHandle?.Dispose();
                }
            },
        };
        // The host name is only what the Host header says; the socket decides where requests go.
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://actorsupervisor/"), Timeout = timeout ?? Timeout.InfiniteTimeSpan };
    }

    /// <summary>
    /// Every supervisor of the project that answers on its control socket (of <paramref name="session"/> only, when
    /// given), with its status. A socket nobody answers on was left by a supervisor that died; it is skipped.
    /// </summary>
    public static async Task<IReadOnlyList<(ControlClient Client, StatusView Status)>> DiscoverAsync(string stateRoot, string? session,
        CancellationToken ct = default)
    {
        var sockets = ControlSocket.List(stateRoot).Where(s => session is null || s.Session == session).ToList();
        var found = await Task.WhenAll(sockets.Select(async s =>
        {
            var client = new ControlClient(s.Path, s.Session);
            try
            {
                using var probe = CancellationTokenSource.CreateLinkedTokenSource(ct);
                // Generous: a busy machine may be slow to answer, and a dead supervisor's socket refuses at once anyway.
                probe.CancelAfter(TimeSpan.FromSeconds(15));
                var status = await client.GetAsync("v1/status?foreign=true", ControlJson.Default.StatusView, probe.Token);
                return (client, status);
            }
            catch (Exception e) when (e is HttpRequestException or SocketException or OperationCanceledException or ControlException or IOException)
            {
                client.Dispose();
                return (null!, null!);
            }
        }));
        return found.Where(f => f.client is not null && !ct.IsCancellationRequested).Select(f => (f.client, f.status)).ToList();
    }

    public async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken ct)
    {
        using var response = await _http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, ct);
        return await Read(response, type, ct);
    }

    public async Task<T> SendAsync<T>(HttpMethod method, string path, JsonTypeInfo<T> type, string? jsonBody, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (jsonBody is not null) request.Content = new StringContent(jsonBody, Encoding.UTF8, "application/json");
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        return await Read(response, type, ct);
    }

    /// <summary>A streaming GET (logs, events): the open response, whose body the caller reads and disposes.</summary>
    public async Task<HttpResponseMessage> StreamAsync(string path, CancellationToken ct)
    {
        var response = await _http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.IsSuccessStatusCode) return response;
        using (response) throw await Error(response, ct);
    }

    private static async Task<T> Read<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode) throw await Error(response, ct);
        return await response.Content.ReadFromJsonAsync(type, ct)
               ?? throw new ControlException("the supervisor sent an empty answer", response.StatusCode);
    }

    private static async Task<ControlException> Error(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var error = await response.Content.ReadFromJsonAsync(ControlJson.Default.ErrorView, ct);
            if (error is not null) return new ControlException(error.Error, response.StatusCode, error);
        }
        catch (JsonException) { }
        return new ControlException($"the supervisor answered {(int)response.StatusCode} {response.ReasonPhrase}", response.StatusCode);
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>A refusal or error from a supervisor's control API, with its sentence.</summary>
internal sealed class ControlException(string message, HttpStatusCode status, ErrorView? error = null) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
    public ErrorView? Detail { get; } = error;
}
