using System.Text.RegularExpressions;
using ActorSupervisor.Daemons;
using ActorSupervisor.Tests.Support;
using Microsoft.Extensions.Logging;

namespace ActorSupervisor.Tests.Integration;

/// <summary>
/// on_unhealthy = mark in real time, with a daemon the shared HTTP prober watches: each failed probe of a running
/// daemon is in the supervision log, the daemon is marked unhealthy with its process kept, and the next probe that
/// passes makes it running again; the daemon's log says both, in the supervisor's own lines.
/// </summary>
public sealed class DaemonRunUnhealthySpecs : RealTimeSpecs
{
    [Fact]
    public async Task A_watched_daemon_whose_probes_fail_now_and_then_is_marked_unhealthy_and_runs_again_when_one_passes_and_its_logs_say_so()
    {
        var sink = new CapturingLoggers();
        var supervisor = Supervisor.New(Project.Config(c => c with { FailureThreshold = 1, StopGrace = TimeSpan.FromSeconds(10) }), loggers: sink);
        var states = new List<DaemonState>();
        using var subscription = supervisor.Subscribe(e =>
        {
            if (e.Name == "flaky") lock (states) states.Add(e.State);
        });
        // Every third probe answers 503, the others 200: running, unhealthy, running again, and so on.
        await supervisor.StartAsync(Project.HttpDaemon("flaky", "--unhealthy-every", "3") with { OnUnhealthy = UnhealthyAction.Mark });

        await Until(() =>
        {
            lock (states) return string.Join(",", states).Contains("Running,Unhealthy,Running");
        }, "running, unhealthy, then running again");
        var now = (await supervisor.GetDaemonAsync("flaky"))!;
        Project.RememberPort(now.Port);
        var (pid, port) = (now.Pid, now.Port);
        await GracefulStop.StopAllAndShutdown(supervisor, []);

        Assert.Equal(0, now.Restarts);
        var error = $"GET http://127.0.0.1:{port}/health answered 503";
        Assert.Contains(sink.Entries, e => e.Level == LogLevel.Warning &&
            e.Message == $"flaky: health probe failed (1 of 1): {error} (pid {pid}, session {Project.SessionId}, generation 1)");
        var notes = File.ReadLines(Project.Store.LogPathFor("flaky", Project.SessionId))
            .Where(l => l.StartsWith("[supervisor] ", StringComparison.Ordinal)).ToList();
        Assert.Contains(notes, l => Note($"daemon flaky (pid={pid}) health check failing: {error}; marked unhealthy, process kept").IsMatch(l));
        Assert.Contains(notes, l => Note($"daemon flaky (pid={pid}) health probe passed; unhealthy -> running").IsMatch(l));
    }

    private static Regex Note(string text) =>
        new(@"^\[supervisor\] \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z " + Regex.Escape(text) + "$");
}
