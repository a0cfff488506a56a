using Akka.Actor;
using Akka.Configuration;
using Akka.Pattern;
using Akka.TestKit;
using ActorSupervisor.Actors;
using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;
using Xunit.Abstractions;

namespace ActorSupervisor.Tests.Support;

/// <summary>
/// TestKit on virtual time: timers and backoff delays move only when a test advances the clock. Processes, exits
/// and HTTP probes are real, so each step waits (in real time, generously) for the real event it expects.
/// </summary>
public abstract class VirtualTimeSpecs : Akka.TestKit.Xunit2.TestKit, IAsyncLifetime
{
    private static readonly Config VirtualTime = ConfigurationFactory.ParseString("""
        akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
        akka.loglevel = INFO
        akka.test.single-expect-default = 20s
        """).WithFallback(SupervisorHocon.Defaults);

    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    protected readonly TestProject Project = new();

    protected VirtualTimeSpecs(ITestOutputHelper output) : base(VirtualTime, output: output)
    {
        Sys.EventStream.Subscribe(TestActor, typeof(SupervisorEvents.DaemonStateChanged));
    }

    protected TestScheduler Clock => (TestScheduler)Sys.Scheduler;

    /// <summary>The session settings these specs share (short probe intervals, 1 s backoff, 2 s stop grace), then <paramref name="change"/>.</summary>
    protected SupervisorConfig SessionConfig(Func<SupervisorConfig, SupervisorConfig>? change = null) =>
        Project.Config(c => (change ?? (x => x))(c with
        {
            HealthInterval = TimeSpan.FromSeconds(5),
            StartupProbeInterval = TimeSpan.FromMilliseconds(100),
            RestartBackoffMin = TimeSpan.FromSeconds(1),
            RestartBackoffMax = TimeSpan.FromSeconds(60),
            StablePeriod = TimeSpan.FromSeconds(30),
            SettleTime = TimeSpan.FromSeconds(1),
            StopGrace = TimeSpan.FromSeconds(2),
        }));

    /// <summary>depends_on with one entry.</summary>
    protected static Dictionary<string, DependencyCondition> On(string name, DependencyCondition condition = DependencyCondition.Started) =>
        new() { [name] = condition };

    /// <summary>A daemon that ignores SIGTERM, so its stop takes the whole (real-time) stop grace; see <see cref="AwaitReady"/>.</summary>
    protected DaemonSpec Stubborn(string name) =>
        Project.Daemon(name, "--ignore-sigterm", "--ready-file", Path.Combine(Project.Dir, name + ".ready"));

    /// <summary>Waits until a <see cref="Stubborn"/> daemon has its SIGTERM handler in place.</summary>
    protected void AwaitReady(string name) =>
        AwaitCondition(() => File.Exists(Path.Combine(Project.Dir, name + ".ready")), Patience);

    protected string LockFile(string name) => Project.Store.LockPathFor(name, Project.SessionId);

    /// <summary>The session actor on <see cref="SessionConfig"/>, logging the supervision log into <paramref name="loggers"/> if given.</summary>
    protected IActorRef Supervise(Func<SupervisorConfig, SupervisorConfig>? change = null, Microsoft.Extensions.Logging.ILoggerFactory? loggers = null)
    {
        var config = SessionConfig(change);
        return Sys.ActorOf(SessionSupervisorActor.Props(config, loggers), SessionSupervisorActor.ActorName(config.SessionId));
    }

    protected ManagedDaemon Start(IActorRef supervisor, DaemonSpec spec)
    {
        supervisor.Tell(new SupervisorCommands.StartDaemon(spec), TestActor);
        var daemon = FishForMessage<ManagedDaemon>(_ => true, Patience);
        Project.RememberPort(daemon.Port);
        return daemon;
    }

