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
    public sealed record Submit(DaemonSpec Spec) : IClusterMessage;

    /// <summary>Stops it where it runs, for good: it stays stopped (also if its node is lost) until started again.</summary>
    public sealed record Stop(string Name) : IClusterMessage;

    /// <summary>Restarts it where it runs (a new process, no failure counted); a stopped or failed one is started again.</summary>
    public sealed record Restart(string Name) : IClusterMessage;

    /// <summary>Starts a stopped or failed one again; refused while it is active.</summary>
    public sealed record Resume(string Name) : IClusterMessage;

    /// <summary>Stops it and forgets it: its name is free again in the session.</summary>
    public sealed record Remove(string Name) : IClusterMessage;
}

public static class ClusterReplies
{
    /// <summary>A daemon and the node it runs on (null while it has none: waiting for a node, or stopped with its node gone).</summary>
    public sealed record ClusterDaemon(string? Node, ManagedDaemon Daemon) : IClusterMessage;

    /// <summary>A node of the session as the coordinator sees it: <c>up</c>, <c>unreachable</c>, <c>leaving</c>.</summary>
    public sealed record ClusterNode(string Name, string Address, IReadOnlyList<string> Roles, string Status) : IClusterMessage;

    public sealed record ClusterStatus(string SessionId, IReadOnlyList<ClusterDaemon> Daemons, IReadOnlyList<ClusterNode> Nodes) : IClusterMessage;

    /// <summary>An order refused or failed; <paramref name="NotFound"/> when the session has no daemon of that name.</summary>
    public sealed record CommandFailed(string Name, string Error, bool NotFound = false) : IClusterMessage;
}
