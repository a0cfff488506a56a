using Akka.Actor;
using Akka.Pattern;
using ActorSupervisor.Daemons;
using ActorSupervisor.Lifecycle;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Ports;
using Microsoft.Extensions.Logging;
using static ActorSupervisor.Actors.SupervisorCommands;
using static ActorSupervisor.Actors.SupervisorQueries;

namespace ActorSupervisor.Actors;

/// <summary>
/// The session actor: one per session, it supervises that session's daemons. Send it
/// <see cref="SupervisorCommands"/> and <see cref="SupervisorQueries"/> (every one is answered, see each), and subscribe
/// to <see cref="SupervisorEvents"/> on the ActorSystem's event stream. One daemon's failure never restarts it: a
/// daemon that fails is restarted with backoff or left failed, and the others run on. When it stops (or its
/// ActorSystem terminates) without a <see cref="SupervisorCommands.Shutdown"/>, it kills its daemons' process groups.
/// Create it with <see cref="Props"/>, or let <c>WithDaemonSupervisor</c> (Akka.Hosting) or
/// <see cref="Supervisor.New"/> do it.
/// </summary>
/// <remarks>
/// Inside, the actor is a registry and router: each daemon's state and how news changes it is kept in one immutable
/// record per daemon; the actor routes news from the daemon's current generation to it, answers every query from it
/// (also while a daemon is between generations), and does what the record cannot: the OS lock and port claim a daemon
/// holds, the BackoffSupervisor that runs its generations, the callers waiting for a start or a stop, and the events
/// for subscribers.
/// </remarks>
public sealed class SessionSupervisorActor : ReceiveActor
{
    /// <summary>
    /// The name the library gives a session's actor under /user (<c>daemon-supervisor-&lt;session&gt;</c>), so that
    /// <c>ActorSelection("/user/" + ActorName(id))</c> finds it. A second actor of the same session in one ActorSystem
    /// is refused by Akka for this name.
    /// </summary>
    /// <param name="sessionId">The session's id (<see cref="SupervisorConfig.SessionId"/>).</param>
    public static string ActorName(string sessionId) => $"daemon-supervisor-{sessionId}";

    /// <summary>What the session holds for one daemon besides its record.</summary>
    private sealed class Slot(DaemonRecord record)
    {
        public DaemonRecord Record = record;
        public IActorRef? Backoff;
        public DaemonLock? Lock;
        public int ClaimedPort;
        public IActorRef? StartWaiter;
        public readonly List<IActorRef> StopWaiters = [];
        /// <summary>A start (or restart) to begin once the previous BackoffSupervisor has gone.</summary>
        public (DaemonSpec Spec, IActorRef ReplyTo)? Next;
        /// <summary>Callers of RemoveDaemon: once the daemon has ended it is forgotten and they are answered.</summary>
        public readonly List<IActorRef> RemoveWaiters = [];
        /// <summary>A first generation waiting for its dependencies before its launch.</summary>
        public IActorRef? Parked;
        /// <summary>Its stop is asked for but waits until the daemons that depend on it have ended (reverse order).</summary>
        public bool StopDeferred;
        /// <summary>The state, pid and reason last published, so subscribers never see the same news twice in a row.</summary>
        public (DaemonState State, int Pid, string? Reason)? Published;
        public string Name => Record.Name;
    }

    /// <summary>A StopAll or Shutdown in progress: who to answer once these daemons are down.</summary>
    private sealed record PendingStopAll(IActorRef ReplyTo, HashSet<string> Remaining);

    private readonly SessionContext _context;
    private readonly PortClaims _claims;
    private readonly ILogger _log;
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, Slot> _byBackoff = [];
    private readonly List<PendingStopAll> _pendingStopAlls = [];
    private readonly HashSet<Slot> _parked = [];
    // Starts of a removed daemon's name that wait for its old BackoffSupervisor to be gone: Akka holds a stopping
    // child's name until then, and Forget drops the slot that StartAgain would otherwise wait in.
    private readonly Dictionary<string, List<(DaemonSpec? Spec, IActorRef ReplyTo)>> _awaitingName = new(StringComparer.Ordinal);
    private bool _shutDown;

