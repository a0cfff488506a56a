using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using ActorSupervisor.Cluster.Configuration;
using ActorSupervisor.Cluster.Placement;
using ActorSupervisor.Cluster.Protocol;
using ActorSupervisor.Daemons;
using static ActorSupervisor.Cluster.Protocol.PlacementProtocol;

namespace ActorSupervisor.Cluster.Actors;

/// <summary>
/// The session's placement coordinator: a cluster singleton (on the oldest node of the session) that decides which
/// node runs each daemon and tells that node's agent. It never runs a daemon itself. Its table is replicated with
/// Akka.DistributedData, and what the nodes actually run is the truth it reconciles with: a coordinator that takes over
/// first hears from every member before it places anything, so a daemon is never placed while a node that may run it
/// has not spoken (see docs/cluster.md, "The guarantee").
/// </summary>
internal sealed class PlacementCoordinatorActor : ReceiveActor, IWithUnboundedStash, IWithTimers
{
    public const string SingletonName = "coordinator";

    public static string ManagerName(string sessionId) => $"cluster-placement-{sessionId}";

    public static Props Props(string sessionId, PlacementSettings settings) =>
        Akka.Actor.Props.Create(() => new PlacementCoordinatorActor(sessionId, settings));

    private sealed class NodeSlot(NodeView view, IActorRef agent)
    {
        public NodeView View = view;
        public IActorRef Agent = agent;
        public bool Reachable = true;
        public bool Leaving;
    }

    /// <summary>An order sent to a node, resent until the node answers it (orders are idempotent per epoch).</summary>
    private sealed record Order(string Node, object Message, long Epoch, DateTimeOffset SentAt);

    /// <summary>A lost node's daemons may move once it has had time to stop them.</summary>
    private sealed record ReplaceDue(string Address);

    private sealed class RetryTick
    {
        public static readonly RetryTick Instance = new();
    }

    private sealed class RecoveryTimedOut
    {
        public static readonly RecoveryTimedOut Instance = new();
    }

    private readonly string _session;
    private readonly PlacementSettings _settings;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly IActorRef _replicator = DistributedData.Get(Context.System).Replicator;
    private readonly LWWDictionaryKey<string, PlacedDaemon> _key;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private readonly Dictionary<string, PlacedDaemon> _daemons = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeSlot> _nodes = new(StringComparer.Ordinal);
    /// <summary>The session's members by unique address, with their current status.</summary>
    private readonly Dictionary<string, Member> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Order> _orders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<IActorRef>> _waiters = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly HashSet<string> _removed = new(StringComparer.Ordinal);
    /// <summary>During recovery: what each registered node holds, reconciled all together once every member has spoken.</summary>
    private readonly Dictionary<string, Register> _inventories = new(StringComparer.Ordinal);
    private long _epoch;
    private bool _loaded;
    private bool _active;

    public IStash Stash { get; set; } = null!;
    public ITimerScheduler Timers { get; set; } = null!;

    public PlacementCoordinatorActor(string sessionId, PlacementSettings settings)
    {
        _session = sessionId;
        _settings = settings;
        _key = new LWWDictionaryKey<string, PlacedDaemon>($"actorsupervisor-{sessionId}");
        Recovering();
    }

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        _replicator.Tell(Dsl.Get(_key, new ReadMajority(_settings.WriteTimeout)));
        Timers.StartSingleTimer("recovery", RecoveryTimedOut.Instance, _settings.RecoveryTimeout);
        Timers.StartPeriodicTimer("retry", RetryTick.Instance, _settings.RetryInterval);
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    // ---- Recovery ----------------------------------------------------------------------------------------------

    private void Recovering()
    {
        Receive<GetSuccess>(s => s.Key.Equals(_key), s => Loaded(s.Get(_key)));
        Receive<NotFound>(n => n.Key.Equals(_key), _ => Loaded(LWWDictionary<string, PlacedDaemon>.Empty));
        // No majority answered in time: what this replica has is the best there is; the nodes' inventories fill the rest.
        Receive<GetFailure>(f => f.Key.Equals(_key), _ => _replicator.Tell(Dsl.Get(_key, Dsl.ReadLocal)));
        ReceiveMembership();
        Receive<Register>(r =>
        {
            if (!Admit(r)) return;
            _inventories[r.Address] = r;
            MaybeFinishRecovery();
        });
        Receive<RetryTick>(_ => SayHello(_members.Keys.Where(a => !_inventories.ContainsKey(a))));
        Receive<RecoveryTimedOut>(_ =>
        {
            if (!_loaded) _replicator.Tell(Dsl.Get(_key, Dsl.ReadLocal));
            else FinishRecovery();
        });
        ReceiveAny(_ => Stash.Stash());
    }

