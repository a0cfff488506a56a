using ActorSupervisor.Actors;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Observability;

/// <summary>
/// The latest state of every daemon of one ActorSystem, as the event stream tells it, for the metrics gauges; and the
/// rule that turns a state change into a counted restart. Pure, so the rule is tested without actors.
/// </summary>
internal sealed class DaemonStateTable
{
    private readonly object _gate = new();
    private readonly Dictionary<(string Session, string Name), (DaemonState State, int Restarts)> _latest = [];

    /// <summary>
    /// Records the change; returns the reason of a restart it reveals, or null. A daemon's restart count goes up when
    /// its next generation launches: after a failed run (the state before was restarting: the reason is the failure's
    /// kind) or on request (restart, start again: "requested").
    /// </summary>
    public string? Apply(SupervisorEvents.DaemonStateChanged change)
    {
        var key = (change.SessionId, change.Name);
        lock (_gate)
        {
            var known = _latest.TryGetValue(key, out var before);
            _latest[key] = (change.State, change.Daemon.Restarts);
            if (!known || change.Daemon.Restarts <= before.Restarts) return null;
            return before.State == DaemonState.Restarting ? FailureKind(change.Daemon.LastFailure) : "requested";
        }
    }

    /// <summary>How many daemons are in each state, per session.</summary>
    public List<(string Session, DaemonState State, int Count)> Counts()
    {
        lock (_gate)
        {
            return _latest
                .GroupBy(kv => (kv.Key.Session, kv.Value.State))
                .Select(g => (g.Key.Session, g.Key.State, g.Count()))
                .ToList();
        }
    }

    /// <summary>A failure's kind, for a metric label with few values: the record's own kind, as its JSON word.</summary>
    public static string FailureKind(FailureRecord? failure) => failure?.Kind switch
    {
        null or Daemons.FailureKind.Other => "other",
        Daemons.FailureKind.Exit => "exit",
        Daemons.FailureKind.Signal => "signal",
        Daemons.FailureKind.Health => "health",
        Daemons.FailureKind.StartupTimeout => "startup_timeout",
        Daemons.FailureKind.CannotLaunch => "cannot_launch",
        Daemons.FailureKind.Dependency => "dependency",
        _ => "supervisor",
    };

    /// <summary>A daemon the session forgot (RemoveDaemon, a reload): no longer counted in any state.</summary>
    public void Remove(string session, string name)
    {
        lock (_gate) _latest.Remove((session, name));
    }
}
