using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace ActorSupervisor.Health;

/// <summary>
/// NTM upstream's health check for MCP servers such as cm, which serve JSON-RPC at their root and no REST health
/// route: POST an "initialize" request and call the daemon healthy only on a 200 whose body is a JSON-RPC 2.0 result
/// carrying serverInfo, with no error (a 200 with an error, or some other server squatting on the port, is not
/// healthy). The body read is capped.
/// </summary>
internal static class McpProbe
{
    private const int MaxBody = 1024 * 1024;

    private static readonly byte[] Initialize = Encoding.UTF8.GetBytes(
        """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"actorsupervisor","version":"health-probe"}}}""");

    private static HttpClient Client => HttpProbe.ViaHttpClient.Client;

    public static async Task<ProbeResult> CheckAsync(Uri url, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            using var content = new ByteArrayContent(Initialize);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
            request.Headers.Accept.ParseAdd("application/json, text/event-stream");
            using var response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
                return ProbeResult.Fail($"MCP initialize at {url} answered {(int)response.StatusCode}");
            var body = await ReadCapped(response, cts.Token).ConfigureAwait(false);
            return Judge(body, url);
        }
        catch (OperationCanceledException)
        {
            return ProbeResult.Fail($"MCP initialize at {url} timed out after {timeout.TotalMilliseconds:0} ms");
        }
        catch (HttpRequestException e)
        {
            return ProbeResult.Fail($"MCP initialize at {url} failed: {e.Message}");
        }
    }

    /// <summary>The verdict on an initialize response body (exposed for tests of the rules themselves).</summary>
    public static ProbeResult Judge(ReadOnlyMemory<byte> body, Uri url)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return ProbeResult.Fail($"MCP initialize at {url}: the answer is not a JSON-RPC object");
            if (root.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
                return ProbeResult.Fail($"MCP initialize at {url} answered an error: {Cut(error.GetRawText())}");
            if (!root.TryGetProperty("jsonrpc", out var version) || version.ValueKind != JsonValueKind.String || version.GetString() != "2.0")
                return ProbeResult.Fail($"MCP initialize at {url}: the answer is not JSON-RPC 2.0");
            if (!root.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Object
                || !result.TryGetProperty("serverInfo", out var info) || info.ValueKind == JsonValueKind.Null)
                return ProbeResult.Fail($"MCP initialize at {url}: the answer has no result with serverInfo");
            return ProbeResult.Ok;
        }
        catch (JsonException)
        {
            return ProbeResult.Fail($"MCP initialize at {url}: the answer is not JSON");
        }
    }

    private static async Task<ReadOnlyMemory<byte>> ReadCapped(HttpResponseMessage response, CancellationToken token)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
        using var body = new MemoryStream();
        var chunk = new byte[8192];
        int n;
        while ((n = await stream.ReadAsync(chunk, token).ConfigureAwait(false)) > 0)
        {
            if (body.Length + n > MaxBody) break; // judged on what fits: a healthy answer is tiny
            body.Write(chunk, 0, n);
        }
        return body.ToArray();
    }

    private static string Cut(string text) => text.Length <= 200 ? text : text[..200];
}