    private void Loaded(LWWDictionary<string, PlacedDaemon> table)
    {
        if (_loaded) return;
        _loaded = true;
        foreach (var (name, placed) in table.Entries)
        {
            _daemons[name] = placed;
            _epoch = Math.Max(_epoch, placed.Epoch);
        }
        _log.Info("placement coordinator of session {0}: {1} daemons in the replicated table", _session, _daemons.Count);
        SayHello(_members.Keys);
        MaybeFinishRecovery();
    }

    private void MaybeFinishRecovery()
    {
        if (!_loaded) return;
        var silent = _members.Values.Where(m => m.Status == MemberStatus.Up && !_inventories.ContainsKey(Unique(m))).ToList();
        if (silent.Count == 0) FinishRecovery();
    }

    /// <summary>
    /// Every member has said what it holds (or the recovery timeout passed: a member still silent keeps its daemons
    /// where the table puts them, and nothing of them moves until it registers or is removed).
    /// </summary>
    private void FinishRecovery()
    {
        Timers.Cancel("recovery");
        // A daemon active on more than one node (it should never be): the one the table names stays, the others stop.
        var holders = _inventories.Values
            .SelectMany(r => r.Inventory.Where(h => h.Daemon.State.IsActive()).Select(h => (Register: r, Held: h)))
            .GroupBy(x => x.Held.Name, StringComparer.Ordinal);
        foreach (var group in holders.Where(g => g.Count() > 1))
        {
            var keep = group.FirstOrDefault(x => _daemons.TryGetValue(group.Key, out var p) && p.NodeAddress == x.Register.Address);
            if (keep.Register is null) keep = group.MaxBy(x => x.Held.Epoch);
            foreach (var other in group.Where(x => x.Register.Address != keep.Register.Address))
            {
                _log.Warning("daemon {0} was found running on {1} and {2}; stopping it on {2}", group.Key, keep.Register.Node, other.Register.Node);
                var inventory = other.Register.Inventory.Where(h => h.Name != group.Key).ToList();
                _inventories[other.Register.Address] = other.Register with { Inventory = inventory };
                _epoch = Math.Max(_epoch, other.Held.Epoch);
                SendOrder(other.Register.Node, new Halt(group.Key, other.Held.Epoch, Forget: true), other.Held.Epoch, other.Register.Address);
            }
        }
        foreach (var register in _inventories.Values) Reconcile(register);
        _inventories.Clear();

        // Placed on a node that is no member any more (it was removed before this coordinator started): lost.
        foreach (var address in _daemons.Values.Select(p => p.NodeAddress).OfType<string>().Distinct().ToList())
            if (!_members.ContainsKey(address) && !_nodes.Values.Any(n => n.View.Address == address))
                NodeLost(address, NodeNameOf(address), immediately: false);

        _active = true;
        Become(Active);
        Stash.UnstashAll();
        PlaceWaiting();
        Flush();
    }

    private void SayHello(IEnumerable<string> addresses)
    {
        foreach (var address in addresses.ToList())
            Context.ActorSelection($"{PlainAddress(address)}/user/{NodeAgentActor.ActorName(_session)}").Tell(Hello.Instance, Self);
    }

    // ---- Active ------------------------------------------------------------------------------------------------

