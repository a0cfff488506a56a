using System.Text.Json;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Control;

/// <summary>restart, stop, start and reload through the running supervisor, as an operator types them.</summary>
public sealed class DaemonCommandSpecs : IDisposable
{
    private readonly ControlHarness _h = new();

    [Fact]
    public async Task Restart_gives_a_new_process_on_the_same_port_at_once_without_counting_a_failure()
    {
        var p = _h.Project;
        var up = _h.Up(["--specs", _h.WriteSpecs("specs.json", p.HttpDaemon("web"), p.Daemon("worker")), .. ControlHarness.Quick]);
        var web = await up.WaitForState("web", "running");
        p.RememberPort(web.Port);
        await up.WaitForState("worker", "running");

        var restart = await _h.Run("restart", "web");

        Assert.True(restart.ExitCode == 0, restart.ToString());
        Assert.Contains($"web (session {_h.Session}): restarted", restart.Out);
        var after = await _h.WaitForStatus("web", d => d.GetProperty("state").GetString() == "running", "not running again");
        Assert.NotEqual(web.Pid, after.GetProperty("pid").GetInt32());
        Assert.Equal(web.Port, after.GetProperty("port").GetInt32());
        Assert.Equal(1, after.GetProperty("restarts").GetInt32());
        Assert.Equal(0, after.GetProperty("consecutive_failures").GetInt32());
        Assert.Equal(JsonValueKind.Null, after.GetProperty("last_failure").ValueKind);
        Assert.False(ProcessScan.IsAlive(web.Pid));
        // Stopped and started again, never a failed run waiting out a backoff.
        Assert.DoesNotContain(up.States, s => s.Daemon == "web" && s.State == "restarting");
        var webLines = up.States.Where(s => s.Daemon == "web").Select(s => s.State).ToList();
        Assert.Equal(["starting", "running", "stopping", "stopped", "starting", "running"], webLines);
        // The other daemon was not touched.
        Assert.Equal(0, (await _h.Status())["worker"].GetProperty("restarts").GetInt32());

        var unknown = await _h.Run("restart", "nosuch");
        Assert.True(unknown.ExitCode == 1, unknown.ToString());
        Assert.Contains("no daemon named 'nosuch'", unknown.Err);
        var bad = await _h.Run("restart", "../etc");
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.Contains("NAME: '../etc'", bad.Err);

        await _h.StopUp(up);
        await _h.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Stop_through_the_supervisor_is_final_and_start_runs_the_daemon_again()
    {
        var p = _h.Project;
        var up = _h.Up(["--specs", _h.WriteSpecs("specs.json", p.HttpDaemon("web")), .. ControlHarness.Quick]);
        var web = await up.WaitForState("web", "running");
        p.RememberPort(web.Port);

        var stop = await _h.Run("stop", "web");

        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains($"web (session {_h.Session}, pid {web.Pid}): stopped by its supervisor", stop.Out);
        Assert.False(ProcessScan.IsAlive(web.Pid));
        Assert.Empty(p.PidFiles());
        var stopped = (await _h.Status())["web"];
        Assert.Equal("stopped", stopped.GetProperty("state").GetString());
        // Final: a health interval and more later, it is still stopped and nothing was started.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal("stopped", (await _h.Status())["web"].GetProperty("state").GetString());
        Assert.Equal("stopped", up.States.Last(s => s.Daemon == "web").State);

        var start = await _h.Run("start", "web");
        Assert.True(start.ExitCode == 0, start.ToString());
        var running = await _h.WaitForStatus("web", d => d.GetProperty("state").GetString() == "running", "not running again");
        Assert.NotEqual(web.Pid, running.GetProperty("pid").GetInt32());
        Assert.Equal(web.Port, running.GetProperty("port").GetInt32());

        var twice = await _h.Run("start", "web");
        Assert.True(twice.ExitCode == 1, twice.ToString());
        Assert.Contains("already running", twice.Err);

        await _h.StopUp(up);
        await _h.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Reload_starts_added_daemons_removes_removed_ones_restarts_changed_ones_and_leaves_the_rest()
    {
        var p = _h.Project;
        var keep = p.Daemon("keep");
        var change = p.HttpDaemon("change");
        var drop = p.Daemon("drop");
        var specs = _h.WriteSpecs("specs.json", keep, change, drop);
        var up = _h.Up(["--specs", specs, .. ControlHarness.Quick]);
        var kept = await up.WaitForState("keep", "running");
        var changed = await up.WaitForState("change", "running");
        p.RememberPort(changed.Port);
        var dropped = await up.WaitForState("drop", "running");

        // Rewritten: the same "keep" (read from the file again, so its lists are new objects), "change" with a new
        // argument, "drop" gone, "added" new.
        _h.WriteSpecs("specs.json", keep with { Args = [.. keep.Args] }, change with { Args = ["--stdout-lines", "2"] },
            p.Daemon("added"));
        var reload = await _h.Run("reload", "--json");

        Assert.True(reload.ExitCode == 0, reload.ToString());
        using var json = JsonDocument.Parse(reload.Out);
        var r = json.RootElement;
        string[] Names(string key) => r.GetProperty(key).EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(["added"], Names("added"));
        Assert.Equal(["drop"], Names("removed"));
        Assert.Equal(["change"], Names("restarted"));
        Assert.Equal(["keep"], Names("unchanged"));
        Assert.Empty(r.GetProperty("failed").EnumerateArray());

        var status = await _h.Status();
        Assert.Equal(["added", "change", "keep"], status.Keys.Order());
        Assert.False(ProcessScan.IsAlive(dropped.Pid));
        Assert.Equal(kept.Pid, status["keep"].GetProperty("pid").GetInt32());
        var now = await _h.WaitForStatus("change", d => d.GetProperty("state").GetString() == "running", "not running after reload");
        Assert.NotEqual(changed.Pid, now.GetProperty("pid").GetInt32());
        Assert.Equal(changed.Port, now.GetProperty("port").GetInt32());

        // A reload of a file that is now invalid changes nothing and names the field.
        File.WriteAllText(specs, """[{"name": "keep", "command": ""}]""");
        var invalid = await _h.Run("reload");
        Assert.True(invalid.ExitCode == 2, invalid.ToString());
        Assert.Contains("command", invalid.Err);
        Assert.Equal(["added", "change", "keep"], (await _h.Status()).Keys.Order());

        // start --specs adds a daemon from a file to the running supervisor.
        var extra = _h.WriteSpecs("extra.json", p.Daemon("extra"));
        var start = await _h.Run("start", "extra", "--specs", extra);
        Assert.True(start.ExitCode == 0, start.ToString());
        await _h.WaitForStatus("extra", d => d.GetProperty("state").GetString() == "running", "extra not running");
        var missing = await _h.Run("start", "nope", "--specs", extra);
        Assert.True(missing.ExitCode == 2, missing.ToString());

        await _h.StopUp(up);
        await _h.AssertNothingLeftBehind();
    }

    public void Dispose() => _h.Dispose();
}
