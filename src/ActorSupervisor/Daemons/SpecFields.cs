using System.Reflection;
using System.Text.Json.Serialization;

namespace ActorSupervisor.Daemons;

/// <summary>
/// The one list of the field names a daemon spec may carry. Ours are read from <see cref="DaemonSpec"/>'s
/// [JsonPropertyName] attributes, so a property added there is known here at once; NTM's fields that we do not
/// implement are listed by hand, since a file written for NTM may carry them. Anything else is refused, so that a typo
/// (<c>helth_url</c>) cannot leave a daemon silently unchecked.
/// </summary>
internal static class SpecFields
{
    /// <summary>Ours: JSON name to property, from the attributes; [JsonIgnore]d helpers are not fields.</summary>
    public static IReadOnlyDictionary<string, PropertyInfo> Ours { get; } = typeof(DaemonSpec)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite && p.GetCustomAttribute<JsonIgnoreAttribute>() is null)
        .Select(p => (Property: p, Name: p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name))
        .Where(p => p.Name is not null)
        .ToDictionary(p => p.Name!, p => p.Property, StringComparer.Ordinal);

    // NTM's DaemonSpec (internal/supervisor/supervisor.go in Dicklesworthstone/ntm) has these beyond ours:
    // health_mcp (an MCP JSON-RPC round trip as the health check) and no_port_fallback (our require_port).
    public const string NtmHealthMcp = "health_mcp";
    public const string NtmNoPortFallback = "no_port_fallback";

    public static IReadOnlyList<string> NtmOnly { get; } = [NtmHealthMcp, NtmNoPortFallback];

    /// <summary>Every accepted name, sorted, for suggestions and for listing in a message.</summary>
    public static IReadOnlyList<string> All { get; } = Ours.Keys.Concat(NtmOnly).Order(StringComparer.Ordinal).ToList();

    public static bool IsKnown(string name) => Ours.ContainsKey(name) || NtmOnly.Contains(name);
}