    private void Active()
    {
        ReceiveMembership();
        Receive<Register>(r =>
        {
            if (!Admit(r)) return;
            Reconcile(r);
            PlaceWaiting();
            Flush();
        });
        Receive<StateReport>(OnStateReport);
        Receive<LeavingNode>(OnLeaving);
        Receive<Done>(OnDone);
        Receive<ReplaceDue>(due => Replace(due.Address));
        Receive<RetryTick>(_ => Retry());
        Receive<GetPlacements>(_ => Sender.Tell(new Placements(_daemons.Values.ToList(), NodesForStatus())));
        Receive<ClusterCommands.Submit>(s => OnSubmit(s.Spec, Sender));
        Receive<ClusterCommands.Stop>(s => OnStop(s.Name, Sender));
        Receive<ClusterCommands.Restart>(r => OnRestart(r.Name, Sender, resumeOnly: false));
        Receive<ClusterCommands.Resume>(r => OnRestart(r.Name, Sender, resumeOnly: true));
        Receive<ClusterCommands.Remove>(r => OnRemove(r.Name, Sender));
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(f => _log.Warning("placement table not yet written to a majority of nodes ({0}); it spreads by gossip", f.GetType().Name));
        Receive<GetSuccess>(_ => { });
        Receive<NotFound>(_ => { });
        Receive<GetFailure>(_ => { });
        Receive<RecoveryTimedOut>(_ => { });
    }

    private void ReceiveMembership()
    {
        Receive<ClusterEvent.MemberUp>(e => Track(e.Member));
        Receive<ClusterEvent.MemberJoined>(e => Track(e.Member));
        Receive<ClusterEvent.MemberLeft>(e =>
        {
            Track(e.Member);
            if (SlotAt(Unique(e.Member)) is { } slot) slot.Leaving = true;
        });
        Receive<ClusterEvent.MemberExited>(e =>
        {
            Track(e.Member);
            if (SlotAt(Unique(e.Member)) is { } slot) slot.Leaving = true;
        });
        Receive<ClusterEvent.MemberDowned>(e => Track(e.Member));
        Receive<ClusterEvent.MemberWeaklyUp>(e => Track(e.Member));
        Receive<ClusterEvent.MemberRemoved>(e =>
        {
            var address = Unique(e.Member);
            _members.Remove(address);
            _inventories.Remove(address);
            if (IsActive) NodeLost(address, SlotAt(address)?.View.Name ?? NodeNameOf(address), immediately: false);
            else MaybeFinishRecovery();
        });
        Receive<ClusterEvent.UnreachableMember>(e =>
        {
            if (SlotAt(Unique(e.Member)) is { } slot) slot.Reachable = false;
        });
        Receive<ClusterEvent.ReachableMember>(e =>
        {
            if (SlotAt(Unique(e.Member)) is not { } slot) return;
            slot.Reachable = true;
            if (IsActive) PlaceWaiting();
        });
    }

    private bool IsActive => _active;

    private void Track(Member member)
    {
        if (!member.HasRole(ClusterHocon.SessionRole(_session))) return;
        _members[Unique(member)] = member;
    }

    /// <summary>A registering node is admitted unless its name is another live member's.</summary>
    private bool Admit(Register r)
    {
        if (!_members.TryGetValue(r.Address, out var member))
        {
            // Not (yet) seen as a member of the session: it will register again.
            return false;
        }
        if (_nodes.TryGetValue(r.Node, out var existing) && existing.View.Address != r.Address)
        {
            if (_members.ContainsKey(existing.View.Address))
            {
                if (existing.Reachable)
                    Sender.Tell(new NodeRefused(
                        $"node name '{r.Node}' is already used by the member at {PlainAddress(existing.View.Address)}; give each node its own --node"));
                // An unreachable holder of the name is about to be downed: the newcomer registers again after that.
                return false;
            }
            NodeLost(existing.View.Address, r.Node, immediately: false);
        }
        _nodes[r.Node] = new NodeSlot(new NodeView(r.Node, r.Address, r.Roles), Sender)
        {
            Reachable = !_cluster.State.Unreachable.Contains(member),
            Leaving = member.Status is MemberStatus.Leaving or MemberStatus.Exiting,
        };
        var outcomes = r.Specs.Select(s => new SubmitOutcome(s.Name, Submit(s, r.Node))).ToList();
        Sender.Tell(new Registered(outcomes));
        return true;
    }

    // ---- What the nodes hold ------------------------------------------------------------------------------------

