using ActorSupervisor.Cluster.Placement;
using ActorSupervisor.Cluster.Serialization;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Cluster.Protocol;

/// <summary>Between each node's agent and the session's placement coordinator (a cluster singleton).</summary>
internal static class PlacementProtocol
{
    /// <summary>A daemon a node holds: its placement epoch, its snapshot, and whether fencing stopped it (so it is owed a start).</summary>
    public sealed record Held(string Name, long Epoch, ManagedDaemon Daemon, bool Fenced) : IClusterMessage;

    /// <summary>
    /// A node's agent says who it is, which specs it brings, and what it holds. Sent when the node is up, to every new
    /// coordinator, and when a fenced node regains its standing. Answered with <see cref="Registered"/> or <see cref="NodeRefused"/>.
    /// </summary>
    public sealed record Register(string Node, string Address, IReadOnlyList<string> Roles, IReadOnlyList<DaemonSpec> Specs,
        IReadOnlyList<Held> Inventory) : IClusterMessage;

    public sealed record SubmitOutcome(string Name, string? Error) : IClusterMessage;

    public sealed record Registered(IReadOnlyList<SubmitOutcome> Outcomes) : IClusterMessage;

    /// <summary>The node may not take part (its name is another member's): it leaves the cluster.</summary>
    public sealed record NodeRefused(string Reason) : IClusterMessage;

    /// <summary>A daemon's state changed on its node.</summary>
    public sealed record StateReport(string Node, long Epoch, ManagedDaemon Daemon, bool Fenced) : IClusterMessage;

    /// <summary>A node leaving the cluster has stopped these daemons: they may run elsewhere at once.</summary>
    public sealed record LeavingNode(string Node, IReadOnlyList<Held> Stopped) : IClusterMessage;

    /// <summary>Run a daemon here (start or adopt it) under this epoch. Answered with <see cref="Done"/>.</summary>
    public sealed record Run(string Name, long Epoch, DaemonSpec Spec, bool Movable, ManagedDaemon? Carried) : IClusterMessage;

    /// <summary>Stop a daemon held here (and forget it). Answered with <see cref="Done"/>.</summary>
    public sealed record Halt(string Name, long Epoch, bool Forget) : IClusterMessage;

    /// <summary>Restart a daemon held here, on request. Answered with <see cref="Done"/>.</summary>
    public sealed record RestartHere(string Name, long Epoch) : IClusterMessage;

    /// <summary>
    /// What became of an order: the daemon's snapshot, or why it could not be done. <paramref name="Refused"/>: the node
    /// takes no orders now (it is leaving or fenced), which says nothing about the daemon.
    /// </summary>
    public sealed record Done(string Node, string Name, long Epoch, ManagedDaemon? Daemon, string? Error, bool Refused = false) : IClusterMessage;

    /// <summary>A coordinator has (re)started: every agent registers again.</summary>
    public sealed record Hello : IClusterMessage
    {
        public static readonly Hello Instance = new();
    }

    /// <summary>For status: the coordinator's table and nodes. Answered with <see cref="Placements"/>.</summary>
    public sealed record GetPlacements : IClusterMessage
    {
        public static readonly GetPlacements Instance = new();
    }

    public sealed record Placements(IReadOnlyList<PlacedDaemon> Daemons, IReadOnlyList<ClusterReplies.ClusterNode> Nodes) : IClusterMessage;

    /// <summary>For status: what a node runs now, live from its session. Answered with <see cref="LocalStatus"/>.</summary>
    public sealed record GetLocal : IClusterMessage
    {
        public static readonly GetLocal Instance = new();
    }

    public sealed record LocalStatus(string Node, IReadOnlyList<Held> Daemons) : IClusterMessage;
}
