using System.Collections.Frozen;
using System.Runtime.Serialization;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;
using ActorSupervisor.Cluster.Placement;
using ActorSupervisor.Cluster.Protocol;

namespace ActorSupervisor.Cluster.Serialization;

/// <summary>Marks what crosses the wire between nodes (and what is replicated): <see cref="ClusterMessageSerializer"/> writes it.</summary>
internal interface IClusterMessage;

/// <summary>
/// JSON (System.Text.Json) for the cluster's messages: specs and snapshots keep the project's own JSON names, so what
/// travels between nodes reads like a spec file and `status --json`. Each type has a short, fixed manifest, so a
/// renamed class does not break a rolling upgrade. Akka's default serializer (Newtonsoft, by CLR type name) would
/// ignore those names and accept any type a peer names.
/// </summary>
internal sealed class ClusterMessageSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    private static readonly JsonSerializerOptions Json = ClusterMessageJson.Default.Options;

    private static readonly FrozenDictionary<Type, string> Manifests = new Dictionary<Type, string>
    {
        [typeof(PlacedDaemon)] = "pd",
        [typeof(ClusterQueries.GetClusterStatus)] = "q-status",
        [typeof(ClusterCommands.Submit)] = "c-submit",
        [typeof(ClusterCommands.Stop)] = "c-stop",
        [typeof(ClusterCommands.Restart)] = "c-restart",
        [typeof(ClusterCommands.Resume)] = "c-resume",
        [typeof(ClusterCommands.Remove)] = "c-remove",
        [typeof(ClusterReplies.ClusterDaemon)] = "r-daemon",
        [typeof(ClusterReplies.ClusterNode)] = "r-node",
        [typeof(ClusterReplies.ClusterStatus)] = "r-status",
        [typeof(ClusterReplies.CommandFailed)] = "r-failed",
        [typeof(PlacementProtocol.Held)] = "p-held",
        [typeof(PlacementProtocol.Register)] = "p-register",
        [typeof(PlacementProtocol.SubmitOutcome)] = "p-outcome",
        [typeof(PlacementProtocol.Registered)] = "p-registered",
        [typeof(PlacementProtocol.NodeRefused)] = "p-refused",
        [typeof(PlacementProtocol.StateReport)] = "p-state",
        [typeof(PlacementProtocol.LeavingNode)] = "p-leaving",
        [typeof(PlacementProtocol.Run)] = "p-run",
        [typeof(PlacementProtocol.Halt)] = "p-halt",
        [typeof(PlacementProtocol.RestartHere)] = "p-restart",
        [typeof(PlacementProtocol.Done)] = "p-done",
        [typeof(PlacementProtocol.Hello)] = "p-hello",
        [typeof(PlacementProtocol.GetPlacements)] = "p-get-placements",
        [typeof(PlacementProtocol.Placements)] = "p-placements",
        [typeof(PlacementProtocol.GetLocal)] = "p-get-local",
        [typeof(PlacementProtocol.LocalStatus)] = "p-local",
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, Type> Types = Manifests.ToFrozenDictionary(kv => kv.Value, kv => kv.Key);

    public override string Manifest(object o) =>
        Manifests.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new SerializationException($"{o.GetType().Name} is not a cluster message");

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, Json.GetTypeInfo(obj.GetType()));

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!Types.TryGetValue(manifest, out var type))
            throw new SerializationException($"unknown cluster message '{manifest}'");
        // Singletons stay singletons, so a receiver may compare with Instance.
        if (type == typeof(ClusterQueries.GetClusterStatus)) return ClusterQueries.GetClusterStatus.Instance;
        if (type == typeof(PlacementProtocol.Hello)) return PlacementProtocol.Hello.Instance;
        if (type == typeof(PlacementProtocol.GetPlacements)) return PlacementProtocol.GetPlacements.Instance;
        if (type == typeof(PlacementProtocol.GetLocal)) return PlacementProtocol.GetLocal.Instance;
        return JsonSerializer.Deserialize(bytes, Json.GetTypeInfo(type)) ?? throw new SerializationException($"empty cluster message '{manifest}'");
    }
}
