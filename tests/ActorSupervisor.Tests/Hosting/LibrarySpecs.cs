using Akka.Actor;
using Akka.Hosting;
using ActorSupervisor.Actors;
using ActorSupervisor.Daemons;
using ActorSupervisor.Hosting;
using ActorSupervisor.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorSupervisor.Tests.Hosting;

/// <summary>The library as .NET developers use it: several sessions in one ActorSystem, logging, watching.</summary>
public sealed class LibrarySpecs : IDisposable
{
    private readonly TestProject _first = new();
    private readonly TestProject _second = new();

    private sealed class Second;

    [Fact]
    public async Task One_ActorSystem_runs_several_sessions_each_under_its_own_key()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAkka("app", akka => akka
            .WithDaemonSupervisor(_first.Config(), [_first.Daemon("a")])
            .WithDaemonSupervisor<Second>(_second.Config(), [_second.Daemon("b")]));
        using var host = builder.Build();
        await host.StartAsync();

        var first = host.Services.GetRequiredService<IRequiredActor<SessionSupervisorActor>>().ActorRef;
        var second = host.Services.GetRequiredService<IRequiredActor<Second>>().ActorRef;
        Assert.NotEqual(first, second);
        var a = await WaitRunning(first, "a");
        var b = await WaitRunning(second, "b");
        Assert.Equal(_first.SessionId, a.OwnerId);
        Assert.Equal(_second.SessionId, b.OwnerId);
        Assert.IsType<DaemonNotFound>(await first.Ask<object>(new SupervisorQueries.GetDaemon("b"), TimeSpan.FromSeconds(5)));

        await host.StopAsync();
        await _first.AssertNothingLeftBehind();
        await _second.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task The_supervision_log_reaches_ILogger_with_a_category_per_daemon_and_structured_properties()
    {
        var sink = new CapturingLoggers();
        await using (var supervisor = Supervisor.New(_first.Config(c => c with { MaxRestarts = 1 }), loggers: sink))
        {
            var crashy = await supervisor.StartAsync(_first.Daemon("crashy", "--exit-after", "0"));
            await Poll.Until(() => sink.Entries.Any(e => e.Category == "ActorSupervisor.Daemon.crashy" && e.Level == LogLevel.Warning));
            var launched = sink.Entries.First(e => e.Category == "ActorSupervisor.Daemon.crashy" && e.Properties.ContainsKey("Pid"));
            Assert.Equal("crashy", launched.Properties["Daemon"]);
            Assert.Equal(_first.SessionId, launched.Properties["Session"]);
            Assert.Equal(crashy.Pid, launched.Properties["Pid"]);
            Assert.True(launched.Properties.ContainsKey("Generation"));
            Assert.DoesNotContain(sink.Entries, e => e.Message.StartsWith('['));  // no Akka-style prefix inside messages
        }
        await _first.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task WatchAsync_yields_each_change_once_in_order()
    {
        await using var supervisor = Supervisor.New(_first.Config());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<SupervisorEvents.DaemonStateChanged>();
        var changes = supervisor.WatchAsync(cts.Token); // subscribed now, though read below
        await supervisor.StartAsync(_first.Daemon("w"));
        var watching = Task.Run(async () =>
        {
            await foreach (var change in changes)
            {
                seen.Add(change);
                if (change.State == DaemonState.Stopped) break;
            }
        });
        await supervisor.WaitUntilRunningAsync("w", TimeSpan.FromSeconds(30));
        await supervisor.StopAsync("w");
        await watching;

        Assert.Equal([DaemonState.Starting, DaemonState.Running, DaemonState.Stopping, DaemonState.Stopped], seen.Select(e => e.State));
        for (var i = 1; i < seen.Count; i++) Assert.Equal(seen[i - 1].State, seen[i].Previous);
    }

    [Fact]
    public async Task A_supervisor_whose_session_actor_was_stopped_by_someone_else_says_it_is_shut_down_without_waiting_out_its_timeouts()
    {
        var system = ActorSystem.Create("stopped-elsewhere");
        try
        {
            // A 10-minute grace makes a stop wait 11 minutes for its answer; the 60 s bounds below fail any call that
            // waits out its timeout instead of noticing the session actor is gone.
            var supervisor = Supervisor.New(_first.Config(c => c with { StopGrace = TimeSpan.FromMinutes(10) }), system);
            var never = await supervisor.StartAsync(_first.HttpDaemon("never", "--sleep-before-listen", "10m") with
            {
                StartupTimeout = TimeSpan.FromMinutes(10),
            });
            var waiting = supervisor.WaitUntilRunningAsync("never", TimeSpan.FromMinutes(10));

            // Its owner stops the session actor directly (not through the facade): the actor kills its daemons. A
            // PoisonPill, so that the questions asked right after it are behind it in the mailbox: they go to dead
            // letters, unanswered, unless the facade has seen the actor stop first and refuses them unasked. Either
            // way each call must fail at once.
            supervisor.Actor.Tell(PoisonPill.Instance);
            Task[] calls =
            [
                supervisor.StatusAsync(), supervisor.GetDaemonAsync("never"), supervisor.StopAllAsync(), supervisor.StopAsync("never"),
                supervisor.RestartAsync("never"), supervisor.StartAsync(_first.Daemon("late")), waiting,
            ];
            var shutDown = $"supervisor of session '{_first.SessionId}' has been shut down";
            for (var i = 0; i < calls.Length; i++)
            {
                var refused = await Record.ExceptionAsync(() => calls[i].WaitAsync(TimeSpan.FromSeconds(60)));
                Assert.True(refused is InvalidOperationException { Message: var m } && m == shutDown, $"call {i}: {refused?.Message ?? "answered"}");
            }
            await supervisor.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(60)); // nothing left to stop: it returns
            Assert.False(system.WhenTerminated.IsCompleted, "the system stays its owner's");
            await Poll.Until(() => _first.LiveProcesses().Count == 0);
            Assert.True(never.Pid > 0);
        }
        finally
        {
            await system.Terminate();
        }
        await _first.AssertNothingLeftBehind();
    }

    private static async Task<ManagedDaemon> WaitRunning(IActorRef supervisor, string name)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (await supervisor.Ask<object>(new SupervisorQueries.GetDaemon(name), TimeSpan.FromSeconds(5)) is ManagedDaemon { State: DaemonState.Running } d)
                return d;
            if (DateTime.UtcNow > deadline) throw new TimeoutException(name);
            await Task.Delay(25);
        }
    }

    public void Dispose()
    {
        _first.Dispose();
        _second.Dispose();
    }
}
