using ActorSupervisor.Tests.Support;
using System.Text.Json;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Cli;

namespace ActorSupervisor.Tests.Control;

/// <summary>`logs` and `events`: a daemon's log in context, and the state changes as they happen.</summary>
public sealed class LogsAndEventsSpecs : IDisposable
{
    private readonly ControlHarness _h = new();

    [Fact]
    public async Task Logs_shows_the_last_lines_follows_new_ones_and_works_without_a_supervisor()
    {
        var p = _h.Project;
        var up = _h.Up(["--specs", _h.WriteSpecs("specs.json", p.Daemon("talker", "--stdout-lines", "30")), .. ControlHarness.Quick]);
        var talker = await up.WaitForState("talker", "running");

        var last = await _h.Run("logs", "talker", "-n", "3");
        Assert.True(last.ExitCode == 0, last.ToString());
        Assert.Equal(3, last.Stdout.Count);
        var all = await _h.Run("logs", "talker", "-n", "1000");
        Assert.Contains(all.Stdout, l => l.StartsWith("[supervisor] ") && l.Contains($"launched daemon talker (pid={talker.Pid}"));

        var follow = _h.Start("logs", "talker", "-f", "-n", "1", "--project-dir", _h.Dir);
        // Once it has printed the last line it is at the end of the file, following: what comes now is new.
        await Poll.Until(() => follow.Stdout.Count >= 1, "the follower printed nothing");
        var restart = await _h.Run("restart", "talker");
        Assert.True(restart.ExitCode == 0, restart.ToString());
        await Poll.Until(() => follow.Stdout.Any(l => l.Contains("launched daemon talker") && l.Contains("generation=2")),
            "the follower did not see the new launch:\n" + string.Join('\n', follow.Stdout));
        Assert.Contains(follow.Stdout, l => l.Contains($"stopping daemon talker (pid={talker.Pid})"));
        follow.Signal(Native.SIGTERM);
        await follow.WaitForExitAsync();

        await _h.StopUp(up);
        // No supervisor now: the log file is still there to read.
        var after = await _h.Run("logs", "talker", "-n", "2");
        Assert.True(after.ExitCode == 0, after.ToString());
        Assert.Contains(after.Stdout, l => l.Contains("[supervisor]") && l.Contains("stopped"));
        var unknown = await _h.Run("logs", "nosuch");
        Assert.True(unknown.ExitCode == 1, unknown.ToString());
        Assert.Contains("no log for daemon 'nosuch'", unknown.Err);
        var badCount = await _h.Run("logs", "talker", "-n", "100001");
        Assert.True(badCount.ExitCode == 2, badCount.ToString());
        Assert.Contains("--lines: '100001'", badCount.Err);
        await _h.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Events_streams_a_snapshot_then_every_change_of_a_daemon_killed_with_SIGKILL()
    {
        var p = _h.Project;
        var up = _h.Up(["--specs", _h.WriteSpecs("specs.json", p.HttpDaemon("web"), p.Daemon("worker")), .. ControlHarness.Quick]);
        var web = await up.WaitForState("web", "running");
        p.RememberPort(web.Port);
        await up.WaitForState("worker", "running");

        var json = _h.Start("events", "--json", "--project-dir", _h.Dir);
        var lines = _h.Start("events", "--project-dir", _h.Dir);
        JsonElement[] Parsed() => json.Stdout.Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();
        await Poll.Until(() => Parsed().Count(e => e.GetProperty("type").GetString() == "snapshot") == 2, "no snapshot");
        await Poll.Until(() => lines.States.Count == 2, "no snapshot lines");
        Assert.Equal(0, Native.kill(web.Pid, Native.SIGKILL));

        await Poll.Until(() => Parsed().Any(e => e.GetProperty("type").GetString() == "state"
                && e.GetProperty("daemon").GetProperty("state").GetString() == "running"
                && e.GetProperty("daemon").GetProperty("pid").GetInt32() != web.Pid),
            "no running event for the new process:\n" + string.Join('\n', json.Stdout));
        var changes = Parsed().Where(e => e.GetProperty("type").GetString() == "state").ToList();
        Assert.All(changes, e => Assert.Equal("web", e.GetProperty("daemon").GetProperty("name").GetString()));
        Assert.Equal(["restarting", "starting", "running"], changes.Select(e => e.GetProperty("daemon").GetProperty("state").GetString()));
        Assert.Equal(["running", "restarting", "starting"], changes.Select(e => e.GetProperty("previous").GetString()));
        var restarting = changes[0].GetProperty("daemon");
        Assert.Equal(9, restarting.GetProperty("last_failure").GetProperty("signal").GetInt32());
        // The same changes as up's own fixed lines.
        await Poll.Until(() => lines.States.Count(s => s.Daemon == "web") == 4, "human lines:\n" + string.Join('\n', lines.Stdout));
        Assert.Equal(["running", "restarting", "starting", "running"], lines.States.Where(s => s.Daemon == "web").Select(s => s.State));

        // When the supervisor stops, the streams end by themselves.
        await _h.StopUp(up);
        Assert.Equal(0, await json.WaitForExitAsync());
        Assert.Equal(0, await lines.WaitForExitAsync());
        await _h.AssertNothingLeftBehind();
    }

    public void Dispose() => _h.Dispose();
}
