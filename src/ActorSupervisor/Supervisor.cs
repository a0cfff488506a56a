using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Hosting.Logging;
using ActorSupervisor.Actors;
using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;
using Microsoft.Extensions.Logging;

namespace ActorSupervisor;

/// <summary>
/// NTM's Supervisor for code that does not speak Akka: every call is an Ask to the session actor. It owns an
/// ActorSystem unless it is given one. Snapshots it returns are deep copies the caller may change freely.
/// </summary>
/// <remarks>
/// Thread-safe: any number of callers may use one instance at once (the session actor orders their requests). Queries
/// time out after 30 s, stops after the stop grace plus 60 s (<see cref="TimeoutException"/> from Akka's Ask). Every
/// method but <see cref="ShutdownAsync"/> and <see cref="DisposeAsync"/> throws <see cref="InvalidOperationException"/>
/// once the supervisor has been shut down. Linux only.
/// </remarks>
public sealed class Supervisor : IAsyncDisposable
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(30);
    private readonly bool _ownsSystem;
    /// <summary>Completes when the session actor has stopped, however it stopped.</summary>
    private readonly Task _gone;

    /// <summary>The ActorSystem the session actor runs in: the supervisor's own, or the one it was given.</summary>
    public ActorSystem System { get; }

    /// <summary>The session actor, for callers that want to Ask it directly or watch it.</summary>
    public IActorRef Actor { get; }

    /// <summary>The session's settings in effect: the given config with every default filled in and ProjectDir absolute.</summary>
    public SupervisorConfig Config { get; }

    private Supervisor(SupervisorConfig config, ActorSystem system, IActorRef actor, bool ownsSystem)
    {
        Config = config.WithDefaults();
        System = system;
        Actor = actor;
        _ownsSystem = ownsSystem;
        _gone = Gone(actor, system);
    }

    /// <summary>
    /// Akka's Ask of an actor that has stopped waits out its whole timeout (the question goes to dead letters): the
    /// stop grace plus 60 s for a stop. Akka's DeathWatch for code outside actors (WatchAsync) lets every call fail at
    /// once instead.
    /// </summary>
    private static Task Gone(IActorRef actor, ActorSystem system)
    {
        if (actor.IsNobody() || system.WhenTerminated.IsCompleted) return Task.CompletedTask;
        return actor.WatchAsync();
    }

    /// <summary>
    /// A facade over a session actor that already exists (e.g. one registered by Akka.Hosting). It does not own the
    /// ActorSystem: disposing it stops nothing.
    /// </summary>
    /// <param name="sessionActor">The session actor (<c>IRequiredActor&lt;SessionSupervisorActor&gt;</c>).</param>
    /// <param name="system">The ActorSystem it runs in.</param>
    /// <param name="config">The session's config, for its id and stop grace.</param>
    public static Supervisor For(IActorRef sessionActor, ActorSystem system, SupervisorConfig config) =>
        new(config, system, sessionActor, ownsSystem: false);

    /// <summary>
    /// Creates the supervisor and its session actor. Throws <see cref="InvalidSpecException"/> (naming each bad field)
    /// before anything is created when the config is invalid.
    /// </summary>
    /// <param name="config">The session's settings; zeros take the defaults (the given system's <c>actorsupervisor { }</c> HOCON, then the library's).</param>
    /// <param name="system">
    /// An ActorSystem to create the session actor in, which stays the caller's; null for one of the supervisor's own,
    /// terminated when it is disposed or shut down.
    /// </param>
    /// <param name="loggers">Where the supervision log (and, for its own system, Akka's log) goes; null for nowhere.</param>
    /// <exception cref="InvalidSpecException">The config is invalid.</exception>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    public static Supervisor New(SupervisorConfig config, ActorSystem? system = null, ILoggerFactory? loggers = null)
    {
        Platform.EnsureLinux();
        Validation.EnsureValid(config);
        var owns = system is null;
        system ??= OwnSystem(loggers);
        var effective = SupervisorSettings.Apply(config, system.Settings.Config.WithFallback(SupervisorHocon.Defaults));
        var actor = system.ActorOf(SessionSupervisorActor.Props(effective, loggers), SessionSupervisorActor.ActorName(config.SessionId));
        return new Supervisor(effective, system, actor, owns);
    }

    /// <summary>
    /// The ActorSystem a facade makes for itself. A library writes nothing to stdout: Akka's own log goes to the given
    /// logger factory (category Akka.Actor.ActorSystem) like the supervision log, or nowhere.
    /// </summary>
    private static ActorSystem OwnSystem(ILoggerFactory? loggers)
    {
        var logging = loggers is null
            ? ConfigurationFactory.ParseString("akka { loglevel = OFF, stdout-loglevel = OFF }")
            : ConfigurationFactory.ParseString("""
                akka { stdout-loglevel = OFF, loggers = ["Akka.Hosting.Logging.LoggerFactoryLogger, Akka.Hosting"] }
                """);
        var setup = BootstrapSetup.Create().WithConfig(logging.WithFallback(SupervisorHocon.OwnedSystem));
        return loggers is null
            ? ActorSystem.Create("actorsupervisor", setup)
            : ActorSystem.Create("actorsupervisor", setup.And(new LoggerFactorySetup(loggers)));
    }

    /// <summary>
    /// Starts a daemon; completes once its process is launched (state starting) with its snapshot, or at once (pid 0,
    /// with a reason) when it waits for its dependencies. A stopped or failed daemon of the same name is replaced.
    /// </summary>
    /// <param name="spec">What to run.</param>
    /// <param name="cancellationToken">Stops waiting for the answer; the start itself goes on.</param>
    /// <exception cref="InvalidSpecException">The spec is invalid; nothing was started.</exception>
    /// <exception cref="InvalidOperationException">The supervisor is shut down, or the session refused the start (the reason is in the message).</exception>
    public async Task<ManagedDaemon> StartAsync(DaemonSpec spec, CancellationToken cancellationToken = default)
    {
        // Fail a bad spec here, with the caller's stack, rather than through the actor.
        Validation.EnsureValid(spec, Config.ProjectDir);
        var daemon = await AskSession<ManagedDaemon>(new SupervisorCommands.StartDaemon(spec), QueryTimeout, cancellationToken)
            .ConfigureAwait(false);
        return daemon.DeepCopy();
    }

    /// <summary>
    /// Stops a daemon (its stop signal, the grace period, SIGKILL, to the whole process group) and completes with its final
    /// snapshot (state stopped). It stays stopped until started again; daemons that depend on it keep running.
    /// </summary>
    /// <param name="name">The daemon's name.</param>
    /// <param name="cancellationToken">Stops waiting for the answer; the stop itself goes on.</param>
    /// <exception cref="KeyNotFoundException">The session has no daemon of that name.</exception>
    public async Task<ManagedDaemon> StopAsync(string name, CancellationToken cancellationToken = default)
    {
        var reply = await AskSession<object>(new SupervisorCommands.StopDaemon(name), StopTimeout, cancellationToken).ConfigureAwait(false);
        return reply switch
        {
            ManagedDaemon d => d.DeepCopy(),
            DaemonNotFound => throw new KeyNotFoundException($"no daemon named '{name}' in session '{Config.SessionId}'"),
            _ => throw new InvalidOperationException($"unexpected reply {reply}"),
        };
    }

    /// <summary>
    /// Restarts a daemon now: its process is stopped (SIGTERM, grace, SIGKILL) and a new one started on the same
    /// port, with no failure counted and no backoff; a stopped or failed daemon is started again. Completes with the
    /// new process's snapshot (state starting).
    /// </summary>
    /// <param name="name">The daemon's name.</param>
    /// <param name="cancellationToken">Stops waiting for the answer; the restart itself goes on.</param>
    /// <exception cref="KeyNotFoundException">The session has no daemon of that name.</exception>
    public async Task<ManagedDaemon> RestartAsync(string name, CancellationToken cancellationToken = default)
    {
        var reply = await AskSession<object>(new SupervisorCommands.RestartDaemon(name), StopTimeout, cancellationToken).ConfigureAwait(false);
        return reply switch
        {
            ManagedDaemon d => d.DeepCopy(),
            DaemonNotFound => throw new KeyNotFoundException($"no daemon named '{name}' in session '{Config.SessionId}'"),
            Status.Failure f => throw f.Cause,
            _ => throw new InvalidOperationException($"unexpected reply {reply}"),
        };
    }

    /// <summary>
    /// Waits until the daemon is running (healthy, or settled when it has no health check), and returns its snapshot.
    /// Throws <see cref="InvalidOperationException"/> with the reason if it ends stopped or failed first, and
    /// <see cref="TimeoutException"/> after <paramref name="timeout"/>.
    /// </summary>
    /// <param name="name">The daemon's name.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Cancels the wait with an <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="KeyNotFoundException">The session has no daemon of that name.</exception>
    public Task<ManagedDaemon> WaitUntilRunningAsync(string name, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        WaitForAsync(name, d => d.State == DaemonState.Running, "running", timeout, cancellationToken);

    /// <summary>
    /// Waits until the daemon's health check has passed (readiness: what dependents with "healthy" wait for); a daemon
    /// without a health check counts once it has settled. Like <see cref="WaitUntilRunningAsync"/> otherwise.
    /// </summary>
    /// <param name="name">The daemon's name.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Cancels the wait with an <see cref="OperationCanceledException"/>.</param>
    public Task<ManagedDaemon> WaitUntilHealthyAsync(string name, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        WaitForAsync(name, d => d.State == DaemonState.Running, "healthy", timeout, cancellationToken);

    private async Task<ManagedDaemon> WaitForAsync(string name, Func<ManagedDaemon, bool> reached, string what, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        EnsureNotShutDown();
        var seen = new TaskCompletionSource<ManagedDaemon>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Consider(ManagedDaemon d)
        {
            if (d.Name != name) return;
            if (reached(d)) seen.TrySetResult(d.DeepCopy());
            else if (d.State is DaemonState.Stopped or DaemonState.Failed)
                seen.TrySetException(new InvalidOperationException(
                    $"daemon '{name}' is {d.State.ToWord()}, not {what}" + (d.LastFailure is { } f ? $": {f}" : d.Reason is { } r ? $": {r}" : "")));
        }
        // Subscribed before the first look, so no change can slip between the two.
        using var subscription = Subscribe(e => Consider(e.Daemon));
        var now = await GetDaemonAsync(name, cancellationToken).ConfigureAwait(false)
                  ?? throw new KeyNotFoundException($"no daemon named '{name}' in session '{Config.SessionId}'");
        Consider(now);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        await using (cts.Token.Register(() => seen.TrySetException(cancellationToken.IsCancellationRequested
                         ? new OperationCanceledException(cancellationToken)
                         : new TimeoutException($"daemon '{name}' was not {what} within {Configuration.Duration.Format(timeout)}"))))
        {
            if (await Task.WhenAny(seen.Task, _gone).ConfigureAwait(false) != seen.Task && !seen.Task.IsCompleted) throw ShutDown();
            return await seen.Task.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops every daemon in parallel (N daemons take about one stop grace period) and completes with every daemon's
    /// final snapshot by name. Later starts are still accepted.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for the answer; the stops go on.</param>
    public async Task<IReadOnlyDictionary<string, ManagedDaemon>> StopAllAsync(CancellationToken cancellationToken = default)
    {
        var report = await AskSession<SupervisorReplies.StatusReport>(SupervisorCommands.StopAll.Instance, StopTimeout, cancellationToken)
            .ConfigureAwait(false);
        return Copy(report);
    }

    /// <summary>
    /// Stops every daemon and refuses later starts; then terminates the ActorSystem if this supervisor made it. Safe to
    /// call more than once.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for the daemons' stops.</param>
    public async Task ShutdownAsync(CancellationToken cancellationToken = default)
    {
        if (!System.WhenTerminated.IsCompleted && !_gone.IsCompleted)
        {
            try
            {
                await AskSession<SupervisorReplies.StatusReport>(SupervisorCommands.Shutdown.Instance, StopTimeout, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (AskTimeoutException) { }
            catch (InvalidOperationException) when (_gone.IsCompleted) { } // stopped by someone else: nothing left to stop
        }
        if (_ownsSystem) await System.Terminate().ConfigureAwait(false);
    }

    /// <summary>The daemon's snapshot (a deep copy), or null when the session has no daemon of that name.</summary>
    /// <param name="name">The daemon's name.</param>
    /// <param name="cancellationToken">Stops waiting for the answer.</param>
    public async Task<ManagedDaemon?> GetDaemonAsync(string name, CancellationToken cancellationToken = default)
    {
        var reply = await AskSession<object>(new SupervisorQueries.GetDaemon(name), QueryTimeout, cancellationToken)
            .ConfigureAwait(false);
        return reply is ManagedDaemon d ? d.DeepCopy() : null;
    }

    /// <summary>NTM's GetDaemon: the snapshot and whether it was found. Blocks; prefer <see cref="GetDaemonAsync"/>.</summary>
    /// <param name="name">The daemon's name.</param>
    public (ManagedDaemon? Daemon, bool Found) GetDaemon(string name)
    {
        var daemon = Task.Run(() => GetDaemonAsync(name)).GetAwaiter().GetResult();
        return (daemon, daemon is not null);
    }

    /// <summary>Every daemon of the session by name (ordinal), stopped and failed ones included, as deep copies.</summary>
    /// <param name="cancellationToken">Stops waiting for the answer.</param>
    public async Task<IReadOnlyDictionary<string, ManagedDaemon>> StatusAsync(CancellationToken cancellationToken = default)
    {
        var report = await AskSession<SupervisorReplies.StatusReport>(SupervisorQueries.GetStatus.Instance, QueryTimeout, cancellationToken)
            .ConfigureAwait(false);
        return Copy(report);
    }

    /// <summary>
    /// Daemons of other sessions under the same project dir, from their PID files: for display only, this session never
    /// signals them.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for the answer.</param>
    public async Task<IReadOnlyList<SupervisorReplies.ForeignDaemon>> ForeignAsync(CancellationToken cancellationToken = default)
    {
        var report = await AskSession<SupervisorReplies.StatusReport>(new SupervisorQueries.GetStatus(IncludeForeign: true), QueryTimeout, cancellationToken)
            .ConfigureAwait(false);
        return report.Foreign;
    }

    /// <summary>NTM's Status: every daemon by name, as deep copies. Blocks; prefer <see cref="StatusAsync"/>.</summary>
    public IReadOnlyDictionary<string, ManagedDaemon> Status() => Task.Run(() => StatusAsync()).GetAwaiter().GetResult();

    /// <summary>
    /// Shuts down a supervisor that owns its ActorSystem. One given a system (or made by hosting) leaves the
    /// system's owner in charge: its CoordinatedShutdown stops the daemons.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_ownsSystem) await ShutdownAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Calls <paramref name="handler"/> for every state change of this session's daemons, in order, one at a time.
    /// Dispose the result to stop.
    /// </summary>
    /// <param name="handler">
    /// Called on an actor's thread, one change at a time; it should return quickly and must not throw: an exception
    /// ends the subscription (Akka logs it).
    /// </param>
    public IDisposable Subscribe(Action<SupervisorEvents.DaemonStateChanged> handler)
    {
        var forwarder = System.ActorOf(EventForwarder.Props(Config.SessionId, handler));
        // Subscribed here rather than when the actor starts, so every change after this call returns is delivered.
        System.EventStream.Subscribe(forwarder, typeof(SupervisorEvents.DaemonStateChanged));
        return new Unsubscriber(forwarder);
    }

    /// <summary>
    /// This session's state changes as they happen, in order, until <paramref name="cancellationToken"/> is cancelled
    /// (the enumeration then ends quietly). Each change is a new state or a new process, never the same one twice.
    /// </summary>
    /// <param name="cancellationToken">Ends the enumeration.</param>
    /// <remarks>
    /// Subscribed when called, so nothing that happens after the call is missed, however late the enumeration starts.
    /// Changes are buffered without bound until read: enumerate it, or cancel it.
    /// </remarks>
    public IAsyncEnumerable<SupervisorEvents.DaemonStateChanged> WatchAsync(CancellationToken cancellationToken = default)
    {
        EnsureNotShutDown();
        var changes = global::System.Threading.Channels.Channel.CreateUnbounded<SupervisorEvents.DaemonStateChanged>(
            new global::System.Threading.Channels.UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var subscription = Subscribe(change => changes.Writer.TryWrite(change));
        return Read(changes.Reader, subscription, cancellationToken);
    }

    private static async IAsyncEnumerable<SupervisorEvents.DaemonStateChanged> Read(
        global::System.Threading.Channels.ChannelReader<SupervisorEvents.DaemonStateChanged> reader, IDisposable subscription,
        [global::System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (subscription)
        {
            while (true)
            {
                SupervisorEvents.DaemonStateChanged? change = null;
                try
                {
                    if (!await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false)) yield break;
                    reader.TryRead(out change);
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }
                if (change is not null) yield return change;
            }
        }
    }

    private sealed class Unsubscriber(IActorRef forwarder) : IDisposable
    {
        public void Dispose() => forwarder.Tell(PoisonPill.Instance);
    }

    /// <summary>Stops run in parallel: one grace period, plus time to see every exit.</summary>
    private TimeSpan StopTimeout => Config.StopGrace + TimeSpan.FromSeconds(60);

    private void EnsureNotShutDown()
    {
        if (System.WhenTerminated.IsCompleted || Actor.IsNobody() || _gone.IsCompleted) throw ShutDown();
    }

    private InvalidOperationException ShutDown() => new($"supervisor of session '{Config.SessionId}' has been shut down");

    /// <summary>Asks the session actor; fails at once, as a shut-down supervisor does, if the actor stops first.</summary>
    private async Task<T> AskSession<T>(object message, TimeSpan timeout, CancellationToken cancellationToken)
    {
        EnsureNotShutDown();
        var ask = Actor.Ask<T>(message, timeout, cancellationToken);
        // An answer is in before the actor's Terminated: its Tell completes the ask where the actor runs.
        if (await Task.WhenAny(ask, _gone).ConfigureAwait(false) == ask || ask.IsCompleted) return await ask.ConfigureAwait(false);
        throw ShutDown();
    }

    private static Dictionary<string, ManagedDaemon> Copy(SupervisorReplies.StatusReport report) =>
        report.Daemons.ToDictionary(kv => kv.Key, kv => kv.Value.DeepCopy(), StringComparer.Ordinal);
}