    /// <summary>
    /// Creates the session actor without logging. Called by Akka through <see cref="Props"/>, not by application code.
    /// </summary>
    /// <param name="config">The session's settings; zeros take the library's defaults.</param>
    /// <exception cref="InvalidSpecException">The config is invalid; the message names every bad field and value.</exception>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    public SessionSupervisorActor(SupervisorConfig config) : this(config, null)
    {
    }

    /// <summary>
    /// Creates the session actor, logging the supervision log through <paramref name="loggers"/> (categories
    /// <c>ActorSupervisor.Session</c> and <c>ActorSupervisor.Daemon.&lt;name&gt;</c>; nothing is logged without one).
    /// Called by Akka through <see cref="Props"/>, not by application code.
    /// </summary>
    /// <param name="config">The session's settings; zeros take the library's defaults.</param>
    /// <param name="loggers">Where the supervision log goes, or null for nowhere.</param>
    /// <exception cref="InvalidSpecException">The config is invalid; the message names every bad field and value.</exception>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    public SessionSupervisorActor(SupervisorConfig config, ILoggerFactory? loggers)
    {
        Platform.EnsureLinux();
        Validation.EnsureValid(config);
        _context = new SessionContext(config, loggers);
        _claims = new PortClaims(_context.Config.StateRoot);
        _log = _context.SessionLogger();
        Observability.SupervisorMetrics.Watch(Context.System);

        Receive<StartDaemon>(s =>
        {
            Start(s.Spec, Sender);
            if (s.Carried is { } carried) CarryOn(s.Spec.Name, carried);
        });
        Receive<RestartDaemon>(r => Restart(r.Name, r.Spec, Sender));
        Receive<ResumeDaemon>(r => Resume(r.Name, Sender));
        Receive<RemoveDaemon>(r => Remove(r.Name, Sender));
        Receive<StopDaemon>(s => Stop(s.Name, s.WithDependents, Sender));
        Receive<StopAll>(_ => StopEverything(Sender));
        Receive<Shutdown>(_ =>
        {
            _shutDown = true;
            StopEverything(Sender);
        });
        Receive<GetDaemon>(q =>
        {
            if (_slots.TryGetValue(q.Name, out var slot)) Sender.Tell(slot.Record.Snapshot);
            else Sender.Tell(new DaemonNotFound(q.Name));
        });
        Receive<GetStatus>(q => Sender.Tell(q.IncludeForeign ? Report() with { Foreign = Foreign() } : Report()));

        Receive<DaemonProtocol.GenerationReady>(ready => AssignGeneration(ready.Name, Sender));
        Receive<IGenerationReport>(OnReport);
        Receive<Terminated>(OnBackoffTerminated);
    }

    /// <summary>
    /// Props for the session actor of <paramref name="config"/>'s session, to create it yourself:
    /// <c>system.ActorOf(SessionSupervisorActor.Props(config), SessionSupervisorActor.ActorName(config.SessionId))</c>.
    /// The config is used as given, zeros taking the library's defaults; the ActorSystem's <c>actorsupervisor { }</c>
    /// HOCON settings are applied by <c>WithDaemonSupervisor</c> and <see cref="Supervisor.New"/>, not here. An invalid
    /// config fails the actor's creation with an <see cref="InvalidSpecException"/>.
    /// </summary>
    /// <param name="config">The session's settings.</param>
    /// <param name="loggers">Where the supervision log goes, or null for nowhere.</param>
    public static Props Props(SupervisorConfig config, ILoggerFactory? loggers = null) =>
        Akka.Actor.Props.Create(() => new SessionSupervisorActor(config, loggers));

    /// <summary>
    /// The session must outlive anything that goes wrong with one daemon: an exception escaping a handler would make
    /// the guardian restart this actor, which stops every daemon. So one that escapes fails the daemon it concerns,
    /// with its reason, and touches nothing else.
    /// </summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        try
        {
            return base.AroundReceive(receive, message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var name = message switch
            {
                IGenerationReport r => r.Name,
                DaemonProtocol.GenerationReady r => r.Name,
                StartDaemon s => s.Spec?.Name,
                RestartDaemon r => r.Name,
                ResumeDaemon r => r.Name,
                RemoveDaemon r => r.Name,
                StopDaemon s => s.Name,
                _ => null,
            };
            if (name is not null && _slots.TryGetValue(name, out var slot)) Isolate(slot, e.Message);
            else SupervisionLog.Unhandled(_log, _context.SessionId, message.GetType().Name, e.Message);
            return true;
        }
    }

