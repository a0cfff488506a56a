using ActorSupervisor.Cluster.Serialization;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Cluster.Protocol;

/// <summary>
/// Questions any node answers about the whole clustered session. Ask the node's agent
/// (<see cref="ClusterSupervisor.Agent"/>), locally or over Akka.Remote.
/// </summary>
public static class ClusterQueries
{
    /// <summary>Answered with <see cref="ClusterReplies.ClusterStatus"/>: every daemon of the session, with its node.</summary>
    public sealed record GetClusterStatus : IClusterMessage
    {
        /// <summary>The one instance; the question carries no data.</summary>
        public static readonly GetClusterStatus Instance = new();
    }
}

/// <summary>
/// Orders for one daemon of the clustered session, from any node: they act where the daemon runs. Each is answered with
/// <see cref="ClusterReplies.ClusterDaemon"/> or <see cref="ClusterReplies.CommandFailed"/>.
/// </summary>
public static class ClusterCommands
{
    /// <summary>Adds a daemon to the session; it is placed per its spec's placement and answered once launched (or waiting).</summary>
    /// <param name="Spec">The daemon; its <c>placement</c> says where it may run.</param>
    public sealed record Submit(DaemonSpec Spec) : IClusterMessage;

    /// <summary>Stops it where it runs, for good: it stays stopped (also if its node is lost) until started again.</summary>
    /// <param name="Name">The daemon's name in the session.</param>
    public sealed record Stop(string Name) : IClusterMessage;

    /// <summary>Restarts it where it runs (a new process, no failure counted); a stopped or failed one is started again.</summary>
    /// <param name="Name">The daemon's name in the session.</param>
    public sealed record Restart(string Name) : IClusterMessage;

    /// <summary>Starts a stopped or failed one again; refused while it is active.</summary>
    /// <param name="Name">The daemon's name in the session.</param>
    public sealed record Resume(string Name) : IClusterMessage;

    /// <summary>Stops it and forgets it: its name is free again in the session.</summary>
    /// <param name="Name">The daemon's name in the session.</param>
    public sealed record Remove(string Name) : IClusterMessage;
}

/// <summary>What a node's agent answers to <see cref="ClusterQueries"/> and <see cref="ClusterCommands"/>.</summary>
public static class ClusterReplies
{
    /// <summary>A daemon and the node it runs on (null while it has none: waiting for a node, or stopped with its node gone).</summary>
    /// <param name="Node">The node's name, or null while it has none.</param>
    /// <param name="Daemon">The daemon's snapshot, from its node (or the last one known).</param>
    public sealed record ClusterDaemon(string? Node, ManagedDaemon Daemon) : IClusterMessage;

    /// <summary>A node of the session as the coordinator sees it: <c>up</c>, <c>unreachable</c>, <c>leaving</c>.</summary>
    /// <param name="Name">The node's name.</param>
    /// <param name="Address">Its Akka address (<c>akka.tcp://SYSTEM@HOST:PORT</c>).</param>
    /// <param name="Roles">The roles it was given (without the session's own).</param>
    /// <param name="Status"><c>up</c>, <c>unreachable</c> or <c>leaving</c>.</param>
    public sealed record ClusterNode(string Name, string Address, IReadOnlyList<string> Roles, string Status) : IClusterMessage;

    /// <summary>Every daemon of the clustered session with its node, and every node of the session.</summary>
    /// <param name="SessionId">The session.</param>
    /// <param name="Daemons">Each daemon with the node it runs on (or none).</param>
    /// <param name="Nodes">The session's nodes as the coordinator sees them.</param>
    public sealed record ClusterStatus(string SessionId, IReadOnlyList<ClusterDaemon> Daemons, IReadOnlyList<ClusterNode> Nodes) : IClusterMessage;

    /// <summary>An order refused or failed.</summary>
    /// <param name="Name">The daemon the order was for.</param>
    /// <param name="Error">Why, in words.</param>
    /// <param name="NotFound">True when the session has no daemon of that name.</param>
    public sealed record CommandFailed(string Name, string Error, bool NotFound = false) : IClusterMessage;
}
