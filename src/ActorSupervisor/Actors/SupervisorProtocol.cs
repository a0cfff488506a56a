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
    /// dependencies is answered at once, state starting with the reason (pid 0).
    /// </summary>
    public sealed record StartDaemon(DaemonSpec Spec);

    /// <summary>
    /// Restarts a daemon on request: its process is stopped as for a stop (SIGTERM, grace, SIGKILL) and a new one is
    /// started at once on the same port, with no failure counted and no backoff. A stopped or failed daemon is started
    /// again. Answered like <see cref="StartDaemon"/>, once the new process is launched.
    /// </summary>
    /// <remarks>With <paramref name="Spec"/> (same name), the new process runs the new spec: how a changed spec is applied.</remarks>
    public sealed record RestartDaemon(string Name, DaemonSpec? Spec = null);

    /// <summary>
    /// Starts a stopped or failed daemon again with its last spec; refused (a failure naming its state) while it is
    /// active. Answered like <see cref="StartDaemon"/>, or with <see cref="DaemonNotFound"/>.
    /// </summary>
    public sealed record ResumeDaemon(string Name);

    /// <summary>
    /// Stops a daemon and forgets it: it is no longer listed, and its name is free. Answered with its final snapshot
    /// (state stopped), or <see cref="DaemonNotFound"/>.
    /// </summary>
    public sealed record RemoveDaemon(string Name);

    /// <summary>Stops a daemon and keeps it stopped. Answered with its final snapshot (state stopped), or <see cref="DaemonNotFound"/>.</summary>
    /// <remarks>
    /// With <paramref name="WithDependents"/>, the daemons that depend on it (directly or not) are stopped too, first,
    /// in reverse dependency order. Without it they keep running.
    /// </remarks>
    public sealed record StopDaemon(string Name, bool WithDependents = false);

    /// <summary>Stops every daemon in parallel. Answered with <see cref="SupervisorReplies.StatusReport"/> when all are down.</summary>
    public sealed record StopAll
    {
        public static readonly StopAll Instance = new();
    }

    /// <summary>StopAll, after which every StartDaemon is refused. Answered with <see cref="SupervisorReplies.StatusReport"/>.</summary>
    public sealed record Shutdown
    {
        public static readonly Shutdown Instance = new();
    }
}

public static class SupervisorQueries
{
    /// <summary>Answered with the daemon's <see cref="ManagedDaemon"/> or <see cref="DaemonNotFound"/>.</summary>
    public sealed record GetDaemon(string Name);

    /// <summary>
    /// Answered with <see cref="SupervisorReplies.StatusReport"/>; with <paramref name="IncludeForeign"/> it also lists,
    /// read-only, the daemons other sessions run under the same project dir (from their PID files).
    /// </summary>
    public sealed record GetStatus(bool IncludeForeign = false)
    {
        public static readonly GetStatus Instance = new();
    }
}

public static class SupervisorReplies
{
    /// <summary>Every daemon this session knows, by name; and, when asked for, other sessions' daemons.</summary>
    public sealed record StatusReport(string SessionId, IReadOnlyDictionary<string, ManagedDaemon> Daemons)
    {
        public IReadOnlyList<ForeignDaemon> Foreign { get; init; } = [];
    }

    /// <summary>A daemon of another session, as its PID file tells it. Never touched by this session.</summary>
    public sealed record ForeignDaemon(string Name, string OwnerId, int Pid, int Port, bool Alive, bool SupervisorAlive);
}

/// <summary>The reply for a name the session does not know.</summary>
public sealed record DaemonNotFound(string Name);

/// <summary>Published on the ActorSystem's event stream whenever a daemon changes state.</summary>
public static class SupervisorEvents
{
    public sealed record DaemonStateChanged(string SessionId, ManagedDaemon Daemon, DaemonState? Previous)
    {
        public string Name => Daemon.Name;
        public DaemonState State => Daemon.State;
    }
}