    /// <summary>Makes the table agree with what a node holds, and sends it what it should run and does not.</summary>
    private void Reconcile(Register node)
    {
        var held = node.Inventory.ToDictionary(h => h.Name, StringComparer.Ordinal);
        foreach (var h in node.Inventory)
        {
            _epoch = Math.Max(_epoch, h.Epoch);
            if (!_daemons.TryGetValue(h.Name, out var placed))
            {
                if (h.Daemon.State.IsActive())
                    Update(new PlacedDaemon { Spec = h.Daemon.Spec, Node = node.Node, NodeAddress = node.Address, Epoch = h.Epoch, Last = h.Daemon });
                else SendOrder(node.Node, new Halt(h.Name, h.Epoch, Forget: true), h.Epoch, node.Address);
                continue;
            }
            if (placed.NodeAddress == node.Address)
            {
                var current = placed with { Epoch = Math.Max(placed.Epoch, h.Epoch), Last = h.Daemon };
                Update(current);
                if (h.Fenced && !current.StopRequested) SendRun(current, node.Node);
                else if (current.StopRequested && h.Daemon.State.IsActive()) SendOrder(node.Node, new Halt(h.Name, current.Epoch, Forget: false), current.Epoch, node.Address);
            }
            else if (h.Daemon.State.IsActive() && (placed.NodeAddress is null || !NodeHolds(placed)))
            {
                // It runs here and nowhere else the table knows of: here is where it is.
                Update(placed with { Node = node.Node, NodeAddress = node.Address, Epoch = Math.Max(placed.Epoch, h.Epoch), Last = h.Daemon });
            }
            else
            {
                // A leftover here (stopped or failed earlier), or a copy of one placed elsewhere: it goes.
                SendOrder(node.Node, new Halt(h.Name, h.Epoch, Forget: true), h.Epoch, node.Address);
            }
        }
        foreach (var placed in _daemons.Values.Where(p => p.NodeAddress == node.Address && !held.ContainsKey(p.Name)).ToList())
        {
            if (placed.StopRequested || IsFinal(placed)) continue;
            SendRun(placed, node.Node);
        }
    }

    /// <summary>True when the daemon's placed node is a live, registered node (its daemons are its own business).</summary>
    private bool NodeHolds(PlacedDaemon placed) =>
        placed.NodeAddress is { } address && _nodes.Values.Any(n => n.View.Address == address) && _members.ContainsKey(address);

    private void OnStateReport(StateReport report)
    {
        if (!_daemons.TryGetValue(report.Daemon.Name, out var placed)) return;
        if (placed.Node != report.Node || placed.Epoch != report.Epoch) return; // late news from an earlier placement
        Update(placed with { Last = report.Daemon, Fenced = report.Fenced });
        Flush();
    }

    /// <summary>A node leaving on purpose has stopped its daemons: those that may run elsewhere move now.</summary>
    private void OnLeaving(LeavingNode leaving)
    {
        if (!_nodes.TryGetValue(leaving.Node, out var slot)) return;
        slot.Leaving = true;
        foreach (var h in leaving.Stopped)
            if (_daemons.TryGetValue(h.Name, out var placed) && placed.NodeAddress == slot.View.Address)
                Update(placed with { Last = h.Daemon });
        Replace(slot.View.Address, $"node {leaving.Node} left");
        Flush();
    }

    // ---- Losing nodes ------------------------------------------------------------------------------------------

    /// <summary>
    /// A member is gone from the cluster (downed and removed, or left). Its daemons keep their place until it has had
    /// time to stop them (replace-margin plus their stop grace), then move (<see cref="Replace"/>).
    /// </summary>
    private void NodeLost(string address, string? name, bool immediately)
    {
        var slot = SlotAt(address);
        if (slot is not null) _nodes.Remove(slot.View.Name);
        foreach (var (key, order) in _orders.Where(o => OrderAddress(o.Value) == address).ToList())
        {
            _orders.Remove(key);
            Answer(key, new ClusterReplies.CommandFailed(key, $"node {order.Node} is gone"));
        }
        var affected = _daemons.Values.Where(p => p.NodeAddress == address).ToList();
        if (affected.Count == 0) return;
        var label = name ?? PlainAddress(address);
        foreach (var placed in affected)
            Update(placed with { Last = placed.Shown($"node {label} is gone") });
        if (immediately)
        {
            Replace(address);
            return;
        }
        var grace = affected.Max(p => p.Spec.StopGrace ?? DefaultStopGrace);
        Timers.StartSingleTimer($"replace-{address}", new ReplaceDue(address), _settings.ReplaceMargin + grace);
        Flush();
    }