    // ---- Starting ----------------------------------------------------------------------------------------------

    private void Start(DaemonSpec? requested, IActorRef replyTo)
    {
        var spec = requested?.DeepCopy();
        if (Refusal(spec) is { } refusal)
        {
            replyTo.Tell(new Status.Failure(refusal));
            return;
        }
        if (!_slots.ContainsKey(spec!.Name) && Context.Child(spec.Name) is var leaving && !leaving.IsNobody())
        {
            if (!_awaitingName.TryGetValue(spec.Name, out var starts)) _awaitingName[spec.Name] = starts = [];
            starts.Add((spec, replyTo));
            Context.Watch(leaving); // Terminated comes even if it is already gone
            return;
        }
        if (_slots.TryGetValue(spec.Name, out var slot))
        {
            if (!slot.Record.IsFinal || slot.Next is not null)
            {
                replyTo.Tell(new Status.Failure(new InvalidOperationException(
                    $"daemon '{spec.Name}' is already {slot.Record.State.ToWord()} (pid {slot.Record.Snapshot.Pid}); stop it first")));
                return;
            }
            StartAgain(slot, spec, replyTo);
            return;
        }
        Begin(null, spec, replyTo);
    }

    /// <summary>A daemon just begun here keeps the counters it had where it ran before (see <see cref="StartDaemon.Carried"/>).</summary>
    private void CarryOn(string name, ManagedDaemon carried)
    {
        if (!_slots.TryGetValue(name, out var slot) || slot.Record.Generation != 0 || slot.Record.EverLaunched) return;
        slot.Record = slot.Record with
        {
            Snapshot = slot.Record.Snapshot with { Restarts = carried.Restarts, LastFailure = carried.LastFailure?.DeepCopy() },
        };
    }

    private Exception? Refusal(DaemonSpec? spec)
    {
        if (_shutDown) return new InvalidOperationException($"supervisor of session '{_context.SessionId}' has been shut down");
        var problems = Validation.Problems(spec, "", _context.Config.ProjectDir);
        if (problems.Count > 0) return new InvalidSpecException($"Daemon spec '{SpecProblem.Show(spec?.Name ?? "")}'", problems);
        // Dependencies may name daemons started later (they are waited for), but never close a cycle. A cycle the new
        // spec closes runs through it, so one that depends on nothing closes none (and a thousand starts stay linear).
        if (Dependencies.Of(spec!).Count == 0) return null;
        var graph = _slots.Values.Select(s => s.Record.Snapshot.Spec).Where(s => s.Name != spec!.Name).Append(spec!);
        return Dependencies.FindCycle(graph) is { } cycle
            ? new InvalidSpecException($"Daemon spec '{spec!.Name}'", [new SpecProblem("depends_on", cycle, "is a dependency cycle: no daemon in it could ever start")])
            : null;
    }

    /// <summary>A daemon this session knows, ended (stopped or failed) or being restarted, begins again.</summary>
    private void StartAgain(Slot slot, DaemonSpec spec, IActorRef replyTo)
    {
        if (slot.Backoff is null)
        {
            Begin(slot, spec, replyTo);
            return;
        }
        // Its last generation is still there, final; once its BackoffSupervisor is gone the name is free again.
        slot.Next = (spec, replyTo);
        Context.Stop(slot.Backoff);
    }

