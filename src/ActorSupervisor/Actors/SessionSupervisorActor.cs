using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using ActorSupervisor.Daemons;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Ports;
using ActorSupervisor.Processes;
using static ActorSupervisor.Actors.SupervisorCommands;
using static ActorSupervisor.Actors.SupervisorQueries;

namespace ActorSupervisor.Actors;

/// <summary>
/// One per session: the single source of truth for its daemons' <see cref="ManagedDaemon"/> snapshots. It creates a
/// BackoffSupervisor per daemon (which restarts the daemon's <see cref="DaemonActor"/> with exponential backoff up to
/// MaxRestarts), hands each incarnation its generation and port, and answers every query itself, also while a
/// daemon is between incarnations.
/// </summary>
public sealed class SessionSupervisorActor : ReceiveActor
{
    /// <summary>The actor name used under /user, as the design fixes it.</summary>
    public static string ActorName(string sessionId) => $"daemon-supervisor-{sessionId}";

    private sealed class Entry(DaemonSpec spec, string ownerId)
    {
        public ManagedDaemon Snapshot = new() { Spec = spec, State = DaemonState.Starting, OwnerId = ownerId };
        public IActorRef? Backoff;
        public long Generation;
        public bool Launched;          // at least one incarnation has launched or adopted a process
        public bool StopRequested;     // a stop was asked for: the end state is stopped, not failed
        public bool GaveUp;            // the first launch failed outright (missing binary): failed, no retries
        public PidFileInfo? Adoptable; // a live process of ours from an earlier supervisor, for the first incarnation
        public DaemonLock? Lock;       // held while this session's supervisor owns the daemon
        public IActorRef? StartWaiter;
        public readonly List<IActorRef> StopWaiters = [];
        public DaemonSpec Spec => Snapshot.Spec;
        public string Name => Snapshot.Spec.Name;
    }

    /// <summary>A StopAll or Shutdown in progress: who to answer once these daemons are down.</summary>
    private sealed record PendingStopAll(IActorRef Replyer, HashSet<string> Remaining);

    private readonly SupervisorConfig _config;
    private readonly PidFileStore _store;
    private readonly Dictionary<string, Entry> _daemons = new(StringComparer.Ordinal);
    private readonly HashSet<string> _ownNames = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, Entry> _byBackoff = [];
    private readonly List<PendingStopAll> _pendingStopAlls = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _shutDown;

    public SessionSupervisorActor(SupervisorConfig config)
    {
        Validation.EnsureValid(config);
        _config = config.WithDefaults();
        _store = new PidFileStore(_config.StateRoot);

        Receive<StartDaemon>(Start);
        Receive<StopDaemon>(s => Stop(s.Name, Sender));
        Receive<StopAll>(_ => StopEverything(Sender));
        Receive<Shutdown>(_ =>
        {
            _shutDown = true;
            StopEverything(Sender);
        });
        Receive<GetDaemon>(q =>
        {
            if (_daemons.TryGetValue(q.Name, out var entry)) Sender.Tell(entry.Snapshot);
            else Sender.Tell(new DaemonNotFound(q.Name));
        });
        Receive<GetStatus>(q => Sender.Tell(q.IncludeForeign ? Report() with { Foreign = Foreign() } : Report()));

        Receive<DaemonProtocol.IncarnationReady>(AssignIncarnation);
        Receive<DaemonProtocol.Launched>(Current, OnLaunched);
        Receive<DaemonProtocol.BecameRunning>(Current, r =>
            Update(r.Name, d => d with { State = DaemonState.Running, LastHealth = r.At }));
        Receive<DaemonProtocol.HealthOk>(Current, h =>
            Update(h.Name, d => d with { LastHealth = h.At }, publish: false));
        Receive<DaemonProtocol.StableRun>(Current, s =>
            Update(s.Name, d => d with { ConsecutiveFailures = 0 }, publish: false));
        Receive<DaemonProtocol.RunFailed>(Current, OnRunFailed);
        Receive<DaemonProtocol.Stopping>(Current, s =>
            Update(s.Name, d => d with { State = DaemonState.Stopping }));
        Receive<Terminated>(OnBackoffTerminated);
        // Reports from generations that are no longer current are late news about a process already handled.
        Receive<DaemonProtocol.Launched>(_ => { });
        Receive<DaemonProtocol.BecameRunning>(_ => { });
        Receive<DaemonProtocol.HealthOk>(_ => { });
        Receive<DaemonProtocol.StableRun>(_ => { });
        Receive<DaemonProtocol.RunFailed>(_ => { });
        Receive<DaemonProtocol.Stopping>(_ => { });
    }