    /// <summary>The library's default grace (hocon/reference.conf), for daemons whose spec does not set one.</summary>
    private static readonly TimeSpan DefaultStopGrace = new SupervisorConfig().WithDefaults().StopGrace;

    /// <summary>The lost node's daemons: those that may run elsewhere are placed again; pinned ones wait for their node.</summary>
    private void Replace(string address, string? why = null)
    {
        var label = NodeNameOf(address) ?? PlainAddress(address);
        why ??= $"node {label} is gone";
        foreach (var placed in _daemons.Values.Where(p => p.NodeAddress == address).ToList())
        {
            var rule = PlacementRule.Of(placed.Spec);
            var last = placed.Shown();
            if (placed.StopRequested || IsFinal(placed))
            {
                Update(placed with { Node = null, NodeAddress = null, Last = last with { Pid = 0, Reason = why } });
                continue;
            }
            var waiting = last with
            {
                State = DaemonState.Starting, Pid = 0, StartedAt = null,
                Reason = rule.Movable ? $"{why}; moving" : $"{why}; starts when it rejoins",
            };
            Update(placed with { Node = null, NodeAddress = null, Last = waiting });
        }
        PlaceWaiting();
        Flush();
    }

    // ---- Placing -----------------------------------------------------------------------------------------------

    private IEnumerable<NodeView> Eligible() =>
        _nodes.Values
            .Where(n => n.Reachable && !n.Leaving && _members.TryGetValue(n.View.Address, out var m) && m.Status == MemberStatus.Up)
            .Select(n => n.View);

    private int Load(string node) => _daemons.Values.Count(p => p.Node == node && !IsFinal(p) && !p.StopRequested);

    /// <summary>Places every daemon that waits for a node and now has one; dependencies first, dependents beside them.</summary>
    private void PlaceWaiting()
    {
        var waiting = _daemons.Values.Where(p => p.Node is null && !p.StopRequested && !IsFinal(p)).ToList();
        if (waiting.Count == 0) return;
        var eligible = Eligible().ToList();
        foreach (var placed in DependencyOrder(waiting))
        {
            var current = _daemons[placed.Name];
            var rule = PlacementRule.Of(current.Spec);
            NodeView? target;
            string? reason = null;
            var dependencies = current.Spec.DependsOn.Keys.Where(_daemons.ContainsKey).ToList();
            if (dependencies.Count > 0)
            {
                // A daemon runs beside what it depends on: readiness and ${NAME.port} are local to a node.
                var nodes = dependencies.Select(d => _daemons[d].Node).Distinct().ToList();
                if (nodes.Any(n => n is null))
                {
                    target = null;
                    reason = $"waiting for {string.Join(", ", dependencies.Where(d => _daemons[d].Node is null))} to be placed";
                }
                else if (nodes.Count > 1)
                {
                    target = null;
                    reason = $"its dependencies run on different nodes ({string.Join(", ", dependencies.Select(d => $"{d} on {_daemons[d].Node}"))})";
                }
                else
                {
                    target = eligible.FirstOrDefault(n => n.Name == nodes[0] && rule.Fits(n));
                    if (target is null) reason = $"waiting for node {nodes[0]}, where its dependencies run";
                }
            }
            else
            {
                target = Placer.Choose(rule, eligible, Load);
                reason = target is null ? rule.NoNodeReason : null;
            }
            if (target is null)
            {
                var last = current.Shown();
                var why = last.Reason is { } r && r.StartsWith("node ", StringComparison.Ordinal) && r.Contains(" is gone")
                    ? (rule.Movable ? $"{r.Split(';')[0]}; {reason}" : r)
                    : reason;
                Update(current with { Last = last with { State = DaemonState.Starting, Pid = 0, Reason = why } });
                continue;
            }
            Assign(current, target);
        }
    }

