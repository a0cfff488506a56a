using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using ActorSupervisor.Actors;
using ActorSupervisor.Daemons;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;
using Xunit.Abstractions;

namespace ActorSupervisor.Tests.Actors;

/// <summary>
/// One generation of a daemon against its clocks, on virtual time: which of its timers exist and when they fire, what a
/// watched daemon leaves to the prober's own clock, and what it does when a timer finds it still unproved. Health is
/// answered by a loopback HTTP server the spec scripts; the daemon underneath is a real test daemon.
/// </summary>
public sealed class DaemonActorClockSpecs(ITestOutputHelper output) : VirtualTimeSpecs(output)
{
    private static string Healthy(LoopbackHttpServer.Request _) => LoopbackHttpServer.Answer(200, "{}");

    /// <summary>A daemon with no port of its own, health-checked at <paramref name="server"/>: the prober watches it.</summary>
    private DaemonSpec Watched(string name, LoopbackHttpServer server) =>
        Project.Daemon(name) with { HealthUrl = server.Url("/health").ToString() };

    /// <summary>
    /// Returns once the daemon's generation has handled every message sent to it before this call: an Identify goes
    /// through its mailbox behind them, so what it told the session on the way is in the session's mailbox first.
    /// </summary>
    private async Task GenerationHasCaughtUp(string name)
    {
        var path = $"/user/{SessionSupervisorActor.ActorName(Project.SessionId)}/{name}/daemon";
        var identity = await Sys.ActorSelection(path).Ask<ActorIdentity>(new Identify(name), Patience);
        Assert.NotNull(identity.Subject);
    }

    [Fact]
    public async Task A_watched_daemon_is_proved_healthy_on_the_probers_own_clock_without_the_actors_timers()
    {
        // The first probe fails; only a second one, which the virtual clock never asks for, can make it running.
        var probes = 0;
        using var server = new LoopbackHttpServer(r => Interlocked.Increment(ref probes) == 1 ? LoopbackHttpServer.Answer(503, "{}") : Healthy(r));
        var supervisor = Supervise();
        var started = Start(supervisor, Watched("watched", server));

        var running = ExpectState("watched", DaemonState.Running); // the virtual clock has not moved

        Assert.Equal(started.Pid, running.Pid);
        Assert.True(Volatile.Read(ref probes) >= 2);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Theory]
    [InlineData(5, 10)]   // a short health interval: the log is checked every ten seconds, no more often
    [InlineData(30, 30)]  // a long one: at the health interval
    public async Task A_watched_daemons_log_and_last_health_are_looked_at_every_health_interval_but_at_most_every_ten_seconds(
        int healthSeconds, int checkSeconds)
    {
        using var server = new LoopbackHttpServer(Healthy);
        var supervisor = Supervise(c => c with { HealthInterval = TimeSpan.FromSeconds(healthSeconds) });
        Start(supervisor, Watched("watched", server));
        // Running carries the time the actor saw it healthy; the prober's own record of its last healthy answer is a
        // different time, and only a log check passes it on.
        var seen = ExpectState("watched", DaemonState.Running).LastHealth;
        Assert.NotNull(seen);

        Clock.Advance(TimeSpan.FromSeconds(checkSeconds) - TimeSpan.FromMilliseconds(1));
        await GenerationHasCaughtUp("watched");
        Assert.Equal(seen, Query(supervisor, "watched").LastHealth);

        Clock.Advance(TimeSpan.FromMilliseconds(1));
        await GenerationHasCaughtUp("watched");
        Assert.NotEqual(seen, Query(supervisor, "watched").LastHealth);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_daemon_not_healthy_within_its_startup_timeout_is_marked_unhealthy_and_kept_when_so_configured()
    {
        using var server = new LoopbackHttpServer(_ => LoopbackHttpServer.Answer(503, "{}"));
        var supervisor = Supervise();
        var started = Start(supervisor, Watched("sick", server) with { OnUnhealthy = UnhealthyAction.Mark });

        Clock.Advance(TimeSpan.FromSeconds(20)); // the startup timeout (TestProject's config)
        var unhealthy = ExpectState("sick", DaemonState.Unhealthy);

        Assert.Equal(started.Pid, unhealthy.Pid);
        Assert.True(ProcessScan.IsAlive(started.Pid));
        Assert.Null(unhealthy.LastFailure);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_restart_whose_required_port_was_taken_meanwhile_fails_as_unlaunchable_naming_the_port()
    {
        var port = TestPorts.Unbound();
        var supervisor = Supervise();
        var spec = Project.Daemon("pinned") with
        {
            PortFlag = "--port", NeedsPort = true, DefaultPort = port, RequirePort = true, MaxRestarts = 1,
        };
        var started = Start(supervisor, spec);
        Assert.Equal(port, started.Port);
        Clock.Advance(TimeSpan.FromSeconds(1));
        ExpectState("pinned", DaemonState.Running);

        Native.kill(started.Pid, Native.SIGKILL);
        ExpectState("pinned", DaemonState.Restarting);
        AwaitBackoffScheduled("pinned", 1);
        // Someone else takes the port while the daemon waits for its restart (the killed process no longer holds it).
        TcpListener? taker = null;
        AwaitAssert(() =>
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            try { listener.Start(); }
            catch { listener.Dispose(); throw; }
            taker = listener;
        }, Patience, TimeSpan.FromMilliseconds(50));
        Clock.Advance(TimeSpan.FromSeconds(1));

        var failed = ExpectState("pinned", DaemonState.Failed);
        Assert.Equal(FailureKind.CannotLaunch, failed.LastFailure!.Kind);
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), failed.LastFailure.Reason);
        Assert.Equal(0, failed.Pid);
        Assert.Equal(1, failed.Restarts);
        taker!.Dispose();
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_stop_of_a_daemon_still_waiting_for_its_dependencies_ends_its_generation_and_the_daemon_stopped()
    {
        var supervisor = Supervise();
        var waiting = Start(supervisor, Project.Daemon("web") with
        {
            DependsOn = new Dictionary<string, DependencyCondition> { ["db"] = DependencyCondition.Healthy },
        });
        Assert.Equal((DaemonState.Starting, 0), (waiting.State, waiting.Pid));

        supervisor.Tell(new SupervisorCommands.StopDaemon("web"), TestActor);

        // Stopped only once the waiting generation is gone: a generation that ignored the stop would keep it stopping.
        var stopped = ExpectState("web", DaemonState.Stopped);
        Assert.Equal(0, stopped.Pid);
        Assert.Null(stopped.LastFailure);
        await Shutdown(Sys);
        await Project.AssertNothingLeftBehind();
    }
}