    public static Props Props(SupervisorConfig config) => Akka.Actor.Props.Create(() => new SessionSupervisorActor(config));

    private bool Current(DaemonProtocol.Launched m) => IsCurrent(m.Name, m.Generation);
    private bool Current(DaemonProtocol.BecameRunning m) => IsCurrent(m.Name, m.Generation);
    private bool Current(DaemonProtocol.HealthOk m) => IsCurrent(m.Name, m.Generation);
    private bool Current(DaemonProtocol.StableRun m) => IsCurrent(m.Name, m.Generation);
    private bool Current(DaemonProtocol.RunFailed m) => IsCurrent(m.Name, m.Generation);
    private bool Current(DaemonProtocol.Stopping m) => IsCurrent(m.Name, m.Generation);

    private bool IsCurrent(string name, long generation) =>
        _daemons.TryGetValue(name, out var e) && e.Generation == generation && e.Backoff is not null;

    private void Start(StartDaemon command)
    {
        var spec = command.Spec?.DeepCopy();
        try
        {
            if (_shutDown) throw new InvalidOperationException($"supervisor of session '{_config.SessionId}' has been shut down");
            Validation.EnsureValid(spec);
            if (_daemons.TryGetValue(spec!.Name, out var existing) && existing.Snapshot.State.IsActive())
                throw new InvalidOperationException(
                    $"daemon '{spec.Name}' is already {existing.Snapshot.State.ToWord()} (pid {existing.Snapshot.Pid}); stop it first");
        }
        catch (Exception e) when (e is InvalidSpecException or InvalidOperationException)
        {
            Sender.Tell(new Status.Failure(e));
            return;
        }

        var entry = new Entry(spec!, _config.SessionId);
        try
        {
            _store.EnsureDirectories();
            var lockPath = _store.LockPathFor(spec!.Name, _config.SessionId);
            entry.Lock = DaemonLock.TryAcquire(lockPath) ?? throw new InvalidOperationException(
                $"daemon '{spec.Name}' of session '{_config.SessionId}' is owned by another supervisor (pid {DaemonLock.HolderPid(lockPath)})");
            entry.Adoptable = CheckPidFile(spec);
            // A port that must be had and cannot be fails the start now, before anything exists.
            if (entry.Adoptable is null && spec.RequirePort)
                PortAllocator.Allocate(spec, 0, PortsInUse(except: spec.Name));
        }
        catch (Exception e) when (e is PortUnavailableException or InvalidOperationException or IOException)
        {
            entry.Lock?.Dispose();
            Sender.Tell(new Status.Failure(e));
            return;
        }

        entry.StartWaiter = Sender;
        _daemons[spec!.Name] = entry;
        _ownNames.Add(spec.Name);
        var backoff = Context.ActorOf(BackoffSupervisor.Props(
            Backoff.OnStop(
                    DaemonActor.Props(spec, _config, Self, _store),
                    childName: "daemon",
                    minBackoff: _config.RestartBackoffMin,
                    maxBackoff: _config.RestartBackoffMax,
                    randomFactor: _config.BackoffJitter,
                    maxNrOfRetries: _config.MaxRestarts)
                .WithManualReset()
                .WithDefaultStoppingStrategy()
                // A stop that arrives during a backoff wait ends the BackoffSupervisor then and there.
                .WithFinalStopMessage(m => m is DaemonProtocol.Stop)), spec.Name);
        Context.Watch(backoff);
        entry.Backoff = backoff;
        _byBackoff[backoff] = entry;
        Publish(entry, previous: null);
    }