    /// <summary>
    /// Takes the daemon's lock, looks at the PID file an earlier supervisor may have left, and creates the
    /// BackoffSupervisor that runs its generations. <paramref name="slot"/> is null for a daemon new to the session.
    /// Anything that goes wrong here refuses the start and leaves nothing behind.
    /// </summary>
    private void Begin(Slot? slot, DaemonSpec spec, IActorRef replyTo)
    {
        var session = _context.SessionId;
        DaemonLock? heldLock = slot?.Lock;
        try
        {
            _context.Store.EnsureDirectories();
            if (heldLock is null)
            {
                var lockPath = _context.Store.LockPathFor(spec.Name, session);
                heldLock = DaemonLock.TryAcquire(lockPath) ?? throw new InvalidOperationException(
                    $"daemon '{spec.Name}' of session '{session}' is owned by another supervisor (pid {DaemonLock.HolderPid(lockPath)})");
            }
            var adoptable = CheckPidFile(spec);
            // A port that must be had and cannot be fails the start now, before anything exists.
            if (adoptable is null && spec.RequirePort)
                PortAllocator.Allocate(spec, 0, PortsInUse(except: spec.Name));

            var record = slot is null ? DaemonRecord.New(spec, session, adoptable) : slot.Record.StartedAgain(spec) with { Adoptable = adoptable };
            var backoff = Context.ActorOf(BackoffProps(spec, DaemonSettings.For(spec, _context.Config)), spec.Name);
            slot ??= new Slot(record);
            slot.Record = record;
            slot.Lock = heldLock;
            slot.StartWaiter = replyTo;
            slot.Backoff = Context.Watch(backoff);
            _byBackoff[backoff] = slot;
            _slots[spec.Name] = slot;
            Publish(slot);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (slot?.Lock != heldLock) heldLock?.Dispose(); // taken here, for nothing
            if (slot is not null)
            {
                slot.Record = slot.Record.Refused(e.Message, DateTimeOffset.UtcNow);
                ReleaseResources(slot);
                Publish(slot);
            }
            replyTo.Tell(new Status.Failure(e is PortUnavailableException or InvalidOperationException or IOException
                ? e
                : new InvalidOperationException($"daemon '{spec.Name}' cannot be started: {e.Message}")));
        }
    }

    private Akka.Actor.Props BackoffProps(DaemonSpec spec, DaemonSettings settings) => BackoffSupervisor.Props(
        Backoff.OnStop(
                DaemonActor.Props(spec, _context, Self),
                childName: "daemon",
                minBackoff: settings.BackoffMin,
                maxBackoff: settings.BackoffMax,
                randomFactor: settings.BackoffJitter,
                // The daemon actor gives up on its own at MaxRestarts (it stays, failed); this is only a backstop.
                maxNrOfRetries: settings.MaxRestarts + 1)
            .WithManualReset()
            .WithDefaultStoppingStrategy()
            // A stop that arrives during a backoff wait ends the BackoffSupervisor then and there.
            .WithFinalStopMessage(m => m is DaemonProtocol.Stop));

    /// <summary>
    /// What an earlier supervisor of this session left: the process to adopt, or null to start fresh (PidFiles'
    /// DecideAdoption applies the identity rules, removes stale files, and throws when a live supervisor runs it).
    /// </summary>
    private PidFileInfo? CheckPidFile(DaemonSpec spec)
    {
        var verdict = _context.Store.DecideAdoption(spec, _context.SessionId);
        foreach (var note in verdict.Notes) SupervisionLog.AdoptionNote(_log, spec.Name, note, _context.SessionId);
        return verdict.Adopt;
    }

    // ---- Generations -------------------------------------------------------------------------------------------

    /// <summary>
    /// A new generation asks for its launch. The first generation of a start waits for its dependencies (parked, the
    /// daemon starting with the reason); restarts do not wait: what they depended on was there when they first ran.
    /// </summary>
    private void AssignGeneration(string name, IActorRef daemon)
    {
        if (!_slots.TryGetValue(name, out var slot) || slot.Backoff is null || slot.Record.IsFinal)
        {
            daemon.Tell(DaemonProtocol.Stop.Instance);
            return;
        }
        if (slot.Record.StopRequested)
        {
            // Through the BackoffSupervisor, as the final-stop message, so it starts no further generation.
            slot.StopDeferred = false;
            slot.Backoff.Tell(DaemonProtocol.Stop.Instance);
            return;
        }
        if (slot.Record.EverLaunched || Dependencies.Of(slot.Record.Snapshot.Spec).Count == 0)
        {
            Launch(slot, daemon);
            return;
        }
        slot.Parked = daemon;
        _parked.Add(slot);
        CheckDependencies(slot);
        // A start that must wait for its dependencies is answered now, with the reason, not when (or if) they are met.
        if (slot.Parked is not null && slot.StartWaiter is { } waiter)
        {
            waiter.Tell(slot.Record.Snapshot);
            slot.StartWaiter = null;
        }
    }

