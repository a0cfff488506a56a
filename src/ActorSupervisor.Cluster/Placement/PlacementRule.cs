using ActorSupervisor.Daemons;

namespace ActorSupervisor.Cluster.Placement;

/// <summary>Where a daemon may run, from its spec's <c>placement</c>: one node, any node with a role, or any node.</summary>
internal abstract record PlacementRule
{
    public static readonly PlacementRule Anywhere = new Any();

    public abstract bool Fits(NodeView node);

    /// <summary>False only for a daemon pinned to one node: it waits for that node instead of moving.</summary>
    public virtual bool Movable => true;

    /// <summary>Why nothing fits, for the daemon's reason while it waits.</summary>
    public abstract string NoNodeReason { get; }

    public static PlacementRule Of(DaemonSpec spec) => spec.Placement switch
    {
        { Node: { } node } => new OnNode(node),
        { Role: { } role } => new WithRole(role),
        _ => Anywhere,
    };

    /// <summary>Problems of a spec's placement, each naming the field and value; empty when it is sound.</summary>
    public static IReadOnlyList<SpecProblem> Problems(DaemonSpec spec)
    {
        if (spec.Placement is not { } placement) return [];
        var problems = new List<SpecProblem>();
        if (placement.Node is not null && placement.Role is not null)
            problems.Add(new SpecProblem("placement", $"node {placement.Node}, role {placement.Role}", "takes either node or role, not both"));
        if (placement.Node is { } node && !Validation.IsSafeName(node))
            problems.Add(new SpecProblem("placement.node", node, "must be a node name: 1 to 64 of [A-Za-z0-9._-], not starting with '.' or '-'"));
        if (placement.Role is { } role && !Validation.IsSafeName(role))
            problems.Add(new SpecProblem("placement.role", role, "must be a role: 1 to 64 of [A-Za-z0-9._-], not starting with '.' or '-'"));
        if (placement is { Node: null, Role: null })
            problems.Add(new SpecProblem("placement", "{}", "needs node or role (leave placement out to allow any node)"));
        return problems;
    }

    private sealed record Any : PlacementRule
    {
        public override bool Fits(NodeView node) => true;
        public override string NoNodeReason => "waiting for a node to run on";
    }

    public sealed record OnNode(string Node) : PlacementRule
    {
        public override bool Fits(NodeView node) => node.Name == Node;
        public override bool Movable => false;
        public override string NoNodeReason => $"waiting for node {Node}";
    }

    public sealed record WithRole(string Role) : PlacementRule
    {
        public override bool Fits(NodeView node) => node.Roles.Contains(Role, StringComparer.Ordinal);
        public override string NoNodeReason => $"waiting for a node with role {Role}";
    }
}

/// <summary>A node as the coordinator knows it: a registered member of the session.</summary>
internal sealed record NodeView(string Name, string Address, IReadOnlyList<string> Roles);

/// <summary>The pure choice of a node for a daemon: the least loaded node that fits, ties broken by name.</summary>
internal static class Placer
{
    public static NodeView? Choose(PlacementRule rule, IEnumerable<NodeView> eligible, Func<string, int> load) =>
        eligible.Where(rule.Fits)
            .OrderBy(n => load(n.Name))
            .ThenBy(n => n.Name, StringComparer.Ordinal)
            .FirstOrDefault();
}

/// <summary>The cluster's checks of a set of specs, for callers that want them before anything starts (the CLI's `up`).</summary>
internal static class ClusterSpecs
{
    /// <summary>Throws <see cref="InvalidSpecException"/> naming each spec's bad placement field and value.</summary>
    public static void EnsureValid(IEnumerable<DaemonSpec> specs, string source)
    {
        var problems = specs.SelectMany(s => PlacementRule.Problems(s).Select(p => p with { Field = $"{s.Name}.{p.Field}" })).ToList();
        if (problems.Count > 0) throw new InvalidSpecException(source, problems);
    }
}
