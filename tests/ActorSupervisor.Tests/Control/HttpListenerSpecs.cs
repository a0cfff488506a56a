using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace ActorSupervisor.Tests.Control;

/// <summary>
/// `up --http`: the same API on TCP with a token, /metrics, /healthz, and the checks an attacker meets: no token, a
/// wrong Host (DNS rebinding), another site's Origin (CSRF), bad and oversized input.
/// </summary>
public sealed class HttpListenerSpecs : IDisposable
{
    private readonly ControlHarness _h = new();

    private static HttpRequestMessage Request(HttpMethod method, string url, string? token, string? body = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        return request;
    }

    [Fact]
    public async Task The_TCP_listener_serves_the_API_with_a_token_metrics_and_health_and_refuses_what_an_attacker_sends()
    {
        var p = _h.Project;
        var specs = _h.WriteSpecs("specs.json", p.HttpDaemon("web"), p.Daemon("ghost") with { Command = "/nonexistent/ghostd" });
        var up = _h.Up(["--specs", specs, "--http", "127.0.0.1:0", .. ControlHarness.Quick]);
        var web = await up.WaitForState("web", "running");
        p.RememberPort(web.Port);
        await up.WaitForState("ghost", "failed");
        var (url, token) = await ControlHarness.Http(up);
        var port = new Uri(url).Port;
        p.RememberPort(port);
        var tokenFile = Path.Combine(_h.ControlDir, _h.Session + ".token");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        // With the token: the API.
        using (var ok = await http.SendAsync(Request(HttpMethod.Get, url + "v1/daemons/web", token)))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            using var json = JsonDocument.Parse(await ok.Content.ReadAsStringAsync());
            Assert.Equal(web.Pid, json.RootElement.GetProperty("pid").GetInt32());
        }
        // Without it, or with a wrong one: nothing, not even a read.
        foreach (var wrong in new string?[] { null, "not-the-token", token + "x" })
        {
            using var refused = await http.SendAsync(Request(HttpMethod.Get, url + "v1/status", wrong));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        using (var refused = await http.SendAsync(Request(HttpMethod.Post, url + "v1/daemons/web/stop", null)))
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        // DNS rebinding: a page under another host name that resolves to 127.0.0.1.
        var rebound = Request(HttpMethod.Get, url + "metrics", null);
        rebound.Headers.Host = $"attacker.example:{port}";
        using (var refused = await http.SendAsync(rebound)) Assert.Equal(HttpStatusCode.MisdirectedRequest, refused.StatusCode);
        // CSRF: another site's page, even one that somehow had the token.
        var csrf = Request(HttpMethod.Post, url + "v1/daemons/web/stop", token);
        csrf.Headers.Add("Origin", "http://attacker.example");
        using (var refused = await http.SendAsync(csrf)) Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var crossSite = Request(HttpMethod.Post, url + "v1/daemons/web/stop", token);
        crossSite.Headers.Add("Sec-Fetch-Site", "cross-site");
        using (var refused = await http.SendAsync(crossSite)) Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("running", (await _h.Status())["web"].GetProperty("state").GetString()); // nothing got through

        // Bad input: named, and nothing changes.
        using (var bad = await http.SendAsync(Request(HttpMethod.Post, url + "v1/daemons", token, """{"name": "x y", "command": "/bin/true"}""")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            using var json = JsonDocument.Parse(await bad.Content.ReadAsStringAsync());
            Assert.Contains(json.RootElement.GetProperty("problems").EnumerateArray(), e => e.GetProperty("field").GetString()!.Contains("name"));
        }
        using (var huge = await http.SendAsync(Request(HttpMethod.Post, url + "v1/daemons", token, new string(' ', 200_000) + "{}")))
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        using (var badName = await http.SendAsync(Request(HttpMethod.Post, url + "v1/daemons/..%2F..%2Fetc/restart", token)))
            Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        using (var badLines = await http.SendAsync(Request(HttpMethod.Get, url + "v1/daemons/web/logs?lines=-1", token)))
            Assert.Equal(HttpStatusCode.BadRequest, badLines.StatusCode);
        using (var notFound = await http.SendAsync(Request(HttpMethod.Post, url + "v1/daemons/nosuch/restart", token)))
            Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);

        // A new daemon through the API.
        var spec = JsonSerializer.Serialize(p.Daemon("extra"));
        using (var created = await http.SendAsync(Request(HttpMethod.Post, url + "v1/daemons", token, spec)))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        // Metrics (Prometheus text) and health, on loopback without the token.
        var metrics = await http.GetStringAsync(url + "metrics");
        Assert.Contains($"actorsupervisor_daemons{{", metrics);
        Assert.Contains("state=\"failed\"", metrics);
        Assert.Contains("actorsupervisor_probe_duration_seconds_bucket", metrics);
        Assert.Contains("actorsupervisor_launch_duration_seconds_bucket", metrics);
        using (var health = await http.GetAsync(url + "healthz"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            using var json = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
            Assert.Equal("unhealthy", json.RootElement.GetProperty("status").GetString());
            Assert.Equal("failed: ghost", json.RootElement.GetProperty("description").GetString());
        }
        // The dashboard's files are public and locked down by their headers.
        using (var page = await http.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Contains("/app.js", await page.Content.ReadAsStringAsync());
        }

        await _h.StopUp(up, expectedExit: 1);
        Assert.False(File.Exists(tokenFile));
        await _h.AssertNothingLeftBehind();
    }

    [Theory]
    [InlineData("0.0.0.0:0", null, "--http: '0.0.0.0:0' is not a loopback address")]
    [InlineData("example.com:80", null, "--http: 'example.com:80': 'example.com' must be an IP address")]
    [InlineData("127.0.0.1:70000", null, "--http: '127.0.0.1:70000': the port '70000' must be a whole number")]
    [InlineData("127.0.0.1:0", "0644", "can be read or written by other users (mode 0644)")]
    [InlineData("127.0.0.1:0", "short", "must be at least 16 characters")]
    public async Task A_bad_http_address_or_token_file_exits_2_naming_it_and_starts_nothing(string address, string? tokenCase, string expected)
    {
        var args = new List<string> { "--http", address };
        if (tokenCase is not null)
        {
            var file = Path.Combine(_h.Project.Dir, "token");
            File.WriteAllText(file, tokenCase == "short" ? "abc\n" : "0123456789abcdef0123456789\n");
            File.SetUnixFileMode(file, tokenCase == "0644"
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead
                : UnixFileMode.UserRead | UnixFileMode.UserWrite);
            args.AddRange(["--token-file", file]);
        }
        var up = _h.Up([.. args, "--specs", _h.WriteSpecs("specs.json", _h.Project.Daemon("web"))]);

        var code = await up.WaitForExitAsync();

        Assert.True(code == 2, string.Join('\n', up.Stderr));
        Assert.Contains(up.Stderr, l => l.Contains(expected));
        Assert.False(Directory.Exists(Path.Combine(_h.Project.Dir, ".ntm", "pids")) && Directory.GetFiles(Path.Combine(_h.Project.Dir, ".ntm", "pids")).Length > 0);
        await _h.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_non_loopback_listener_with_a_token_file_needs_the_token_for_metrics_too()
    {
        var file = Path.Combine(_h.Project.Dir, "token");
        File.WriteAllText(file, "0123456789abcdef0123456789\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        // 127.0.0.2 is loopback too; 0.0.0.0 (every address) is the case that matters: bound here on port 0.
        var up = _h.Up(["--specs", _h.WriteSpecs("specs.json", _h.Project.Daemon("web")), "--http", "0.0.0.0:0", "--token-file", file, .. ControlHarness.Quick]);
        await up.WaitForState("web", "running");
        var (url, token) = await ControlHarness.Http(up);
        Assert.Equal("0123456789abcdef0123456789", token);
        _h.Project.RememberPort(new Uri(url).Port);
        var local = $"http://127.0.0.1:{new Uri(url).Port}/";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        using (var refused = await http.GetAsync(local + "metrics")) Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using (var ok = await http.SendAsync(Request(HttpMethod.Get, local + "metrics", token))) Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        await _h.StopUp(up);
        Assert.True(File.Exists(file)); // the user's token file is the user's
        await _h.AssertNothingLeftBehind();
    }

    public void Dispose() => _h.Dispose();
}
