using System.Text.Json.Serialization;

namespace ActorSupervisor.Daemons;

/// <summary>
/// Where in a cluster a daemon may run: on one node (<see cref="Node"/>), on any node with a role (<see cref="Role"/>),
/// or, without a placement, on any node. Only a clustered supervisor (ActorSupervisor.Cluster) reads it; a supervisor
/// on its own runs every daemon it is given.
/// </summary>
public sealed record DaemonPlacement
{
    /// <summary>The one node the daemon may run on (its <c>--node</c> name); it waits while that node is away. Null: not pinned.</summary>
    [JsonPropertyName("node"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Node { get; init; }
    /// <summary>A role the node must have (<c>--roles</c>); the least loaded such node is chosen. Null: any role.</summary>
    [JsonPropertyName("role"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Role { get; init; }
}