    private void Assign(PlacedDaemon placed, NodeView node)
    {
        var epoch = ++_epoch;
        var carried = placed.Last;
        var next = placed with
        {
            Fenced = false,
            Node = node.Name,
            NodeAddress = node.Address,
            Epoch = epoch,
            Last = placed.Shown() with { State = DaemonState.Starting, Pid = 0, Reason = null, StartedAt = null },
        };
        Update(next);
        _log.Info("placing daemon {0} on node {1} (epoch {2})", placed.Name, node.Name, epoch);
        SendOrder(node.Name, new Run(placed.Name, epoch, placed.Spec, PlacementRule.Of(placed.Spec).Movable, carried), epoch, node.Address);
    }

    private void SendRun(PlacedDaemon placed, string node) =>
        SendOrder(node, new Run(placed.Name, placed.Epoch, placed.Spec, PlacementRule.Of(placed.Spec).Movable, placed.Last), placed.Epoch, placed.NodeAddress!);

    private static IEnumerable<PlacedDaemon> DependencyOrder(List<PlacedDaemon> daemons)
    {
        var byName = daemons.ToDictionary(d => d.Name, StringComparer.Ordinal);
        var done = new HashSet<string>(StringComparer.Ordinal);
        var order = new List<PlacedDaemon>();
        void Visit(PlacedDaemon d, int depth)
        {
            if (depth > byName.Count || !done.Add(d.Name)) return;
            foreach (var dep in d.Spec.DependsOn.Keys)
                if (byName.TryGetValue(dep, out var other)) Visit(other, depth + 1);
            order.Add(d);
        }
        foreach (var d in daemons.OrderBy(d => d.Name, StringComparer.Ordinal)) Visit(d, 0);
        return order;
    }

    // ---- Orders to nodes ---------------------------------------------------------------------------------------

    private void SendOrder(string node, object message, long epoch, string address)
    {
        var name = message switch
        {
            Run r => r.Name,
            Halt h => h.Name,
            RestartHere r => r.Name,
            _ => throw new ArgumentException("not an order", nameof(message)),
        };
        _orders[name] = new Order(node, message, epoch, DateTimeOffset.UtcNow);
        if (_nodes.TryGetValue(node, out var slot) && slot.View.Address == address) slot.Agent.Tell(message, Self);
        else Context.ActorSelection($"{PlainAddress(address)}/user/{NodeAgentActor.ActorName(_session)}").Tell(message, Self);
    }

    private string? OrderAddress(Order order) =>
        _nodes.TryGetValue(order.Node, out var slot) ? slot.View.Address
        : _daemons.Values.FirstOrDefault(p => p.Node == order.Node)?.NodeAddress;

