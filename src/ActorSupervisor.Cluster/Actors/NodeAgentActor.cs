using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using ActorSupervisor.Actors;
using ActorSupervisor.Cluster.Configuration;
using ActorSupervisor.Cluster.Fencing;
using ActorSupervisor.Cluster.Protocol;
using ActorSupervisor.Daemons;
using static ActorSupervisor.Cluster.Protocol.PlacementProtocol;

namespace ActorSupervisor.Cluster.Actors;

/// <summary>
/// One per node and session: runs what the coordinator places on this node through the node's own
/// <see cref="SessionSupervisorActor"/> (so a daemon runs exactly as it does without a cluster), reports its daemons'
/// states to the coordinator, and keeps the node's right to run them: when the node loses the majority, learns it was
/// downed, or wakes up from a freeze, it stops them all at once (fencing). It also answers, for the whole cluster,
/// status queries and the session protocol's commands, so tools can treat it as the session's actor.
/// </summary>
internal sealed class NodeAgentActor : ReceiveActor, IWithTimers
{
    public static string ActorName(string sessionId) => $"cluster-node-{sessionId}";

    public static Props Props(AgentSetup setup) => Akka.Actor.Props.Create(() => new NodeAgentActor(setup));

    internal sealed record AgentSetup(string SessionId, string Node, IReadOnlyList<string> Roles, PlacementSettings Settings,
        IActorRef Session, IActorRef Coordinator, IReadOnlyList<DaemonSpec> Specs);

    private sealed class FenceCheck
    {
        public static readonly FenceCheck Instance = new();
    }

    private sealed class RegisterTick
    {
        public static readonly RegisterTick Instance = new();
    }

    /// <summary>A local operation finished: answer the coordinator that ordered it.</summary>
    private sealed record OpFinished(IActorRef ReplyTo, string Name, long Epoch, ManagedDaemon? Daemon, string? Error, bool Forgotten);

    /// <summary>From the facade on a graceful stop: stop every daemon here, hand them over, answer <see cref="LeftNode"/>.</summary>
    internal sealed class LeaveNode
    {
        public static readonly LeaveNode Instance = new();
    }

    internal sealed record LeftNode(IReadOnlyList<ManagedDaemon> Stopped);

    private sealed record ShutDownLocally(IActorRef ReplyTo, SupervisorReplies.StatusReport? Report, string? Error);

    private static readonly TimeSpan LocalTimeout = TimeSpan.FromSeconds(60);

    private readonly AgentSetup _setup;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Lease _lease;
    private readonly string _address;
    /// <summary>The epoch of the placement under which this node holds each daemon.</summary>
    private readonly Dictionary<string, long> _held = new(StringComparer.Ordinal);
    /// <summary>Daemons fencing stopped: owed a start when the node is back in good standing.</summary>
    private readonly HashSet<string> _fencedStops = new(StringComparer.Ordinal);
    private readonly HashSet<string> _busy = new(StringComparer.Ordinal);
    private bool _up;
    private bool _registered;
    private bool _fenced;
    private bool _leaving;
    private string? _refused;

    public ITimerScheduler Timers { get; set; } = null!;

