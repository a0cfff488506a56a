namespace ActorSupervisor.Cluster.Fencing;

/// <summary>A member of the session as one node sees it, for <see cref="Standing"/>.</summary>
/// <remarks><paramref name="Rank"/> is the member's place in Akka's address ordering, which keep-majority's tie-break uses.</remarks>
internal sealed record MemberSight(string Address, bool Up, bool Reachable, int Rank);

/// <summary>
/// Whether a node is on the side of the cluster that keeps running: the side Akka's keep-majority resolver keeps.
/// The majority is counted over the session's members that are up; on an even split the side with the lowest address
/// wins, as keep-majority decides it. A node that other members see as unreachable is not in good standing even if it
/// sees them all: it is the one about to be downed.
/// </summary>
internal static class Standing
{
    public static bool IsGood(string self, IReadOnlyCollection<MemberSight> members)
    {
        var counted = members.Where(m => m.Up).ToList();
        var me = counted.FirstOrDefault(m => m.Address == self);
        if (me is null || !me.Reachable) return false;
        var reachable = counted.Count(m => m.Reachable);
        var total = counted.Count;
        if (reachable * 2 > total) return true;
        if (reachable * 2 < total) return false;
        return counted.MinBy(m => m.Rank)!.Reachable;
    }
}

/// <summary>
/// A node's right to run its daemons, renewed by every check that finds it in good standing, and lost when no check
/// has for <c>fenceAfter</c>. A check that comes much later than scheduled (the process was frozen, or starved) renews
/// nothing: what it sees of the cluster is stale, and the others may have downed this node meanwhile. So a node thawed
/// after a long SIGSTOP fences at its first check, before it has heard anything from the cluster.
/// </summary>
internal sealed class Lease(TimeSpan fenceAfter, TimeSpan checkInterval)
{
    private DateTimeOffset _lastGood = DateTimeOffset.MinValue;
    private DateTimeOffset _lastCheck = DateTimeOffset.MinValue;

    /// <summary>How late a check may come and still be trusted: a few intervals, at most half of fenceAfter.</summary>
    public TimeSpan StallLimit { get; } = TimeSpan.FromTicks(Math.Min(checkInterval.Ticks * 4, fenceAfter.Ticks / 2));

    /// <summary>The node starts in good standing once it is up: its daemons are placed on it only then.</summary>
    public void Grant(DateTimeOffset now)
    {
        _lastGood = now;
        _lastCheck = now;
    }

    /// <summary>Records a check; true when the lease is lost (the node must fence).</summary>
    public bool Check(DateTimeOffset now, bool goodStanding)
    {
        if (_lastGood == DateTimeOffset.MinValue) return false; // never up: nothing placed here yet
        var stalled = now - _lastCheck > StallLimit;
        _lastCheck = now;
        if (goodStanding && !stalled) _lastGood = now;
        return now - _lastGood > fenceAfter;
    }

    /// <summary>How long since the node last knew it was in good standing.</summary>
    public TimeSpan SinceGood(DateTimeOffset now) => now - _lastGood;
}
