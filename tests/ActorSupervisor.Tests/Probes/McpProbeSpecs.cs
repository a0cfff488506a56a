using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ActorSupervisor.Health;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Probes;

/// <summary>
/// The MCP health check: the rules on an initialize answer (<see cref="McpProbe.Judge"/>), and the whole probe
/// against a real HTTP server on 127.0.0.1 that answers what each spec scripts.
/// </summary>
public sealed class McpProbeSpecs
{
    private static readonly Uri Somewhere = new("http://127.0.0.1:9/");
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private const string Healthy =
        """{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2024-11-05","capabilities":{},"serverInfo":{"name":"cm","version":"1.0"}}}""";

    private static ProbeResult Judge(string body) => McpProbe.Judge(Encoding.UTF8.GetBytes(body), Somewhere);

    [Theory]
    [InlineData(Healthy)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"result":{"serverInfo":{}},"error":null}""")]
    [InlineData("""{"jsonrpc":"2.0","result":{"serverInfo":"cm"}}""")]
    [InlineData(" \n{\"jsonrpc\":\"2.0\",\"result\":{\"serverInfo\":{\"name\":\"x\"}}}\n ")]
    public void A_JSON_RPC_2_0_result_with_server_info_and_no_error_is_healthy(string body)
    {
        Assert.Equal(ProbeResult.Ok, Judge(body));
    }

    [Fact]
    public void A_200_that_carries_an_error_is_unhealthy_naming_the_error()
    {
        var result = Judge("""{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"no such method"},"result":{"serverInfo":{}}}""");
        Assert.Equal("""MCP initialize at http://127.0.0.1:9/ answered an error: {"code":-32601,"message":"no such method"}""", result.Error);
    }

    [Fact]
    public void An_error_that_is_only_a_string_is_an_error_too()
    {
        var result = Judge("""{"jsonrpc":"2.0","error":"down"}""");
        Assert.Equal("""MCP initialize at http://127.0.0.1:9/ answered an error: "down" """.TrimEnd(), result.Error);
    }

    [Fact]
    public void A_long_error_is_cut_to_200_characters()
    {
        var message = new string('e', 500);
        var raw = "{\"message\":\"" + message + "\"}";
        var result = Judge("{\"jsonrpc\":\"2.0\",\"error\":" + raw + "}");
        Assert.Equal($"MCP initialize at {Somewhere} answered an error: {raw[..200]}", result.Error);
    }

    [Theory]
    [InlineData("""{"id":1,"result":{"serverInfo":{}}}""")]
    [InlineData("""{"jsonrpc":"1.0","result":{"serverInfo":{}}}""")]
    [InlineData("""{"jsonrpc":2.0,"result":{"serverInfo":{}}}""")]
    [InlineData("""{"jsonrpc":null,"result":{"serverInfo":{}}}""")]
    [InlineData("""{"jsonrpc":"2.0 ","result":{"serverInfo":{}}}""")]
    public void An_answer_that_is_not_JSON_RPC_2_0_is_unhealthy(string body)
    {
        Assert.Equal("MCP initialize at http://127.0.0.1:9/: the answer is not JSON-RPC 2.0", Judge(body).Error);
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1}""")]
    [InlineData("""{"jsonrpc":"2.0","result":null}""")]
    [InlineData("""{"jsonrpc":"2.0","result":"ok"}""")]
    [InlineData("""{"jsonrpc":"2.0","result":[{"serverInfo":{}}]}""")]
    [InlineData("""{"jsonrpc":"2.0","result":{"capabilities":{}}}""")]
    [InlineData("""{"jsonrpc":"2.0","result":{"serverInfo":null}}""")]
    [InlineData("""{"jsonrpc":"2.0","serverInfo":{}}""")]
    public void An_answer_without_a_result_carrying_server_info_is_unhealthy(string body)
    {
        Assert.Equal("MCP initialize at http://127.0.0.1:9/: the answer has no result with serverInfo", Judge(body).Error);
    }

    [Theory]
    [InlineData("<html>hello</html>")]
    [InlineData("")]
    [InlineData("{\"jsonrpc\":\"2.0\",")]
    [InlineData(Healthy + "x")]
    public void An_answer_that_is_not_JSON_is_unhealthy(string body)
    {
        Assert.Equal("MCP initialize at http://127.0.0.1:9/: the answer is not JSON", Judge(body).Error);
    }

    [Theory]
    [InlineData("[" + Healthy + "]")]
    [InlineData("\"2.0\"")]
    [InlineData("null")]
    [InlineData("42")]
    public void An_answer_that_is_JSON_but_not_an_object_is_unhealthy(string body)
    {
        Assert.Equal("MCP initialize at http://127.0.0.1:9/: the answer is not a JSON-RPC object", Judge(body).Error);
    }

    [Fact]
    public async Task A_server_that_answers_initialize_with_server_info_is_healthy_and_is_asked_exactly_that()
    {
        using var server = new LoopbackHttpServer(_ => LoopbackHttpServer.Answer(200, Healthy));
        var url = server.Url("/mcp");

        Assert.Equal(ProbeResult.Ok, await McpProbe.CheckAsync(url, Timeout));

        var request = Assert.Single(server.Requests);
        Assert.Equal("POST /mcp HTTP/1.1", request.RequestLine);
        Assert.Equal("application/json", request.Header("Content-Type"));
        Assert.Contains("application/json", request.Header("Accept"));
        Assert.Contains("text/event-stream", request.Header("Accept"));
        using var sent = JsonDocument.Parse(request.Body);
        Assert.Equal("2.0", sent.RootElement.GetProperty("jsonrpc").GetString());
        Assert.Equal("initialize", sent.RootElement.GetProperty("method").GetString());
        Assert.Equal(1, sent.RootElement.GetProperty("id").GetInt32());
        Assert.Equal("actorsupervisor", sent.RootElement.GetProperty("params").GetProperty("clientInfo").GetProperty("name").GetString());
    }

    [Theory]
    [InlineData(201)]
    [InlineData(204)]
    [InlineData(404)]
    [InlineData(500)]
    public async Task Any_status_but_200_is_unhealthy_naming_it_even_with_a_healthy_body(int status)
    {
        using var server = new LoopbackHttpServer(_ => LoopbackHttpServer.Answer(status, status == 204 ? "" : Healthy));
        var result = await McpProbe.CheckAsync(server.Url(), Timeout);
        Assert.Equal($"MCP initialize at {server.Url()} answered {status}", result.Error);
    }

    [Fact]
    public async Task A_redirect_is_not_followed_even_to_a_healthy_server()
    {
        using var healthy = new LoopbackHttpServer(_ => LoopbackHttpServer.Answer(200, Healthy));
        using var redirecting = new LoopbackHttpServer(_ => LoopbackHttpServer.Answer(307, "", extraHeaders: $"Location: {healthy.Url()}\r\n"));

        var result = await McpProbe.CheckAsync(redirecting.Url(), Timeout);

        Assert.Equal($"MCP initialize at {redirecting.Url()} answered 307", result.Error);
        Assert.Empty(healthy.Requests);
    }

    [Fact]
    public async Task A_cookie_the_server_sets_is_never_sent_back()
    {
        using var server = new LoopbackHttpServer(_ => LoopbackHttpServer.Answer(200, Healthy, extraHeaders: "Set-Cookie: session=abc; Path=/\r\n"));
        Assert.Equal(ProbeResult.Ok, await McpProbe.CheckAsync(server.Url(), Timeout));
        Assert.Equal(ProbeResult.Ok, await McpProbe.CheckAsync(server.Url(), Timeout));
        Assert.Equal(2, server.Requests.Count);
        Assert.All(server.Requests, r => Assert.Null(r.Header("Cookie")));
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"error":{"code":-32600}}""", "answered an error: {\"code\":-32600}")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"result":{}}""", ": the answer has no result with serverInfo")]
    [InlineData("<html>another server squats here</html>", ": the answer is not JSON")]
    public async Task A_200_whose_body_breaks_the_rules_is_unhealthy(string body, string reason)
    {
        using var server = new LoopbackHttpServer(_ => LoopbackHttpServer.Answer(200, body));
        var result = await McpProbe.CheckAsync(server.Url(), Timeout);
        Assert.Equal($"MCP initialize at {server.Url()}{(reason.StartsWith(':') ? "" : " ")}{reason}", result.Error);
    }

    [Fact]
    public async Task A_body_over_a_megabyte_is_judged_on_its_first_megabyte_only()
    {
        // Healthy JSON, then whitespace past 1 MiB, then garbage: read whole, it would not be JSON.
        var body = Healthy + new string(' ', 1536 * 1024) + "garbage";
        using var server = new LoopbackHttpServer(_ => LoopbackHttpServer.Answer(200, body, extraHeaders: "Connection: close\r\n"));
        Assert.Equal(ProbeResult.Ok, await McpProbe.CheckAsync(server.Url(), Timeout));
    }

    [Fact]
    public async Task A_body_of_exactly_a_megabyte_is_read_whole()
    {
        // Valid JSON only as a whole: any part of it short of the last byte is not JSON.
        const string start = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"serverInfo\":{\"name\":\"cm\"}},\"padding\":\"";
        var body = start + new string('x', 1024 * 1024 - start.Length - 2) + "\"}";
        Assert.Equal(1024 * 1024, Encoding.UTF8.GetByteCount(body));
        using var server = new LoopbackHttpServer(_ => LoopbackHttpServer.Answer(200, body, extraHeaders: "Connection: close\r\n"));
        Assert.Equal(ProbeResult.Ok, await McpProbe.CheckAsync(server.Url(), Timeout));
    }

    [Fact]
    public async Task Not_one_byte_past_the_first_megabyte_is_judged()
    {
        // Healthy JSON padded to exactly 1 MiB, then garbage: the read that would bring the garbage is not kept.
        var body = Healthy + new string(' ', 1024 * 1024 - Healthy.Length) + "garbage";
        using var server = new LoopbackHttpServer(_ => LoopbackHttpServer.Answer(200, body, extraHeaders: "Connection: close\r\n"));
        Assert.Equal(ProbeResult.Ok, await McpProbe.CheckAsync(server.Url(), Timeout));
    }

    [Fact]
    public async Task A_server_that_never_answers_fails_at_the_timeout_naming_it()
    {
        using var server = new LoopbackHttpServer(_ => null);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await McpProbe.CheckAsync(server.Url(), TimeSpan.FromMilliseconds(300));
        Assert.Equal($"MCP initialize at {server.Url()} timed out after 300 ms", result.Error);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"gave up after {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_server_that_stops_in_the_middle_of_the_body_fails_at_the_timeout()
    {
        // The head promises 1000 bytes; a fragment comes and then nothing.
        using var server = new LoopbackHttpServer(_ => "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"jsonrpc\":");
        var result = await McpProbe.CheckAsync(server.Url(), TimeSpan.FromMilliseconds(300));
        Assert.Equal($"MCP initialize at {server.Url()} timed out after 300 ms", result.Error);
    }

    [Fact]
    public async Task A_refused_connection_is_unhealthy_naming_the_url()
    {
        // Bound and kept, never listening: refused, and no parallel run can take the port meanwhile.
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var url = new Uri($"http://127.0.0.1:{((IPEndPoint)holder.LocalEndPoint!).Port}/");

        var result = await McpProbe.CheckAsync(url, Timeout);

        Assert.False(result.Healthy);
        Assert.StartsWith($"MCP initialize at {url} failed: ", result.Error);
        Assert.Contains("refused", result.Error);
    }
}
