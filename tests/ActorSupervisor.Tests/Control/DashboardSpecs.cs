using ActorSupervisor.Processes;
using Microsoft.Playwright;

namespace ActorSupervisor.Tests.Control;

/// <summary>
/// The dashboard in a real browser: Debian's chromium, driven by Playwright (never a downloaded browser). It lists
/// every daemon, its restart button gives the daemon a new process, and a daemon killed with SIGKILL shows
/// restarting, then running, without the page being reloaded.
/// </summary>
public sealed class DashboardSpecs : IDisposable
{
    public const string Chromium = "/usr/bin/chromium";
    private static readonly float Patience = 30_000;
    private readonly ControlHarness _h = new();
    private readonly string _profile = Directory.CreateTempSubdirectory("actorsupervisor-chromium-").FullName;

    [Fact]
    public async Task The_dashboard_lists_every_daemon_restarts_one_on_a_click_and_follows_a_SIGKILL_live()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (.ci/run does)");
        var p = _h.Project;
        var specs = _h.WriteSpecs("specs.json", p.HttpDaemon("web"), p.HttpDaemon("api"), p.Daemon("worker"));
        var up = _h.Up(["--specs", specs, "--http", "127.0.0.1:0", .. ControlHarness.Quick]);
        var web = await up.WaitForState("web", "running");
        var api = await up.WaitForState("api", "running");
        await up.WaitForState("worker", "running");
        p.RememberPort(web.Port);
        p.RememberPort(api.Port);
        var (url, token) = await ControlHarness.Http(up);
        p.RememberPort(new Uri(url).Port);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchPersistentContextAsync(_profile, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync"],
            ViewportSize = new ViewportSize { Width = 1280, Height = 520 },
        });
        var page = browser.Pages.Count > 0 ? browser.Pages[0] : await browser.NewPageAsync();
        await page.GotoAsync(url + "#token=" + token);

        // Every daemon, with its state and pid.
        var rows = page.Locator("#daemons tbody tr[data-daemon]");
        await Assertions.Expect(rows).ToHaveCountAsync(3, new() { Timeout = Patience });
        foreach (var (name, pid) in new[] { ("web", web.Pid), ("api", api.Pid) })
        {
            var row = page.Locator($"tr[data-daemon='{name}']");
            await Assertions.Expect(row.Locator(".state")).ToHaveTextAsync("running", new() { Timeout = Patience });
            await Assertions.Expect(row.Locator(".pid")).ToHaveTextAsync(pid.ToString(), new() { Timeout = Patience });
        }
        Assert.DoesNotContain("token", page.Url); // the token left the address bar

        // Restart by a click: a new pid on the same port.
        var webRow = page.Locator("tr[data-daemon='web']");
        await webRow.Locator("button[data-action='restart']").ClickAsync();
        await Assertions.Expect(webRow.Locator(".pid")).Not.ToHaveTextAsync(web.Pid.ToString(), new() { Timeout = Patience });
        await Assertions.Expect(webRow.Locator(".state")).ToHaveTextAsync("running", new() { Timeout = Patience });
        var restarted = await _h.WaitForStatus("web", d => d.GetProperty("state").GetString() == "running", "not running");
        var newPid = restarted.GetProperty("pid").GetInt32();
        Assert.NotEqual(web.Pid, newPid);
        await Assertions.Expect(webRow.Locator(".pid")).ToHaveTextAsync(newPid.ToString(), new() { Timeout = Patience });
        await Assertions.Expect(webRow.Locator(".port")).ToHaveTextAsync(web.Port.ToString());

        // SIGKILL from outside: the page shows restarting, then running with yet another pid, with no reload. The page
        // records every state it shows, so a short-lived "restarting" is not missed between two looks.
        await page.EvaluateAsync("""
            () => {
              window.seenStates = [];
              const body = document.querySelector('#daemons tbody');
              new MutationObserver(() => {
                const row = body.querySelector("tr[data-daemon='api']");
                if (row) window.seenStates.push(row.dataset.state);
              }).observe(body, { childList: true, subtree: true });
            }
            """);
        Assert.Equal(0, Native.kill(api.Pid, Native.SIGKILL));
        var apiRow = page.Locator("tr[data-daemon='api']");
        await page.WaitForFunctionAsync("() => window.seenStates.includes('restarting')", null, new() { Timeout = Patience });
        await Assertions.Expect(apiRow.Locator(".state")).ToHaveTextAsync("running", new() { Timeout = Patience });
        await Assertions.Expect(apiRow.Locator(".pid")).Not.ToHaveTextAsync(api.Pid.ToString(), new() { Timeout = Patience });
        await Assertions.Expect(apiRow.Locator(".restarts")).ToHaveTextAsync("1");
        var seen = await page.EvaluateAsync<string[]>("() => window.seenStates");
        var firstRestarting = Array.IndexOf(seen, "restarting");
        Assert.Contains("running", seen[firstRestarting..]);
        await Assertions.Expect(apiRow.Locator(".failure")).ToContainTextAsync("signal 9");

        // For docs/: DASHBOARD_SCREENSHOT=path writes what the page looks like now.
        if (Environment.GetEnvironmentVariable("DASHBOARD_SCREENSHOT") is { Length: > 0 } shot)
        {
            await page.Locator("tr[data-daemon='worker'] button[data-action='log']").ClickAsync();
            await page.Locator("tr.log pre").WaitForAsync();
            await page.ScreenshotAsync(new() { Path = shot, FullPage = true });
        }

        await browser.CloseAsync();
        await _h.StopUp(up);
        await _h.AssertNothingLeftBehind();
    }

    public void Dispose()
    {
        _h.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { }
    }
}