    /// <summary>The next state change of <paramref name="name"/> into <paramref name="state"/>, skipping others.</summary>
    protected ManagedDaemon ExpectState(string name, DaemonState state, TimeSpan? within = null) =>
        FishForMessage<SupervisorEvents.DaemonStateChanged>(e => e.Name == name && e.State == state, within ?? Patience).Daemon;

    /// <summary>The next launch of a process for <paramref name="name"/> (state starting with a PID).</summary>
    protected ManagedDaemon ExpectLaunched(string name, TimeSpan? within = null) =>
        FishForMessage<SupervisorEvents.DaemonStateChanged>(
            e => e.Name == name && e.State == DaemonState.Starting && e.Daemon.Pid > 0, within ?? Patience).Daemon;

    /// <summary>Advances the clock in steps until the daemon reaches a state (for waits that include real probes).</summary>
    protected ManagedDaemon AdvanceUntil(string name, DaemonState state, TimeSpan step, int maxSteps = 200)
    {
        for (var i = 0; i < maxSteps; i++)
        {
            Clock.Advance(step);
            var hit = ReceiveWhile<SupervisorEvents.DaemonStateChanged>(TimeSpan.FromMilliseconds(100), m => (m as SupervisorEvents.DaemonStateChanged)!)
                .LastOrDefault(e => e.Name == name && e.State == state);
            if (hit is not null) return hit.Daemon;
        }
        throw new TimeoutException($"{name} did not become {state.ToWord()}");
    }

    /// <summary>
    /// Waits until the daemon's BackoffSupervisor has handled the incarnation's end (and so has scheduled the next
    /// start on the virtual clock), so the test's Advance cannot run ahead of it.
    /// </summary>
    protected void AwaitBackoffScheduled(string name, int restartCount)
    {
        var backoff = Sys.ActorSelection($"/user/{SessionSupervisorActor.ActorName(Project.SessionId)}/{name}");
        AwaitAssert(() =>
        {
            var count = backoff.Ask<BackoffSupervisor.RestartCount>(BackoffSupervisor.GetRestartCount.Instance, TimeSpan.FromSeconds(5))
                .Result.Count;
            Assert.Equal(restartCount, count);
        }, Patience, TimeSpan.FromMilliseconds(20));
    }

    /// <summary>
    /// kill -9 a daemon without a health check, and follow it back: restarting, the backoff (after the
    /// BackoffSupervisor has scheduled it), the relaunch, and running once it has settled for 1 s.
    /// </summary>
    protected (ManagedDaemon Restarting, ManagedDaemon Relaunched) CrashAndRecover(string name, int pid, int restartCount, TimeSpan backoff)
    {
        ActorSupervisor.Processes.Native.kill(pid, ActorSupervisor.Processes.Native.SIGKILL);
        var restarting = ExpectState(name, DaemonState.Restarting);
        AwaitBackoffScheduled(name, restartCount);
        Clock.Advance(backoff);
        var relaunched = ExpectLaunched(name);
        Clock.Advance(TimeSpan.FromSeconds(1));
        ExpectState(name, DaemonState.Running);
        return (restarting, relaunched);
    }

    protected ManagedDaemon Query(IActorRef supervisor, string name)
    {
        supervisor.Tell(new SupervisorQueries.GetDaemon(name), TestActor);
        return FishForMessage<ManagedDaemon>(_ => true, Patience);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await Shutdown(Sys);
        Project.Dispose();
    }

    protected async Task Shutdown(ActorSystem system)
    {
        var supervisor = await system.ActorSelection($"/user/{SessionSupervisorActor.ActorName(Project.SessionId)}")
            .ResolveOne(TimeSpan.FromSeconds(5)).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null);
        // Not swallowed: a stop that does not finish in time fails the test instead of being finished by PostStop's SIGKILL.
        if (supervisor is not null)
            await supervisor.Ask<SupervisorReplies.StatusReport>(SupervisorCommands.Shutdown.Instance, TimeSpan.FromSeconds(30));
    }
}
