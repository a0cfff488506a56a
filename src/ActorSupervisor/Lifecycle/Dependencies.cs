using ActorSupervisor.Daemons;

namespace ActorSupervisor.Lifecycle;

/// <summary>Where a daemon stands with its dependencies: it may launch, it waits (and why), or it never can (and why).</summary>
internal abstract record DependencyStatus
{
    public sealed record Satisfied : DependencyStatus
    {
        public static readonly Satisfied Instance = new();
    }

    public sealed record Waiting(string Reason) : DependencyStatus;

    public sealed record Impossible(string Reason) : DependencyStatus;
}

/// <summary>The dependency rules: what a daemon waits for, whether it may launch, the order to stop in.</summary>
internal static class Dependencies
{
    /// <summary>
    /// What <paramref name="spec"/> waits for: its depends_on, plus "started" for every other daemon whose port it
    /// wires into its args or env (a port is known once the daemon it belongs to has launched), unless depends_on
    /// already names that daemon.
    /// </summary>
    public static IReadOnlyDictionary<string, DependencyCondition> Of(DaemonSpec spec)
    {
        var all = new Dictionary<string, DependencyCondition>(spec.DependsOn, StringComparer.Ordinal);
        foreach (var name in PortWiring.References(spec))
            if (name != spec.Name) all.TryAdd(name, DependencyCondition.Started);
        return all;
    }

    /// <summary>
    /// Whether <paramref name="spec"/>'s first generation may launch, given the records of its dependencies
    /// (<paramref name="lookup"/> answers null for a daemon the session does not know yet: that one is waited for).
    /// </summary>
    public static DependencyStatus Check(DaemonSpec spec, Func<string, DaemonRecord?> lookup)
    {
        var waiting = new List<string>();
        foreach (var (name, condition) in Of(spec).OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            var record = lookup(name);
            var word = Word(condition);
            if (record is null)
            {
                waiting.Add($"{name} ({word}; not started yet)");
                continue;
            }
            var met = condition switch
            {
                DependencyCondition.Started => record.EverLaunched,
                DependencyCondition.Healthy => record.EverHealthy,
                _ => record.Snapshot.Completed,
            };
            if (met) continue;
            if (record.IsFinal)
            {
                var what = record.State == DaemonState.Failed ? "failed" : "stopped";
                var why = record.Snapshot.LastFailure is { } f && record.State == DaemonState.Failed ? $": {f}" : "";
                return new DependencyStatus.Impossible($"dependency {name} {what} before it was {Past(condition)}{why}");
            }
            waiting.Add($"{name} ({word})");
        }
        return waiting.Count == 0
            ? DependencyStatus.Satisfied.Instance
            : new DependencyStatus.Waiting("waiting for " + string.Join(", ", waiting));
    }

    /// <summary>Names in <paramref name="specs"/> that depend on <paramref name="name"/>, directly or through others.</summary>
    public static IReadOnlySet<string> DependentsOf(string name, IEnumerable<DaemonSpec> specs)
    {
        var list = specs.ToList();
        var found = new HashSet<string>(StringComparer.Ordinal);
        var frontier = new Queue<string>([name]);
        while (frontier.TryDequeue(out var current))
            foreach (var spec in list)
                if (spec.Name != name && Of(spec).ContainsKey(current) && found.Add(spec.Name)) frontier.Enqueue(spec.Name);
        return found;
    }

    /// <summary>A dependency cycle among <paramref name="specs"/>, as the names around it ("a -> b -> a"), or null.</summary>
    public static string? FindCycle(IEnumerable<DaemonSpec> specs)
    {
        var graph = specs.ToDictionary(s => s.Name, s => Of(s).Keys.ToList(), StringComparer.Ordinal);
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 on the path, 2 done
        var path = new List<string>();

        string? Visit(string node)
        {
            if (state.TryGetValue(node, out var s))
            {
                if (s == 2) return null;
                var start = path.IndexOf(node);
                return string.Join(" -> ", path.Skip(start).Append(node));
            }
            state[node] = 1;
            path.Add(node);
            foreach (var next in graph.GetValueOrDefault(node) ?? [])
                if (graph.ContainsKey(next) && Visit(next) is { } cycle) return cycle;
            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }

        foreach (var node in graph.Keys.Order(StringComparer.Ordinal))
            if (Visit(node) is { } cycle) return cycle;
        return null;
    }

    private static string Word(DependencyCondition condition) => condition switch
    {
        DependencyCondition.Started => "started",
        DependencyCondition.Healthy => "healthy",
        _ => "completed",
    };

    private static string Past(DependencyCondition condition) => condition switch
    {
        DependencyCondition.Started => "started",
        DependencyCondition.Healthy => "healthy",
        _ => "completed",
    };
}
