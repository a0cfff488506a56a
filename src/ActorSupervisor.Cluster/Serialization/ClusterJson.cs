using System.Text.Json.Serialization;
using ActorSupervisor.Cluster.Placement;
using ActorSupervisor.Cluster.Protocol;

namespace ActorSupervisor.Cluster.Serialization;

/// <summary>
/// The cluster's messages as JSON, source-generated: the CLI publishes NativeAOT, where reflection-based serialization
/// is off, and the generated code also starts faster under the JIT. Every type <see cref="ClusterMessageSerializer"/>
/// gives a manifest is listed here.
/// </summary>
[JsonSourceGenerationOptions(MaxDepth = 32)]
[JsonSerializable(typeof(PlacedDaemon))]
[JsonSerializable(typeof(ClusterQueries.GetClusterStatus))]
[JsonSerializable(typeof(ClusterCommands.Submit))]
[JsonSerializable(typeof(ClusterCommands.Stop))]
[JsonSerializable(typeof(ClusterCommands.Restart))]
[JsonSerializable(typeof(ClusterCommands.Resume))]
[JsonSerializable(typeof(ClusterCommands.Remove))]
[JsonSerializable(typeof(ClusterReplies.ClusterDaemon))]
[JsonSerializable(typeof(ClusterReplies.ClusterNode))]
[JsonSerializable(typeof(ClusterReplies.ClusterStatus))]
[JsonSerializable(typeof(ClusterReplies.CommandFailed))]
[JsonSerializable(typeof(PlacementProtocol.Held))]
[JsonSerializable(typeof(PlacementProtocol.Register))]
[JsonSerializable(typeof(PlacementProtocol.SubmitOutcome))]
[JsonSerializable(typeof(PlacementProtocol.Registered))]
[JsonSerializable(typeof(PlacementProtocol.NodeRefused))]
[JsonSerializable(typeof(PlacementProtocol.StateReport))]
[JsonSerializable(typeof(PlacementProtocol.LeavingNode))]
[JsonSerializable(typeof(PlacementProtocol.Run))]
[JsonSerializable(typeof(PlacementProtocol.Halt))]
[JsonSerializable(typeof(PlacementProtocol.RestartHere))]
[JsonSerializable(typeof(PlacementProtocol.Done))]
[JsonSerializable(typeof(PlacementProtocol.Hello))]
[JsonSerializable(typeof(PlacementProtocol.GetPlacements))]
[JsonSerializable(typeof(PlacementProtocol.Placements))]
[JsonSerializable(typeof(PlacementProtocol.GetLocal))]
[JsonSerializable(typeof(PlacementProtocol.LocalStatus))]
internal sealed partial class ClusterMessageJson : JsonSerializerContext;