    /// <summary>Launches the parked generation if its dependencies now allow, fails it if they never will, or updates why it waits.</summary>
    private void CheckDependencies(Slot slot)
    {
        switch (Dependencies.Check(slot.Record.Snapshot.Spec, Lookup))
        {
            case DependencyStatus.Satisfied:
                var daemon = slot.Parked!;
                Unpark(slot);
                Launch(slot, daemon);
                break;
            case DependencyStatus.Waiting w:
                slot.Record = slot.Record.Waiting(w.Reason);
                Publish(slot);
                break;
            case DependencyStatus.Impossible i:
                Unpark(slot);
                slot.Record = slot.Record.DependencyFailed(i.Reason, DateTimeOffset.UtcNow);
                slot.Backoff?.Tell(DaemonProtocol.Stop.Instance); // the parked generation ends; none follows
                Publish(slot);
                Ended(slot);
                break;
        }
    }

    private void Unpark(Slot slot)
    {
        slot.Parked = null;
        _parked.Remove(slot);
    }

    private DaemonRecord? Lookup(string name) => _slots.TryGetValue(name, out var slot) ? slot.Record : null;

    /// <summary>Something changed: parked generations whose dependencies it concerns are looked at again.</summary>
    private void DependenciesMayHaveChanged()
    {
        if (_parked.Count == 0) return;
        foreach (var slot in _parked.ToList())
            if (slot.Parked is not null) CheckDependencies(slot);
    }

    /// <summary>The generation gets its number, a port (the same as before where it can), and its spec with ports wired in.</summary>
    private void Launch(Slot slot, IActorRef daemon)
    {
        var (record, plan) = slot.Record.NextGeneration();
        var (port, portError) = plan.Adopt is { } adopt ? (adopt.Port, null) : AllocatePort(slot, plan.PreferredPort);
        if (plan.Adopt is { Port: > 0 } adopted) Claim(slot, adopted.Port);
        slot.Record = record.WithPort(port);
        var spec = PortWiring.Expand(record.Snapshot.Spec, name => name == slot.Name ? port : Lookup(name)?.Snapshot.Port);
        daemon.Tell(new DaemonProtocol.Launch(plan, port, portError, spec));
    }

    private (int Port, string? Error) AllocatePort(Slot slot, int preferred)
    {
        var spec = slot.Record.Snapshot.Spec;
        var taken = PortsInUse(except: slot.Name);
        try
        {
            var port = PortAllocator.Allocate(spec, preferred, taken, candidate => Claim(slot, candidate));
            return (port, null);
        }
        catch (PortUnavailableException e)
        {
            return (0, e.Message);
        }
    }

    /// <summary>Claims <paramref name="port"/> for the slot's daemon, dropping the claim on the port it had before.</summary>
    private bool Claim(Slot slot, int port)
    {
        if (slot.ClaimedPort == port) return true;
        if (!_claims.TryClaim(port)) return false;
        ReleaseClaim(slot);
        slot.ClaimedPort = port;
        return true;
    }

    private void ReleaseClaim(Slot slot)
    {
        if (slot.ClaimedPort == 0) return;
        _claims.Release(slot.ClaimedPort);
        slot.ClaimedPort = 0;
    }

    private void OnReport(IGenerationReport report)
    {
        if (!_slots.TryGetValue(report.Name, out var slot) || !slot.Record.IsCurrent(report)) return; // late news
        slot.Record = slot.Record.Apply(report);
        // Published before anyone waiting is answered, so a caller that has its answer has seen the event too.
        Publish(slot);
        if (report is DaemonProtocol.Launched or DaemonProtocol.BecameRunning or DaemonProtocol.Ended) DependenciesMayHaveChanged();
        switch (report)
        {
            case DaemonProtocol.Launched:
                slot.StartWaiter?.Tell(slot.Record.Snapshot);
                slot.StartWaiter = null;
                break;
            case DaemonProtocol.Ended:
                Ended(slot);
                break;
        }
    }

