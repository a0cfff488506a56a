using System.Text.Json.Serialization;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Control.Model;

/// <summary>
/// Source-generated JSON for everything the control API reads and writes, so no reflection is needed (NativeAOT).
/// <see cref="DaemonSpec"/> is here for comparing specs on reload; specs are read by the library's one parser.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(DaemonView))]
[JsonSerializable(typeof(List<DaemonView>))]
[JsonSerializable(typeof(StatusView))]
[JsonSerializable(typeof(EventView))]
[JsonSerializable(typeof(ReloadView))]
[JsonSerializable(typeof(ErrorView))]
[JsonSerializable(typeof(HealthView))]
[JsonSerializable(typeof(DaemonSpec))]
internal sealed partial class ControlJson : JsonSerializerContext;
