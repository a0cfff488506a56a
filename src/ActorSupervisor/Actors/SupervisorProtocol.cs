using ActorSupervisor.Daemons;

namespace ActorSupervisor.Actors;

/// <summary>
/// What Akka applications send to a <see cref="SessionSupervisorActor"/>. Each command is answered: with the
/// daemon's <see cref="ManagedDaemon"/> snapshot (so <c>Ask&lt;ManagedDaemon&gt;</c> works), with a not-found
/// reply, or with a <see cref="Akka.Actor.Status.Failure"/> whose exception names the problem.
/// </summary>
public static class SupervisorCommands
{
    /// <summary>
    /// Starts (or adopts) a daemon. Answered once its process is launched, with the snapshot; a daemon that waits for its
    /// dependencies is answered at once, state starting with the reason (pid 0). A bad spec, a name already running, a
    /// port it must have that is taken, or a session shutting down is answered with a <see cref="Akka.Actor.Status.Failure"/>
    /// (an <see cref="InvalidSpecException"/> for a bad spec).
    /// </summary>
    /// <param name="Spec">What to run. A stopped or failed daemon of the same name is replaced and started again.</param>
    public sealed record StartDaemon(DaemonSpec Spec)
    {
        /// <summary>
        /// The daemon as it was where it ran before (a cluster moving it to this node): its restarts and last failure
        /// carry on here instead of starting from zero.
        /// </summary>
        internal ManagedDaemon? Carried { get; init; }
    }

    /// <summary>
    /// Restarts a daemon on request: its process is stopped as for a stop (SIGTERM, grace, SIGKILL) and a new one is
    /// started at once on the same port, with no failure counted and no backoff. A stopped or failed daemon is started
    /// again. Answered like <see cref="StartDaemon"/>, once the new process is launched.
    /// </summary>
    /// <param name="Name">The daemon to restart.</param>
    /// <param name="Spec">A new spec for it (same name), or null to keep its current one.</param>
    /// <remarks>With <paramref name="Spec"/> (same name), the new process runs the new spec: how a changed spec is applied.</remarks>
    public sealed record RestartDaemon(string Name, DaemonSpec? Spec = null);

    /// <summary>
    /// Starts a stopped or failed daemon again with its last spec; refused (a failure naming its state) while it is
    /// active. Answered like <see cref="StartDaemon"/>, or with <see cref="DaemonNotFound"/>.
    /// </summary>
    /// <param name="Name">The daemon to start again.</param>
    public sealed record ResumeDaemon(string Name);

    /// <summary>
    /// Stops a daemon and forgets it: it is no longer listed, and its name is free. Answered with its final snapshot
    /// (state stopped), or <see cref="DaemonNotFound"/>.
    /// </summary>
    /// <param name="Name">The daemon to stop and forget.</param>
    public sealed record RemoveDaemon(string Name);

    /// <summary>Stops a daemon and keeps it stopped. Answered with its final snapshot (state stopped), or <see cref="DaemonNotFound"/>.</summary>
    /// <param name="Name">The daemon to stop.</param>
    /// <param name="WithDependents">Also stop the daemons that depend on it, before it.</param>
    /// <remarks>
    /// With <paramref name="WithDependents"/>, the daemons that depend on it (directly or not) are stopped too, first,
    /// in reverse dependency order. Without it they keep running.
    /// </remarks>
    public sealed record StopDaemon(string Name, bool WithDependents = false);

    /// <summary>Stops every daemon in parallel. Answered with <see cref="SupervisorReplies.StatusReport"/> when all are down.</summary>
    public sealed record StopAll
    {
        /// <summary>The one instance; the command carries no data.</summary>
        public static readonly StopAll Instance = new();
    }

    /// <summary>StopAll, after which every StartDaemon is refused. Answered with <see cref="SupervisorReplies.StatusReport"/>.</summary>
    public sealed record Shutdown
    {
        /// <summary>The one instance; the command carries no data.</summary>
        public static readonly Shutdown Instance = new();
    }
}

