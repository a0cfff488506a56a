using System.Text.Json;
using ActorSupervisor.Control.Model;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Control.Reload;

/// <summary>What a reload does to each daemon: the file's specs against the ones the session runs.</summary>
internal sealed record SpecDiff(
    IReadOnlyList<DaemonSpec> Added,
    IReadOnlyList<string> Removed,
    IReadOnlyList<DaemonSpec> Changed,
    IReadOnlyList<string> Unchanged)
{
    public static SpecDiff Between(IEnumerable<DaemonSpec> running, IReadOnlyList<DaemonSpec> wanted)
    {
        var current = running.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var names = wanted.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var added = new List<DaemonSpec>();
        var changed = new List<DaemonSpec>();
        var unchanged = new List<string>();
        foreach (var spec in wanted)
        {
            if (!current.TryGetValue(spec.Name, out var now)) added.Add(spec);
            else if (Same(now, spec)) unchanged.Add(spec.Name);
            else changed.Add(spec);
        }
        var removed = current.Keys.Where(n => !names.Contains(n)).Order(StringComparer.Ordinal).ToList();
        return new SpecDiff(added, removed, changed, unchanged);
    }

    /// <summary>
    /// Structural equality of two specs. DaemonSpec is a record whose lists compare by reference, so its own Equals
    /// calls two specs read from the same file twice different. Comparing their JSON compares every field the spec
    /// has, including any added to it later, in one place that cannot forget one.
    /// </summary>
    public static bool Same(DaemonSpec a, DaemonSpec b) =>
        JsonSerializer.Serialize(a, ControlJson.Default.DaemonSpec) == JsonSerializer.Serialize(b, ControlJson.Default.DaemonSpec);
}
