namespace ActorSupervisor.Cluster.Protocol;

/// <summary>What a node's agent publishes on its ActorSystem's event stream, for the host to show (the CLI prints them).</summary>
public static class ClusterEvents
{
    /// <summary>The node has registered with the session's coordinator: its specs are in, daemons may be placed on it.</summary>
    /// <param name="SessionId">The clustered session.</param>
    /// <param name="Node">This node's name.</param>
    public sealed record Joined(string SessionId, string Node);

    /// <summary>A spec this node brought was not accepted (invalid, or another spec of that name is in the session).</summary>
    /// <param name="SessionId">The clustered session.</param>
    /// <param name="Name">The spec's daemon name.</param>
    /// <param name="Error">Why it was refused, in words.</param>
    public sealed record SpecRefused(string SessionId, string Name, string Error);

    /// <summary>The cluster will not have this node (its name is another member's); it runs nothing.</summary>
    /// <param name="SessionId">The clustered session.</param>
    /// <param name="Node">This node's name.</param>
    /// <param name="Reason">Why, in words.</param>
    public sealed record NodeRefused(string SessionId, string Node, string Reason);

    /// <summary>The node stopped every daemon it ran: it lost the majority, was downed, or woke from a freeze.</summary>
    /// <param name="SessionId">The clustered session.</param>
    /// <param name="Node">This node's name.</param>
    /// <param name="Reason">Why, in words.</param>
    public sealed record Fenced(string SessionId, string Node, string Reason);

    /// <summary>The node is in good standing again and asks for its daemons back.</summary>
    /// <param name="SessionId">The clustered session.</param>
    /// <param name="Node">This node's name.</param>
    public sealed record Unfenced(string SessionId, string Node);
}