    /// <summary>
    /// What an earlier supervisor of this session left: the process to adopt, or null to start fresh (PidFiles'
    /// DecideAdoption applies the identity rules, removes stale files, and throws when a live supervisor runs it).
    /// </summary>
    private PidFileInfo? CheckPidFile(DaemonSpec spec)
    {
        var verdict = _store.DecideAdoption(spec, _config.SessionId);
        foreach (var note in verdict.Notes) _log.Info(note);
        return verdict.Adopt;
    }

    private void AssignIncarnation(DaemonProtocol.IncarnationReady ready)
    {
        if (!_daemons.TryGetValue(ready.Name, out var entry) || entry.Backoff is null || entry.StopRequested)
        {
            Sender.Tell(DaemonProtocol.Stop.Instance);
            return;
        }

        entry.Generation++;
        var restart = entry.Launched;
        var adopt = restart ? null : entry.Adoptable;
        string? portError = null;
        var port = adopt?.Port ?? 0;
        if (adopt is null)
        {
            // A restart keeps its port when it is still free: no need to survey every PID file for that.
            var previous = entry.Snapshot.Port;
            if (restart && previous > 0 && PortAllocator.IsFree(previous)) port = previous;
            else
            {
                try { port = PortAllocator.Allocate(entry.Spec, previous, PortsInUse(except: entry.Name)); }
                catch (PortUnavailableException e) { portError = e.Message; }
            }
        }
        Sender.Tell(new DaemonProtocol.Launch(entry.Generation, port, adopt, portError));
        Update(entry.Name, d => d with
        {
            State = DaemonState.Starting,
            Port = port,
            Pid = 0,
            Restarts = restart ? d.Restarts + 1 : d.Restarts,
        });
    }

    private void OnLaunched(DaemonProtocol.Launched launched)
    {
        var entry = _daemons[launched.Name];
        entry.Launched = true;
        Update(launched.Name, d => d with
        {
            State = DaemonState.Starting,
            Pid = launched.Pid,
            Port = launched.Port,
            StartedAt = launched.StartedAt,
            LogPath = launched.LogPath,
            Adopted = launched.Adopted,
        });
        if (entry.StartWaiter is { } waiter)
        {
            waiter.Tell(entry.Snapshot);
            entry.StartWaiter = null;
        }
    }

    private void OnRunFailed(DaemonProtocol.RunFailed failed)
    {
        var entry = _daemons[failed.Name];
        if (failed.CannotLaunch && !entry.Launched)
        {
            // Nothing was ever started (a missing binary, a port that must be had): retrying cannot help.
            entry.GaveUp = true;
            entry.StartWaiter?.Tell(new Status.Failure(new DaemonLaunchException($"daemon '{failed.Name}': {failed.Failure.Reason}")));
            entry.StartWaiter = null;
            entry.Backoff!.Tell(DaemonProtocol.Stop.Instance);
        }
        Update(failed.Name, d => d with
        {
            State = entry.GaveUp || entry.StopRequested ? d.State : DaemonState.Restarting,
            Pid = 0,
            ConsecutiveFailures = d.ConsecutiveFailures + 1,
            LastFailure = failed.Failure,
        });
    }

