using System.Text.Json;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Control;

/// <summary>`status` asks the running supervisor: every state, restarts, last failure; PID files only when none answers.</summary>
public sealed class LiveStatusSpecs : IDisposable
{
    private readonly ControlHarness _h = new();

    [Fact]
    public async Task Status_from_the_running_supervisor_shows_running_restarting_failed_and_stopped_daemons_with_their_failures()
    {
        var p = _h.Project;
        var specs = _h.WriteSpecs("specs.json",
            p.HttpDaemon("web"),
            p.Daemon("worker"),
            // Exits at once, then waits out a long backoff: restarting for the whole test.
            p.Daemon("flaky", "--exit-after", "100ms", "--exit-code", "3"),
            p.Daemon("ghost") with { Command = Path.Combine(p.Dir, "no-such-daemon") });
        var up = _h.Up("--specs", specs, "--health-interval", "200ms", "--backoff-min", "60s", "--backoff-max", "60s");
        var web = await up.WaitForState("web", "running");
        p.RememberPort(web.Port);
        await up.WaitForState("worker", "running");
        await up.WaitForState("ghost", "failed");
        await up.WaitForState("flaky", "restarting");
        var stop = await _h.Run("stop", "worker");
        Assert.True(stop.ExitCode == 0, stop.ToString());

        var status = await _h.Status();

        Assert.Equal(["flaky", "ghost", "web", "worker"], status.Keys.Order());
        Assert.All(status.Values, d => Assert.Equal("supervisor", d.GetProperty("source").GetString()));
        Assert.All(status.Values, d => Assert.Equal(up.Pid, d.GetProperty("supervisor_pid").GetInt32()));
        var w = status["web"];
        Assert.Equal("running", w.GetProperty("state").GetString());
        Assert.Equal(web.Pid, w.GetProperty("pid").GetInt32());
        Assert.True(w.GetProperty("alive").GetBoolean());
        Assert.Equal(0, w.GetProperty("restarts").GetInt32());
        Assert.Equal(JsonValueKind.Null, w.GetProperty("last_failure").ValueKind);
        Assert.True(w.GetProperty("uptime_seconds").GetDouble() >= 0);
        Assert.Equal(_h.Session, w.GetProperty("owner_id").GetString());
        Assert.EndsWith($"web-{_h.Session}.log", w.GetProperty("log_path").GetString());

        var flaky = status["flaky"];
        Assert.Equal("restarting", flaky.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, flaky.GetProperty("pid").ValueKind); // no process: never a pid to kill
        Assert.False(flaky.GetProperty("alive").GetBoolean());
        Assert.Equal("exited unexpectedly", flaky.GetProperty("last_failure").GetProperty("reason").GetString());
        Assert.Equal(3, flaky.GetProperty("last_failure").GetProperty("exit_code").GetInt32());
        Assert.Equal(1, flaky.GetProperty("consecutive_failures").GetInt32());

        var ghost = status["ghost"];
        Assert.Equal("failed", ghost.GetProperty("state").GetString());
        Assert.Contains("no-such-daemon", ghost.GetProperty("last_failure").GetProperty("reason").GetString());
        Assert.Equal("stopped", status["worker"].GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, status["worker"].GetProperty("last_failure").ValueKind);

        // The table: one row per daemon with its state word, restarts and last failure.
        var table = await _h.Run("status");
        Assert.Equal(0, table.ExitCode);
        Assert.Contains($"session {_h.Session} supervisor pid {up.Pid}", table.Out);
        Assert.Contains(table.Stdout, l => l.Contains(" web ") && l.Contains("running") && l.Contains(web.Pid.ToString()));
        Assert.Contains(table.Stdout, l => l.Contains(" flaky ") && l.Contains("restarting") && l.Contains("exit code 3"));
        Assert.Contains(table.Stdout, l => l.Contains(" ghost ") && l.Contains("failed") && l.Contains("no-such-daemon"));
        Assert.Contains(table.Stdout, l => l.Contains(" worker ") && l.Contains("stopped"));
        Assert.Contains(table.Stdout, l => l.Contains("state") && l.Contains("restarts") && l.Contains("last failure"));

        await _h.StopUp(up, expectedExit: 1); // ghost never started
        await _h.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Without_a_running_supervisor_status_reads_the_pid_files_and_says_so()
    {
        var p = _h.Project;
        var up = _h.Up(["--specs", _h.WriteSpecs("specs.json", p.HttpDaemon("web")), .. ControlHarness.Quick]);
        var web = await up.WaitForState("web", "running");
        p.RememberPort(web.Port);
        up.Signal(Native.SIGKILL);
        await up.WaitForExitAsync();
        // The killed supervisor's socket is still there, but nobody answers on it.
        Assert.True(File.Exists(Path.Combine(_h.ControlDir, _h.Session + ".sock")));

        var json = await _h.Run("status", "--json");
        var table = await _h.Run("status");

        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Contains("no running supervisor answers", json.Err);
        using var doc = JsonDocument.Parse(json.Out);
        var row = Assert.Single(doc.RootElement.EnumerateArray());
        Assert.Equal("running", row.GetProperty("state").GetString());
        Assert.Equal("pid_file", row.GetProperty("source").GetString());
        Assert.Equal(web.Pid, row.GetProperty("pid").GetInt32());
        Assert.True(row.GetProperty("alive").GetBoolean());
        Assert.False(row.GetProperty("supervisor_alive").GetBoolean());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("restarts").ValueKind);
        Assert.Equal(JsonValueKind.Null, row.GetProperty("last_failure").ValueKind);
        Assert.Contains("no running supervisor answers", table.Err);
        Assert.Contains(table.Stdout, l => l.StartsWith("web ", StringComparison.Ordinal));

        // A new supervisor of the session takes the dead one's socket over, and stop works through it.
        var again = _h.Up(["--specs", _h.WriteSpecs("specs.json", p.HttpDaemon("web")), .. ControlHarness.Quick]);
        await again.WaitForState("web", "starting");
        var live = await _h.WaitForStatus("web", d => d.GetProperty("source").GetString() == "supervisor", "not live");
        Assert.Equal(again.Pid, live.GetProperty("supervisor_pid").GetInt32());
        var stop = await _h.Run("stop", "--all");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains("stopped by its supervisor", stop.Out);
        await _h.StopUp(again);
        await _h.AssertNothingLeftBehind();
    }

    public void Dispose() => _h.Dispose();
}