    private void OnBackoffTerminated(Terminated terminated)
    {
        if (!_byBackoff.Remove(terminated.ActorRef, out var slot))
        {
            // A removed daemon's BackoffSupervisor: its name is free now, for the starts that waited for it.
            if (!_awaitingName.Remove(terminated.ActorRef.Path.Name, out var starts)) return;
            foreach (var (spec, replyTo) in starts) Start(spec, replyTo);
            return;
        }
        slot.Backoff = null;
        if (!slot.Record.IsFinal)
        {
            // Gone without a final report: a stop during the backoff wait ended it (or something killed it).
            slot.Record = slot.Record.SupervisorGone();
            Publish(slot);
            Ended(slot);
        }
        if (slot.Next is { } next)
        {
            slot.Next = null;
            if (Refusal(next.Spec) is { } refusal)
            {
                ReleaseResources(slot);
                next.ReplyTo.Tell(new Status.Failure(refusal));
                return;
            }
            Begin(slot, next.Spec, next.ReplyTo);
        }
    }

    /// <summary>The daemon is final: release what it held, answer whoever waits, and move any StopAll along.</summary>
    private void Ended(Slot slot)
    {
        Unpark(slot);
        slot.StopDeferred = false;
        var record = slot.Record;
        // A restart keeps the lock and the port claim: the daemon is this supervisor's throughout.
        if (slot.Next is null) ReleaseResources(slot);
        else if (slot.Backoff is not null) Context.Stop(slot.Backoff);

        slot.StartWaiter?.Tell(new Status.Failure(new InvalidOperationException(
            $"daemon '{slot.Name}' ended {record.State.ToWord()} before it launched: {record.Snapshot.LastFailure}")));
        slot.StartWaiter = null;
        foreach (var waiter in slot.StopWaiters) waiter.Tell(record.Snapshot);
        slot.StopWaiters.Clear();
        if (slot.RemoveWaiters.Count > 0) Forget(slot);

        foreach (var pending in _pendingStopAlls.ToArray())
        {
            pending.Remaining.Remove(slot.Name);
            if (pending.Remaining.Count > 0) continue;
            pending.ReplyTo.Tell(Report());
            _pendingStopAlls.Remove(pending);
        }
        SendDeferredStops();
        DependenciesMayHaveChanged();
        // Logged last: the record is final now, so Isolate has nothing left to do for this daemon, and a logger that
        // throws here must not leave its lock, port claim, waiting callers or a StopAll behind.
        if (record.State == DaemonState.Failed)
            SupervisionLog.GaveUp(_log, slot.Name, record.Snapshot.ConsecutiveFailures,
                record.Snapshot.LastFailure?.ToString() ?? "unknown", _context.SessionId);
    }

    private void ReleaseResources(Slot slot)
    {
        ReleaseClaim(slot);
        slot.Lock?.Dispose();
        slot.Lock = null;
    }

    /// <summary>Something went wrong handling this daemon: it alone is failed, with the reason, and stopped.</summary>
    private void Isolate(Slot slot, string problem)
    {
        SupervisionLog.Isolated(_log, slot.Name, problem, _context.SessionId);
        if (slot.Record.IsFinal) return;
        slot.Record = slot.Record.Refused(problem, DateTimeOffset.UtcNow) with { StopRequested = false };
        if (slot.Backoff is not null) Context.Stop(slot.Backoff); // its generation's PostStop kills its process
        Publish(slot);
        Ended(slot);
    }

    // ---- Stopping and restarting -------------------------------------------------------------------------------

