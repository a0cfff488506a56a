using System.Text.Json.Serialization;
using ActorSupervisor.Cluster.Serialization;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Cluster.Placement;

/// <summary>
/// One daemon of the clustered session, as the placement coordinator decided it: its spec, the node (and that node's
/// incarnation) it is placed on, the epoch of that placement, and the last state the node reported. Replicated with
/// Akka.DistributedData, so a coordinator that takes over on another node knows every daemon, also those whose node
/// died with the old coordinator.
/// </summary>
internal sealed record PlacedDaemon : IClusterMessage
{
    [JsonPropertyName("spec")] public required DaemonSpec Spec { get; init; }

    /// <summary>Stopped on request: stays stopped, wherever its node goes, until it is started again.</summary>
    [JsonPropertyName("stop_requested")] public bool StopRequested { get; init; }

    /// <summary>The node it is placed on; null while it waits for a node (or is stopped with no node).</summary>
    [JsonPropertyName("node")] public string? Node { get; init; }

    /// <summary>The placed node's incarnation (Akka's unique address): a node that restarts is a new incarnation.</summary>
    [JsonPropertyName("node_address")] public string? NodeAddress { get; init; }

    /// <summary>Grows with every new placement; a node obeys an order only if its epoch is not older than what it holds.</summary>
    [JsonPropertyName("epoch")] public long Epoch { get; init; }

    /// <summary>The daemon as its node last reported it (state, pid, port, restarts, last failure, reason).</summary>
    [JsonPropertyName("last")] public ManagedDaemon? Last { get; init; }

    /// <summary>Its last state came from its node fencing itself: it is owed a start, not final.</summary>
    [JsonPropertyName("fenced")] public bool Fenced { get; init; }

    [JsonPropertyName("submitted_by")] public string? SubmittedBy { get; init; }

    [JsonIgnore] public string Name => Spec.Name;

    /// <summary>The snapshot status shows for it when its node cannot be asked.</summary>
    public ManagedDaemon Shown(string? reason = null)
    {
        var last = Last ?? new ManagedDaemon { Spec = Spec, State = DaemonState.Starting };
        return reason is null ? last : last with { Reason = reason };
    }
}
