using System.Text.Json;
using System.Text.Json.Serialization;
using ActorSupervisor.Daemons;
using ActorSupervisor.PidFiles;

namespace ActorSupervisor.Serialization;

// System.Text.Json source generation: the JSON this library reads and writes, described at compile time. A NativeAOT
// build has no reflection-based serializer, and the generated code is also faster to start under the JIT. The options
// here are the ones each format had as a JsonSerializerOptions before; one context per format, since options are fixed
// per context.

/// <summary>PID files: indented, nulls left out (NTM's readers expect absent fields, not nulls), comments and trailing commas tolerated.</summary>
[JsonSourceGenerationOptions(
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(PidFileInfo))]
internal sealed partial class PidFileJsonContext : JsonSerializerContext;

/// <summary>Spec files: a JSON array of specs, comments and trailing commas tolerated; strings for the HOCON-to-JSON writer.</summary>
[JsonSourceGenerationOptions(
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(List<DaemonSpec?>))]
[JsonSerializable(typeof(DaemonSpec))]
[JsonSerializable(typeof(string))]
internal sealed partial class SpecJsonContext : JsonSerializerContext;