    public NodeAgentActor(AgentSetup setup)
    {
        _setup = setup;
        _lease = new Lease(setup.Settings.FenceAfter, setup.Settings.FenceCheckInterval);
        _address = PlacementCoordinatorActor.Unique(_cluster.SelfUniqueAddress);

        Receive<ClusterEvent.MemberUp>(e =>
        {
            if (e.Member.UniqueAddress != _cluster.SelfUniqueAddress || _up) return;
            _up = true;
            _lease.Grant(DateTimeOffset.UtcNow);
            Register();
        });
        Receive<ClusterEvent.IMemberEvent>(e =>
        {
            // Downed, or on its way out without having asked to leave: its daemons stop now.
            if (e.Member.UniqueAddress == _cluster.SelfUniqueAddress && _up && !_leaving
                && e is ClusterEvent.MemberDowned or ClusterEvent.MemberRemoved or ClusterEvent.MemberExited)
                Fence($"node {_setup.Node} was {(e is ClusterEvent.MemberDowned ? "downed" : "removed from the cluster")}");
        });
        Receive<FenceCheck>(_ => CheckStanding());
        Receive<RegisterTick>(_ =>
        {
            if (!_registered && _up && !_fenced && !_leaving && _refused is null) Register();
        });
        Receive<Hello>(_ =>
        {
            _registered = false;
            if (_up && !_fenced && !_leaving && _refused is null) Register();
        });
        Receive<Registered>(r =>
        {
            _registered = true;
            foreach (var outcome in r.Outcomes.Where(o => o.Error is not null))
                Publish(new ClusterEvents.SpecRefused(_setup.SessionId, outcome.Name, outcome.Error!));
            Publish(new ClusterEvents.Joined(_setup.SessionId, _setup.Node));
        });
        Receive<NodeRefused>(r =>
        {
            _refused = r.Reason;
            _log.Error("node {0} refused by the cluster: {1}", _setup.Node, r.Reason);
            Publish(new ClusterEvents.NodeRefused(_setup.SessionId, _setup.Node, r.Reason));
        });

        Receive<Run>(OnRun);
        Receive<Halt>(OnHalt);
        Receive<RestartHere>(OnRestartHere);
        Receive<OpFinished>(OnFinished);
        Receive<GetLocal>(_ => LocalAsync().PipeTo(Sender));
        Receive<SupervisorEvents.DaemonStateChanged>(e => e.SessionId == _setup.SessionId, Forward);
        Receive<LeaveNode>(_ => Leave(Sender));
        Receive<ShutDownLocally>(OnShutDownLocally);

        // The whole cluster, for anyone on this node (or a CLI over Akka.Remote).
        Receive<ClusterQueries.GetClusterStatus>(_ => GatherAsync().PipeTo(Sender));
        Receive<ClusterCommands.Submit>(c => _setup.Coordinator.Forward(c));
        Receive<ClusterCommands.Stop>(c => _setup.Coordinator.Forward(c));
        Receive<ClusterCommands.Restart>(c => _setup.Coordinator.Forward(c));
        Receive<ClusterCommands.Resume>(c => _setup.Coordinator.Forward(c));
        Receive<ClusterCommands.Remove>(c => _setup.Coordinator.Forward(c));

        // The session protocol, cluster-wide: a tool written for one supervisor works unchanged on a cluster node.
        Receive<SupervisorQueries.GetStatus>(_ => SessionStatusAsync().PipeTo(Sender));
        Receive<SupervisorQueries.GetDaemon>(q => SessionDaemonAsync(q.Name).PipeTo(Sender));
        Receive<SupervisorCommands.StartDaemon>(c => SessionCommandAsync(new ClusterCommands.Submit(c.Spec)).PipeTo(Sender));
        Receive<SupervisorCommands.StopDaemon>(c => SessionCommandAsync(new ClusterCommands.Stop(c.Name)).PipeTo(Sender));
        Receive<SupervisorCommands.RestartDaemon>(c => SessionCommandAsync(new ClusterCommands.Restart(c.Name)).PipeTo(Sender));
        Receive<SupervisorCommands.ResumeDaemon>(c => SessionCommandAsync(new ClusterCommands.Resume(c.Name)).PipeTo(Sender));
        Receive<SupervisorCommands.RemoveDaemon>(c => SessionCommandAsync(new ClusterCommands.Remove(c.Name)).PipeTo(Sender));
    }

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent));
        Context.System.EventStream.Subscribe(Self, typeof(SupervisorEvents.DaemonStateChanged));
        Timers.StartPeriodicTimer("fence", FenceCheck.Instance, _setup.Settings.FenceCheckInterval);
        Timers.StartPeriodicTimer("register", RegisterTick.Instance, _setup.Settings.RetryInterval);
    }

    protected override void PostStop()
    {
        _cluster.Unsubscribe(Self);
        Context.System.EventStream.Unsubscribe(Self);
    }

    private void Publish(object e) => Context.System.EventStream.Publish(e);

    private void Register()
    {
        var register = RegisterAsync();
        register.PipeTo(_setup.Coordinator, Self);
    }

    private async Task<Register> RegisterAsync()
    {
        var inventory = await LocalAsync().ConfigureAwait(false);
        return new Register(_setup.Node, _address, _setup.Roles, _setup.Specs, inventory.Daemons);
    }

    // ---- Standing and fencing ----------------------------------------------------------------------------------

    private void CheckStanding()
    {
        if (!_up || _leaving) return;
        if (_cluster.IsTerminated)
        {
            Fence($"node {_setup.Node} has left the cluster");
            return;
        }
        var state = _cluster.State;
        var self = state.Members.FirstOrDefault(m => m.UniqueAddress == _cluster.SelfUniqueAddress);
        var role = ClusterHocon.SessionRole(_setup.SessionId);
        // state.Members is sorted by address, the order keep-majority breaks ties with.
        var members = state.Members.Where(m => m.HasRole(role))
            .Select((m, rank) => new MemberSight(PlacementCoordinatorActor.Unique(m), m.Status == MemberStatus.Up,
                !state.Unreachable.Contains(m), rank))
            .ToList();
        var good = Standing.IsGood(_address, members);
        var now = DateTimeOffset.UtcNow;
        var lost = _lease.Check(now, good);
        if (lost && !_fenced)
            Fence($"node {_setup.Node} has not seen a majority of the cluster for {_lease.SinceGood(now).TotalSeconds:0.0}s");
        else if (!lost && good && _fenced && self?.Status == MemberStatus.Up)
        {
            _fenced = false;
            _log.Warning("node {0} is back in good standing; asking for its daemons again", _setup.Node);
            Publish(new ClusterEvents.Unfenced(_setup.SessionId, _setup.Node));
            _registered = false;
            Register();
        }
    }

    /// <summary>Stops every daemon of this node at once: another node may be about to start them.</summary>
    private void Fence(string why)
    {
        if (_fenced) return;
        _fenced = true;
        _registered = false;
        _log.Warning("{0}: stopping its daemons (fenced)", why);
        foreach (var name in _held.Keys) _fencedStops.Add(name);
        Publish(new ClusterEvents.Fenced(_setup.SessionId, _setup.Node, why));
        _setup.Session.Tell(SupervisorCommands.StopAll.Instance, ActorRefs.NoSender);
    }

    // ---- Orders ------------------------------------------------------------------------------------------------

    private string? Refusal() =>
        _refused is not null ? $"node {_setup.Node} was refused" :
        _leaving ? $"node {_setup.Node} is leaving" :
        _fenced ? $"node {_setup.Node} is fenced" : null;

    private void OnRun(Run run)
    {
        if (Refusal() is { } refusal)
        {
            Sender.Tell(new Done(_setup.Node, run.Name, run.Epoch, null, refusal, Refused: true));
            return;
        }
        if (_held.TryGetValue(run.Name, out var epoch) && epoch > run.Epoch)
        {
            Sender.Tell(new Done(_setup.Node, run.Name, run.Epoch, null, $"node {_setup.Node} holds a newer placement ({epoch})"));
            return;
        }
        if (!_busy.Add(run.Name)) return; // an earlier order for it is still under way; the coordinator asks again
        _held[run.Name] = run.Epoch;
        var replyTo = Sender;
        // A daemon that may move dies with this node's supervisor (a parent-death signal), so a node killed with
        // SIGKILL leaves no copy running behind the one started elsewhere. A pinned one keeps its own lifetime.
        var spec = run.Movable ? run.Spec with { Lifetime = DaemonLifetime.Ephemeral } : run.Spec;
        var session = _setup.Session;
        RunAsync(session, spec, run.Carried).PipeTo(Self,
            success: d => new OpFinished(replyTo, run.Name, run.Epoch, d, null, false),
            failure: e => new OpFinished(replyTo, run.Name, run.Epoch, null, Message(e), false));
    }

    private static async Task<ManagedDaemon> RunAsync(IActorRef session, DaemonSpec spec, ManagedDaemon? carried)
    {
        var existing = await session.Ask<object>(new SupervisorQueries.GetDaemon(spec.Name), LocalTimeout).ConfigureAwait(false);
        if (existing is ManagedDaemon { } d)
        {
            if (d.State.IsActive()) return d; // already runs here: the order is done
            // A stopped or failed slot from an earlier stay on this node: forgotten, so the counters it brings apply.
            await session.Ask<object>(new SupervisorCommands.RemoveDaemon(spec.Name), LocalTimeout).ConfigureAwait(false);
        }
        return await session.Ask<ManagedDaemon>(new SupervisorCommands.StartDaemon(spec) { Carried = carried }, LocalTimeout)
            .ConfigureAwait(false);
    }

    private void OnHalt(Halt halt)
    {
        if (_held.TryGetValue(halt.Name, out var epoch) && epoch > halt.Epoch)
        {
            Sender.Tell(new Done(_setup.Node, halt.Name, halt.Epoch, null, $"node {_setup.Node} holds a newer placement ({epoch})"));
            return;
        }
        if (!_busy.Add(halt.Name)) return;
        var replyTo = Sender;
        var session = _setup.Session;
        object command = halt.Forget ? new SupervisorCommands.RemoveDaemon(halt.Name) : new SupervisorCommands.StopDaemon(halt.Name);
        session.Ask<object>(command, LocalTimeout).PipeTo(Self,
            success: r => r switch
            {
                ManagedDaemon d => new OpFinished(replyTo, halt.Name, halt.Epoch, d, null, halt.Forget),
                DaemonNotFound => new OpFinished(replyTo, halt.Name, halt.Epoch,
                    new ManagedDaemon { Spec = new DaemonSpec { Name = halt.Name }, State = DaemonState.Stopped }, null, halt.Forget),
                Status.Failure f => new OpFinished(replyTo, halt.Name, halt.Epoch, null, Message(f.Cause), false),
                _ => new OpFinished(replyTo, halt.Name, halt.Epoch, null, "unexpected reply", false),
            },
            failure: e => new OpFinished(replyTo, halt.Name, halt.Epoch, null, Message(e), false));
    }

    private void OnRestartHere(RestartHere restart)
    {
        if (Refusal() is { } refusal)
        {
            Sender.Tell(new Done(_setup.Node, restart.Name, restart.Epoch, null, refusal, Refused: true));
            return;
        }
        if (!_busy.Add(restart.Name)) return;
        var replyTo = Sender;
        _setup.Session.Ask<object>(new SupervisorCommands.RestartDaemon(restart.Name), LocalTimeout).PipeTo(Self,
            success: r => r switch
            {
                ManagedDaemon d => new OpFinished(replyTo, restart.Name, restart.Epoch, d, null, false),
                DaemonNotFound => new OpFinished(replyTo, restart.Name, restart.Epoch, null, $"node {_setup.Node} does not hold it", false),
                Status.Failure f => new OpFinished(replyTo, restart.Name, restart.Epoch, null, Message(f.Cause), false),
                _ => new OpFinished(replyTo, restart.Name, restart.Epoch, null, "unexpected reply", false),
            },
            failure: e => new OpFinished(replyTo, restart.Name, restart.Epoch, null, Message(e), false));
    }

    private void OnFinished(OpFinished done)
    {
        _busy.Remove(done.Name);
        if (done.Error is null) _fencedStops.Remove(done.Name);
        if (done.Forgotten && _held.TryGetValue(done.Name, out var epoch) && epoch <= done.Epoch) _held.Remove(done.Name);
        done.ReplyTo.Tell(new Done(_setup.Node, done.Name, done.Epoch, done.Daemon, done.Error));
    }

    /// <summary>A local state change goes to the coordinator, tagged with the placement it belongs to.</summary>
    private void Forward(SupervisorEvents.DaemonStateChanged e)
    {
        if (!_held.TryGetValue(e.Name, out var epoch)) return;
        var fenced = _fencedStops.Contains(e.Name);
        var daemon = fenced && !e.State.IsActive()
            ? e.Daemon with { Reason = $"node {_setup.Node} fenced itself: it lost sight of the cluster's majority" }
            : e.Daemon;
        _setup.Coordinator.Tell(new StateReport(_setup.Node, epoch, daemon, fenced), Self);
    }

    // ---- Leaving -----------------------------------------------------------------------------------------------

    private void Leave(IActorRef replyTo)
    {
        _leaving = true;
        _setup.Session.Ask<SupervisorReplies.StatusReport>(SupervisorCommands.Shutdown.Instance, LocalTimeout).PipeTo(Self,
            success: r => new ShutDownLocally(replyTo, r, null),
            failure: e => new ShutDownLocally(replyTo, null, Message(e)));
    }

    private void OnShutDownLocally(ShutDownLocally done)
    {
        var stopped = done.Report?.Daemons.Values.ToList() ?? [];
        if (_registered && _refused is null)
        {
            var held = stopped.Where(d => _held.ContainsKey(d.Name))
                .Select(d => new Held(d.Name, _held[d.Name], d, Fenced: false)).ToList();
            _setup.Coordinator.Tell(new LeavingNode(_setup.Node, held), Self);
        }
        if (done.Error is not null) _log.Warning("node {0}: stopping its daemons: {1}", _setup.Node, done.Error);
        done.ReplyTo.Tell(new LeftNode(stopped));
    }

    // ---- Status ------------------------------------------------------------------------------------------------

    private async Task<LocalStatus> LocalAsync()
    {
        var epochs = new Dictionary<string, long>(_held, StringComparer.Ordinal);
        var fenced = _fencedStops.ToHashSet(StringComparer.Ordinal);
        var node = _setup.Node;
        var report = await _setup.Session.Ask<SupervisorReplies.StatusReport>(SupervisorQueries.GetStatus.Instance, LocalTimeout)
            .ConfigureAwait(false);
        var held = report.Daemons.Values
            .Select(d => new Held(d.Name, epochs.GetValueOrDefault(d.Name), d, fenced.Contains(d.Name)))
            .ToList();
        return new LocalStatus(node, held);
    }

    /// <summary>
    /// The coordinator's table, with each daemon's live snapshot from the node that runs it; a node that does not answer
    /// in time shows its daemons' last reported state, saying so.
    /// </summary>
    private Task<ClusterReplies.ClusterStatus> GatherAsync()
    {
        var system = Context.System;
        var self = Self;
        var coordinator = _setup.Coordinator;
        var session = _setup.SessionId;
        var timeout = _setup.Settings.StatusTimeout;
        var node = _setup.Node;
        return Gather();

        async Task<ClusterReplies.ClusterStatus> Gather()
        {
            Placements placements;
            try
            {
                placements = await coordinator.Ask<Placements>(GetPlacements.Instance, timeout).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                // No coordinator (the cluster is forming, or this node is cut off): this node's own daemons, as they are.
                var local = await self.Ask<LocalStatus>(GetLocal.Instance, timeout).ConfigureAwait(false);
                return new ClusterReplies.ClusterStatus(session,
                    local.Daemons.Select(h => new ClusterReplies.ClusterDaemon(node, h.Daemon)).ToList(), []);
            }
            var asks = placements.Nodes.Where(n => n.Status != "unreachable").Select(async n =>
            {
                try
                {
                    var path = $"{n.Address}/user/{ActorName(session)}";
                    return await system.ActorSelection(path).Ask<LocalStatus>(GetLocal.Instance, timeout).ConfigureAwait(false);
                }
                catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
                {
                    return null;
                }
            });
            var locals = (await Task.WhenAll(asks).ConfigureAwait(false)).OfType<LocalStatus>()
                .ToDictionary(l => l.Node, l => l.Daemons.ToDictionary(h => h.Name, StringComparer.Ordinal), StringComparer.Ordinal);
            var unreachable = placements.Nodes.Where(n => n.Status == "unreachable").Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
            var daemons = new List<ClusterReplies.ClusterDaemon>();
            foreach (var placed in placements.Daemons.OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                if (placed.Node is { } at && locals.TryGetValue(at, out var held) && held.TryGetValue(placed.Name, out var live))
                    daemons.Add(new ClusterReplies.ClusterDaemon(at, live.Daemon));
                else if (placed.Node is { } away && unreachable.Contains(away))
                    daemons.Add(new ClusterReplies.ClusterDaemon(away, placed.Shown($"node {away} is unreachable; last reported {placed.Shown().State.ToWord()}")));
                else if (placed.Node is { } silent && !locals.ContainsKey(silent) && placements.Nodes.Any(n => n.Name == silent))
                    daemons.Add(new ClusterReplies.ClusterDaemon(silent, placed.Shown($"node {silent} did not answer; last reported {placed.Shown().State.ToWord()}")));
                else
                    daemons.Add(new ClusterReplies.ClusterDaemon(placed.Node, placed.Shown()));
            }
            return new ClusterReplies.ClusterStatus(session, daemons, placements.Nodes);
        }
    }

    private async Task<SupervisorReplies.StatusReport> SessionStatusAsync()
    {
        var status = await GatherAsync().ConfigureAwait(false);
        return new SupervisorReplies.StatusReport(status.SessionId,
            status.Daemons.ToDictionary(d => d.Daemon.Name, d => d.Daemon, StringComparer.Ordinal));
    }

    private async Task<object> SessionDaemonAsync(string name)
    {
        var status = await GatherAsync().ConfigureAwait(false);
        return status.Daemons.FirstOrDefault(d => d.Daemon.Name == name) is { } found ? found.Daemon : new DaemonNotFound(name);
    }

    private Task<object> SessionCommandAsync(object command)
    {
        var coordinator = _setup.Coordinator;
        return Send();

        async Task<object> Send()
        {
            var reply = await coordinator.Ask<object>(command, LocalTimeout).ConfigureAwait(false);
            return reply switch
            {
                ClusterReplies.ClusterDaemon d => d.Daemon,
                ClusterReplies.CommandFailed { NotFound: true } f => new DaemonNotFound(f.Name),
                ClusterReplies.CommandFailed f => new Status.Failure(new InvalidOperationException(f.Error)),
                _ => reply,
            };
        }
    }

    private static string Message(Exception e) => e is AggregateException { InnerException: { } inner } ? inner.Message : e.Message;
}