/// <summary>
/// Questions an Akka application asks a <see cref="SessionSupervisorActor"/>. They change nothing and are answered from
/// the session's records at once, also while a daemon waits between two runs.
/// </summary>
public static class SupervisorQueries
{
    /// <summary>Answered with the daemon's <see cref="ManagedDaemon"/> or <see cref="DaemonNotFound"/>.</summary>
    /// <param name="Name">The daemon's name (ordinal comparison).</param>
    public sealed record GetDaemon(string Name);

    /// <summary>
    /// Answered with <see cref="SupervisorReplies.StatusReport"/>; with <paramref name="IncludeForeign"/> it also lists,
    /// read-only, the daemons other sessions run under the same project dir (from their PID files).
    /// </summary>
    /// <param name="IncludeForeign">Also list other sessions' daemons, read from their PID files (costs a directory scan).</param>
    public sealed record GetStatus(bool IncludeForeign = false)
    {
        /// <summary>The common question: this session's daemons only.</summary>
        public static readonly GetStatus Instance = new();
    }
}

/// <summary>The answers a <see cref="SessionSupervisorActor"/> gives besides a <see cref="ManagedDaemon"/> snapshot.</summary>
public static class SupervisorReplies
{
    /// <summary>Every daemon this session knows, by name; and, when asked for, other sessions' daemons.</summary>
    /// <param name="SessionId">The session that answered.</param>
    /// <param name="Daemons">Each daemon's snapshot by name (ordinal), stopped and failed ones included.</param>
    public sealed record StatusReport(string SessionId, IReadOnlyDictionary<string, ManagedDaemon> Daemons)
    {
        /// <summary>
        /// Other sessions' daemons under the same project dir, only when <see cref="SupervisorQueries.GetStatus.IncludeForeign"/>
        /// was asked for; empty otherwise.
        /// </summary>
        public IReadOnlyList<ForeignDaemon> Foreign { get; init; } = [];
    }

    /// <summary>A daemon of another session, as its PID file tells it. Never touched by this session.</summary>
    /// <param name="Name">The daemon's name in its own session.</param>
    /// <param name="OwnerId">The session that owns it.</param>
    /// <param name="Pid">The process id its PID file records.</param>
    /// <param name="Port">The port its PID file records; 0 for none.</param>
    /// <param name="Alive">Whether that process is running now and is the daemon the file describes (pid and start time checked).</param>
    /// <param name="SupervisorAlive">Whether the supervisor that wrote the file is still running.</param>
    public sealed record ForeignDaemon(string Name, string OwnerId, int Pid, int Port, bool Alive, bool SupervisorAlive);
}

/// <summary>The reply for a name the session does not know.</summary>
/// <param name="Name">The name that was asked for.</param>
public sealed record DaemonNotFound(string Name);

/// <summary>Published on the ActorSystem's event stream whenever a daemon changes state.</summary>
public static class SupervisorEvents
{
    /// <summary>The session forgot a daemon (RemoveDaemon, or a reload that dropped it): it is no longer listed.</summary>
    /// <param name="SessionId">The session that forgot it.</param>
    /// <param name="Name">The daemon's name, free again in that session.</param>
    public sealed record DaemonRemoved(string SessionId, string Name);

    /// <summary>
    /// A daemon has a new state, or a new process in the same state. Published before any caller waiting on the same
    /// change is answered, and never the same state and process twice in a row.
    /// </summary>
    /// <param name="SessionId">The session the daemon belongs to; filter on it when one ActorSystem runs several.</param>
    /// <param name="Daemon">The daemon's snapshot after the change. Shared with other subscribers: do not change it
    /// (<see cref="ManagedDaemon.DeepCopy"/> gives one to keep).</param>
    /// <param name="Previous">The state before the change; null for the first news of a daemon.</param>
    public sealed record DaemonStateChanged(string SessionId, ManagedDaemon Daemon, DaemonState? Previous)
    {
        /// <summary>The daemon's name (<see cref="ManagedDaemon.Name"/>).</summary>
        public string Name => Daemon.Name;

        /// <summary>The daemon's new state (<see cref="ManagedDaemon.State"/>).</summary>
        public DaemonState State => Daemon.State;
    }
}