    private void OnBackoffTerminated(Terminated terminated)
    {
        if (!_byBackoff.Remove(terminated.ActorRef, out var entry)) return;
        entry.Backoff = null;
        entry.Lock?.Dispose();
        entry.Lock = null;
        // The BackoffSupervisor stops on its own only when MaxRestarts runs in a row have failed.
        var final = entry.StopRequested && !entry.GaveUp ? DaemonState.Stopped : DaemonState.Failed;
        if (final == DaemonState.Failed)
            _log.Error("{0}: failed after {1} consecutive failed runs: {2}", entry.Name,
                entry.Snapshot.ConsecutiveFailures, entry.Snapshot.LastFailure);
        Update(entry.Name, d => d with { State = final, Pid = 0 });

        entry.StartWaiter?.Tell(new Status.Failure(new InvalidOperationException(
            $"daemon '{entry.Name}' ended {final.ToWord()} before it launched: {entry.Snapshot.LastFailure}")));
        entry.StartWaiter = null;
        foreach (var waiter in entry.StopWaiters) waiter.Tell(entry.Snapshot);
        entry.StopWaiters.Clear();

        foreach (var pending in _pendingStopAlls.ToArray())
        {
            pending.Remaining.Remove(entry.Name);
            if (pending.Remaining.Count > 0) continue;
            pending.Replyer.Tell(Report());
            _pendingStopAlls.Remove(pending);
        }
    }

    private void Stop(string name, IActorRef replyTo)
    {
        if (!_daemons.TryGetValue(name, out var entry))
        {
            replyTo.Tell(new DaemonNotFound(name));
            return;
        }
        if (entry.Backoff is null)
        {
            replyTo.Tell(entry.Snapshot);
            return;
        }
        entry.StopWaiters.Add(replyTo);
        RequestStop(entry);
    }

    private void RequestStop(Entry entry)
    {
        if (entry.StopRequested) return;
        entry.StopRequested = true;
        Update(entry.Name, d => d with { State = DaemonState.Stopping });
        // Forwarded to the current incarnation, or, between incarnations, ends the BackoffSupervisor at once.
        entry.Backoff!.Tell(DaemonProtocol.Stop.Instance);
    }

    /// <summary>Every daemon is asked at once, so N daemons take about one stop grace period, not N.</summary>
    private void StopEverything(IActorRef replyTo)
    {
        var active = _daemons.Values.Where(e => e.Backoff is not null).ToList();
        if (active.Count == 0)
        {
            replyTo.Tell(Report());
            return;
        }
        _pendingStopAlls.Add(new PendingStopAll(replyTo, active.Select(e => e.Name).ToHashSet(StringComparer.Ordinal)));
        foreach (var entry in active) RequestStop(entry);
    }

    /// <summary>Children are stopped (and their processes with them) before this runs; the locks go last.</summary>
    protected override void PostStop()
    {
        foreach (var entry in _daemons.Values) entry.Lock?.Dispose();
    }

    private List<SupervisorReplies.ForeignDaemon> Foreign() =>
        _store.List()
            .Where(e => e.Info.OwnerId != _config.SessionId)
            .Select(e => new SupervisorReplies.ForeignDaemon(e.Name, e.Info.OwnerId, e.Info.Pid, e.Info.Port, e.Info.IsAlive, e.Info.SupervisorAlive))
            .ToList();

    /// <summary>Ports this session's other daemons hold, plus those in live PID files of other sessions.</summary>
    private HashSet<int> PortsInUse(string except)
    {
        var ports = _store.PortsHeldByOthers(_config.SessionId, _ownNames);
        foreach (var (name, entry) in _daemons)
            if (name != except && entry.Backoff is not null && entry.Snapshot.Port > 0) ports.Add(entry.Snapshot.Port);
        return ports;
    }

    private SupervisorReplies.StatusReport Report() =>
        new(_config.SessionId, _daemons.ToDictionary(kv => kv.Key, kv => kv.Value.Snapshot, StringComparer.Ordinal));

    private void Update(string name, Func<ManagedDaemon, ManagedDaemon> change, bool publish = true)
    {
        var entry = _daemons[name];
        var previous = entry.Snapshot;
        entry.Snapshot = change(previous);
        if (publish && (previous.State != entry.Snapshot.State || previous.Pid != entry.Snapshot.Pid))
            Publish(entry, previous.State);
    }

    private void Publish(Entry entry, DaemonState? previous) =>
        Context.System.EventStream.Publish(new SupervisorEvents.DaemonStateChanged(_config.SessionId, entry.Snapshot, previous));
}