    private void Stop(string name, bool withDependents, IActorRef replyTo)
    {
        if (!_slots.TryGetValue(name, out var slot))
        {
            replyTo.Tell(new DaemonNotFound(name));
            return;
        }
        CallOffNext(slot);
        if (slot.Record.IsFinal)
        {
            replyTo.Tell(slot.Record.Snapshot);
            return;
        }
        slot.StopWaiters.Add(replyTo);
        if (!withDependents)
        {
            RequestStop(slot);
            return;
        }
        // Dependents first, then the daemon itself, in reverse dependency order.
        var dependents = Dependencies.DependentsOf(name, _slots.Values.Select(s => s.Record.Snapshot.Spec));
        StopInOrder(dependents.Select(d => _slots[d]).Append(slot));
    }

    /// <summary>A stop wins over a start or restart still to begin: its caller hears so, and the daemon ends stopped.</summary>
    private void CallOffNext(Slot slot)
    {
        if (slot.Next is not { } next) return;
        slot.Next = null;
        next.ReplyTo.Tell(new Status.Failure(new InvalidOperationException(
            $"daemon '{slot.Name}' was stopped before it could start again")));
        if (slot.Record.IsFinal) ReleaseResources(slot);
    }

    private void RequestStop(Slot slot, bool send = true)
    {
        if (slot.Record.IsFinal || slot.Record.StopRequested) return;
        slot.Record = slot.Record.RequestStop();
        Unpark(slot);
        Publish(slot);
        if (send) slot.Backoff?.Tell(DaemonProtocol.Stop.Instance); // to the current generation, or ends a backoff wait
        else slot.StopDeferred = true;
    }

    /// <summary>
    /// Stops <paramref name="slots"/> in reverse dependency order: each one as soon as no daemon that depends on it is
    /// still running, so a database outlives the web daemon that uses it. Independent daemons stop all at once.
    /// </summary>
    private void StopInOrder(IEnumerable<Slot> slots)
    {
        var targets = slots.Where(s => !s.Record.IsFinal).ToList();
        foreach (var slot in targets) RequestStop(slot, send: false);
        SendDeferredStops();
    }

    private void SendDeferredStops()
    {
        var deferred = _slots.Values.Where(s => s.StopDeferred).ToList();
        if (deferred.Count == 0) return;
        // What the active daemons depend on, read once: asked per deferred daemon, every spec would be read (its
        // texts matched for port references) once per daemon, N² at a StopAll (200 daemons: 100 ms before the last
        // stop was sent).
        var neededByActive = new HashSet<string>(StringComparer.Ordinal);
        foreach (var other in _slots.Values)
        {
            if (other.Record.IsFinal) continue;
            foreach (var name in Dependencies.Of(other.Record.Snapshot.Spec).Keys)
                if (name != other.Name) neededByActive.Add(name);
        }
        foreach (var slot in deferred)
        {
            if (neededByActive.Contains(slot.Name)) continue;
            slot.StopDeferred = false;
            slot.Backoff?.Tell(DaemonProtocol.Stop.Instance);
        }
    }

    /// <summary>
    /// A restart on request: the current process is stopped as for a stop, and a new generation starts at once on the
    /// same port, with no failure counted and no backoff. A daemon that has ended is simply started again.
    /// </summary>
    private void Restart(string name, DaemonSpec? newSpec, IActorRef replyTo)
    {
        if (!_slots.TryGetValue(name, out var slot))
        {
            replyTo.Tell(new DaemonNotFound(name));
            return;
        }
        var spec = newSpec?.DeepCopy() ?? slot.Record.Snapshot.Spec;
        var refusal = spec.Name != name
            ? new InvalidOperationException($"a restart of daemon '{name}' cannot run a spec named '{spec.Name}'")
            : Refusal(spec);
        if (refusal is not null)
        {
            replyTo.Tell(new Status.Failure(refusal));
            return;
        }
        if (slot.Next is not null)
        {
            replyTo.Tell(new Status.Failure(new InvalidOperationException($"daemon '{name}' is already being restarted")));
            return;
        }
        if (slot.Record.IsFinal)
        {
            StartAgain(slot, spec, replyTo);
            return;
        }
        slot.Next = (spec, replyTo);
        RequestStop(slot);
    }

