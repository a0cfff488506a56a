using System.Reflection;
using System.Text.Json.Serialization;

namespace ActorSupervisor.Daemons;

/// <summary>
/// The one list of the field names a daemon spec may carry. Ours are read from <see cref="DaemonSpec"/>'s
/// [JsonPropertyName] attributes, so a property added there is known here at once. Anything else is refused, so that a typo
/// (<c>helth_url</c>) cannot leave a daemon silently unchecked.
/// </summary>
internal static class SpecFields
{
    /// <summary>
    /// Ours: JSON name to property, from the attributes. A property that is never read or written ([JsonIgnore] without
    /// a condition: WantsPort, HasHealthCheck) is a helper, not a field; one ignored only when writing its default is.
    /// </summary>
    public static IReadOnlyDictionary<string, PropertyInfo> Ours { get; } = typeof(DaemonSpec)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite && p.GetCustomAttribute<JsonIgnoreAttribute>() is not { Condition: JsonIgnoreCondition.Always })
        .Select(p => (Property: p, Name: p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name))
        .Where(p => p.Name is not null)
        .ToDictionary(p => p.Name!, p => p.Property, StringComparer.Ordinal);

    // Every json tag of NTM's DaemonSpec (internal/supervisor/supervisor.go in Dicklesworthstone/ntm) is one of ours,
    // health_mcp and no_port_fallback included, so a file written for NTM is read whole (SpecFileSpecs checks each).

    /// <summary>Every accepted name, sorted, for suggestions and for listing in a message.</summary>
    public static IReadOnlyList<string> All { get; } = Ours.Keys.Order(StringComparer.Ordinal).ToList();

    public static bool IsKnown(string name) => Ours.ContainsKey(name);
}