    private void Retry()
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var (name, order) in _orders.ToList())
        {
            if (now - order.SentAt < _settings.RetryInterval) continue;
            if (!_nodes.TryGetValue(order.Node, out var slot) || !slot.Reachable) continue; // it is lost, or may come back
            _orders[name] = order with { SentAt = now };
            slot.Agent.Tell(order.Message, Self);
        }
    }

    private void OnDone(Done done)
    {
        if (!_orders.TryGetValue(done.Name, out var order) || order.Epoch != done.Epoch || order.Node != done.Node) return;
        _orders.Remove(done.Name);
        if (!_daemons.TryGetValue(done.Name, out var placed))
        {
            Answer(done.Name, done.Daemon is { } gone ? new ClusterReplies.ClusterDaemon(done.Node, gone) : new ClusterReplies.CommandFailed(done.Name, done.Error ?? "removed"));
            return;
        }
        if (order.Message is Halt { Forget: true } && _removed.Contains(done.Name))
        {
            _removed.Remove(done.Name);
            _daemons.Remove(done.Name);
            _dirty.Add(done.Name);
            Answer(done.Name, done.Daemon is { } d ? new ClusterReplies.ClusterDaemon(done.Node, d) : new ClusterReplies.CommandFailed(done.Name, done.Error ?? "removed"));
            Flush();
            return;
        }
        if (done.Error is { } error)
        {
            if (order.Message is Run && placed.Epoch == done.Epoch)
            {
                _log.Warning("node {0} did not run daemon {1}: {2}", done.Node, done.Name, error);
                if (done.Refused)
                {
                    // The node is leaving or fenced: it takes nothing now, and the daemon waits for another node.
                    if (_nodes.TryGetValue(done.Node, out var slot)) slot.Leaving = true;
                    Update(placed with { Node = null, NodeAddress = null, Last = placed.Shown() with { State = DaemonState.Starting, Pid = 0, Reason = $"node {done.Node}: {error}" } });
                    PlaceWaiting();
                }
                else Update(placed with { Last = placed.Shown() with { State = DaemonState.Failed, Pid = 0, Reason = error } });
            }
            Answer(done.Name, new ClusterReplies.CommandFailed(done.Name, error));
            Flush();
            return;
        }
        if (done.Daemon is { } daemon && placed.Epoch == done.Epoch) Update(placed with { Last = daemon, Fenced = false });
        Answer(done.Name, done.Daemon is { } snapshot
            ? new ClusterReplies.ClusterDaemon(done.Node, snapshot)
            : new ClusterReplies.CommandFailed(done.Name, "no answer"));
        Flush();
    }

    private void Answer(string name, object reply)
    {
        if (!_waiters.Remove(name, out var waiters)) return;
        foreach (var waiter in waiters) waiter.Tell(reply);
    }

    private void Wait(string name, IActorRef replyTo)
    {
        if (replyTo.IsNobody()) return;
        if (!_waiters.TryGetValue(name, out var list)) _waiters[name] = list = [];
        list.Add(replyTo);
    }

    // ---- Commands ----------------------------------------------------------------------------------------------

    /// <summary>Adds a spec to the table; null when accepted (new, or the same as the one there), else why not.</summary>
    private string? Submit(DaemonSpec spec, string? by)
    {
        var problems = Validation.Problems(spec).Concat(PlacementRule.Problems(spec)).ToList();
        if (problems.Count > 0) return new InvalidSpecException($"Daemon spec '{spec.Name}'", problems).Message;
        if (_daemons.TryGetValue(spec.Name, out var existing))
        {
            if (SameSpec(existing.Spec, spec)) return null;
            var from = existing.SubmittedBy is { } n ? $" (from node {n})" : "";
            return $"daemon '{spec.Name}' is already in session '{_session}' with another spec{from}; remove it first";
        }
        var rule = PlacementRule.Of(spec);
        Update(new PlacedDaemon
        {
            Spec = spec,
            SubmittedBy = by,
            Last = new ManagedDaemon { Spec = spec, State = DaemonState.Starting, OwnerId = _session, Reason = rule.NoNodeReason },
        });
        return null;
    }

    // Through the library's source-generated spec context: the native CLI has no reflection-based serializer.
    private static bool SameSpec(DaemonSpec a, DaemonSpec b) =>
        JsonSerializer.Serialize(a with { Lifetime = DaemonLifetime.Persistent }, ActorSupervisor.Serialization.SpecJsonContext.Default.DaemonSpec)
        == JsonSerializer.Serialize(b with { Lifetime = DaemonLifetime.Persistent }, ActorSupervisor.Serialization.SpecJsonContext.Default.DaemonSpec);

    private void OnSubmit(DaemonSpec spec, IActorRef replyTo)
    {
        if (Submit(spec, null) is { } error)
        {
            replyTo.Tell(new ClusterReplies.CommandFailed(spec.Name, error));
            return;
        }
        PlaceWaiting();
        var placed = _daemons[spec.Name];
        if (_orders.ContainsKey(spec.Name)) Wait(spec.Name, replyTo);
        else replyTo.Tell(new ClusterReplies.ClusterDaemon(placed.Node, placed.Shown()));
        Flush();
    }

    private void OnStop(string name, IActorRef replyTo)
    {
        if (!_daemons.TryGetValue(name, out var placed))
        {
            replyTo.Tell(NotFound(name));
            return;
        }
        var stopped = placed with { StopRequested = true };
        Update(stopped);
        if (placed.Node is { } node && NodeHolds(placed))
        {
            Wait(name, replyTo);
            SendOrder(node, new Halt(name, placed.Epoch, Forget: false), placed.Epoch, placed.NodeAddress!);
        }
        else
        {
            _orders.Remove(name);
            Answer(name, new ClusterReplies.CommandFailed(name, "stopped before it could start"));
            var last = placed.Shown() with { State = DaemonState.Stopped, Pid = 0, Reason = null };
            Update(stopped with { Last = last });
            replyTo.Tell(new ClusterReplies.ClusterDaemon(placed.Node, last));
        }
        Flush();
    }

    private void OnRestart(string name, IActorRef replyTo, bool resumeOnly)
    {
        if (!_daemons.TryGetValue(name, out var placed))
        {
            replyTo.Tell(NotFound(name));
            return;
        }
        if (resumeOnly && !placed.StopRequested && !IsFinal(placed))
        {
            replyTo.Tell(new ClusterReplies.CommandFailed(name, $"daemon '{name}' is {placed.Shown().State.ToWord()}; stop it first"));
            return;
        }
        var started = placed with { StopRequested = false };
        Update(started);
        Wait(name, replyTo);
        if (placed.Node is { } node && NodeHolds(placed))
            SendOrder(node, new RestartHere(name, placed.Epoch), placed.Epoch, placed.NodeAddress!);
        else
        {
            Update(started with { Node = null, NodeAddress = null, Last = started.Shown() with { State = DaemonState.Starting, Pid = 0 } });
            PlaceWaiting();
            if (!_orders.ContainsKey(name)) Answer(name, new ClusterReplies.ClusterDaemon(null, _daemons[name].Shown()));
        }
        Flush();
    }

    private void OnRemove(string name, IActorRef replyTo)
    {
        if (!_daemons.TryGetValue(name, out var placed))
        {
            replyTo.Tell(NotFound(name));
            return;
        }
        if (placed.Node is { } node && NodeHolds(placed))
        {
            _removed.Add(name);
            Update(placed with { StopRequested = true });
            Wait(name, replyTo);
            SendOrder(node, new Halt(name, placed.Epoch, Forget: true), placed.Epoch, placed.NodeAddress!);
        }
        else
        {
            _daemons.Remove(name);
            _dirty.Add(name);
            replyTo.Tell(new ClusterReplies.ClusterDaemon(null, placed.Shown() with { State = DaemonState.Stopped, Pid = 0 }));
        }
        Flush();
    }

    private ClusterReplies.CommandFailed NotFound(string name) =>
        new(name, $"no daemon named '{name}' in session '{_session}'", NotFound: true);

    // ---- The replicated table ----------------------------------------------------------------------------------

    private void Update(PlacedDaemon placed)
    {
        _daemons[placed.Name] = placed;
        _dirty.Add(placed.Name);
    }

    /// <summary>Writes what changed to distributed data, to a majority of nodes (it spreads to the rest by gossip).</summary>
    private void Flush()
    {
        if (_dirty.Count == 0) return;
        var changes = _dirty.Select(n => (Name: n, Value: _daemons.GetValueOrDefault(n))).ToList();
        _dirty.Clear();
        var cluster = _cluster;
        _replicator.Tell(Dsl.Update(_key, LWWDictionary<string, PlacedDaemon>.Empty, new WriteMajority(_settings.WriteTimeout), table =>
        {
            foreach (var (name, value) in changes)
                table = value is null ? table.Remove(cluster, name) : table.SetItem(cluster, name, value);
            return table;
        }));
    }

    // ---- Helpers -----------------------------------------------------------------------------------------------

    /// <summary>Stopped or failed where it ran (not by fencing): it stays so, and is not moved when its node goes.</summary>
    private static bool IsFinal(PlacedDaemon placed) =>
        placed.Last is { State: DaemonState.Stopped or DaemonState.Failed } && !placed.Fenced;

    private NodeSlot? SlotAt(string address) => _nodes.Values.FirstOrDefault(n => n.View.Address == address);

    private string? NodeNameOf(string address) =>
        SlotAt(address)?.View.Name ?? _daemons.Values.FirstOrDefault(p => p.NodeAddress == address)?.Node;

    private List<ClusterReplies.ClusterNode> NodesForStatus() =>
        _nodes.Values.OrderBy(n => n.View.Name, StringComparer.Ordinal)
            .Select(n => new ClusterReplies.ClusterNode(n.View.Name, PlainAddress(n.View.Address), n.View.Roles,
                !n.Reachable ? "unreachable" : n.Leaving ? "leaving" : "up"))
            .ToList();

    /// <summary>A member's unique address as text: its address and incarnation.</summary>
    public static string Unique(Member member) => Unique(member.UniqueAddress);

    public static string Unique(UniqueAddress address) => $"{address.Address}#{address.Uid}";

    public static string PlainAddress(string unique) => unique.Split('#')[0];
}