    private void Resume(string name, IActorRef replyTo)
    {
        if (!_slots.TryGetValue(name, out var slot))
        {
            replyTo.Tell(new DaemonNotFound(name));
            return;
        }
        Start(slot.Record.Snapshot.Spec, replyTo);
    }

    /// <summary>Stops the daemon (if it is not already final) and forgets it once it has ended.</summary>
    private void Remove(string name, IActorRef replyTo)
    {
        if (!_slots.TryGetValue(name, out var slot))
        {
            replyTo.Tell(new DaemonNotFound(name));
            return;
        }
        CallOffNext(slot);
        slot.RemoveWaiters.Add(replyTo);
        if (slot.Record.IsFinal) Forget(slot);
        else RequestStop(slot);
    }

    private void Forget(Slot slot)
    {
        ReleaseResources(slot);
        if (slot.Backoff is not null)
        {
            _byBackoff.Remove(slot.Backoff);
            Context.Unwatch(slot.Backoff);
            Context.Stop(slot.Backoff);
            slot.Backoff = null;
        }
        _slots.Remove(slot.Name);
        Context.System.EventStream.Publish(new SupervisorEvents.DaemonRemoved(_context.SessionId, slot.Name));
        foreach (var waiter in slot.RemoveWaiters) waiter.Tell(slot.Record.Snapshot);
        slot.RemoveWaiters.Clear();
    }

    /// <summary>Every daemon is asked at once, so N daemons take about one stop grace period, not N.</summary>
    private void StopEverything(IActorRef replyTo)
    {
        foreach (var slot in _slots.Values) CallOffNext(slot);
        var active = _slots.Values.Where(s => !s.Record.IsFinal).ToList();
        if (active.Count == 0)
        {
            replyTo.Tell(Report());
            return;
        }
        _pendingStopAlls.Add(new PendingStopAll(replyTo, active.Select(s => s.Name).ToHashSet(StringComparer.Ordinal)));
        StopInOrder(active);
    }

    /// <summary>Children are stopped (and their processes with them) before this runs; the locks and claims go last.</summary>
    protected override void PostStop()
    {
        foreach (var slot in _slots.Values) slot.Lock?.Dispose();
        _claims.ReleaseAll();
    }

    // ---- Queries and events ------------------------------------------------------------------------------------

    private List<SupervisorReplies.ForeignDaemon> Foreign() =>
        _context.Store.List()
            .Where(e => e.Info.OwnerId != _context.SessionId)
            .Select(e => new SupervisorReplies.ForeignDaemon(e.Name, e.Info.OwnerId, e.Info.Pid, e.Info.Port, e.Info.IsAlive, e.Info.SupervisorAlive))
            .ToList();

    /// <summary>Ports this session's other daemons hold, plus those in live PID files of other sessions.</summary>
    private HashSet<int> PortsInUse(string except)
    {
        var ports = _context.Store.PortsHeldByOthers(_context.SessionId, _slots.Keys.ToHashSet(StringComparer.Ordinal));
        foreach (var (name, slot) in _slots)
            if (name != except && !slot.Record.IsFinal && slot.Record.Snapshot.Port > 0) ports.Add(slot.Record.Snapshot.Port);
        return ports;
    }

    private SupervisorReplies.StatusReport Report() =>
        new(_context.SessionId, _slots.ToDictionary(kv => kv.Key, kv => kv.Value.Record.Snapshot, StringComparer.Ordinal));

    /// <summary>
    /// Publishes the daemon's snapshot when its state, pid or reason has changed since the last one published. A
    /// generation about to launch is not news yet: subscribers hear of it launched (or refused, or waiting for its
    /// dependencies, with the reason), so they never see the same news twice in a row.
    /// </summary>
    private void Publish(Slot slot)
    {
        var snapshot = slot.Record.Snapshot;
        var now = (snapshot.State, snapshot.Pid, snapshot.Reason);
        if (slot.Published == now || (snapshot.State == DaemonState.Starting && snapshot.Pid == 0 && snapshot.Reason is null)) return;
        var previous = slot.Published?.State;
        slot.Published = now;
        Context.System.EventStream.Publish(new SupervisorEvents.DaemonStateChanged(_context.SessionId, snapshot, previous));
    }
}
