using ActorSupervisor.Actors;
using ActorSupervisor.Daemons;
using ActorSupervisor.PidFiles;

namespace ActorSupervisor.Lifecycle;

/// <summary>What one generation is to do: its number, whether it is a restart, the port it should keep, what to adopt.</summary>
internal sealed record LaunchPlan(long Generation, bool IsRestart, int PreferredPort, PidFileInfo? Adopt);

/// <summary>
/// Everything a session knows about one daemon, and every way it changes: an immutable value with explicit
/// transitions, so the rules (which state follows which news, what the counters do, what the next generation gets)
/// hold without actors or processes and are tested that way. The session actor keeps one per daemon and only routes
/// messages to it; the daemon's own actor holds the process, the probes and the timers.
/// </summary>
internal sealed record DaemonRecord
{
    /// <summary>The daemon as callers see it; handed out as is (it is immutable).</summary>
    public required ManagedDaemon Snapshot { get; init; }

    /// <summary>The number of the current (or last) generation; 0 before the first.</summary>
    public long Generation { get; init; }

    /// <summary>True once any generation has launched or adopted a process: every later generation is a restart.</summary>
    public bool EverLaunched { get; init; }

    /// <summary>True once a generation of the current start has been healthy (or settled): what "healthy" dependents wait for.</summary>
    public bool EverHealthy { get; init; }

    /// <summary>A stop was asked for: whatever ends the current generation, the daemon ends stopped.</summary>
    public bool StopRequested { get; init; }

    /// <summary>A live process of this daemon left by an earlier supervisor, for the first generation to adopt.</summary>
    public PidFileInfo? Adoptable { get; init; }

    public string Name => Snapshot.Spec.Name;
    public DaemonState State => Snapshot.State;

    /// <summary>Stopped or failed: no process, and no generation will start one unless the daemon is started again.</summary>
    public bool IsFinal => State is DaemonState.Stopped or DaemonState.Failed;

    public static DaemonRecord New(DaemonSpec spec, string ownerId, PidFileInfo? adoptable = null) => new()
    {
        Snapshot = new ManagedDaemon { Spec = spec, State = DaemonState.Starting, OwnerId = ownerId },
        Adoptable = adoptable,
    };

    /// <summary>
    /// The same daemon started again after it ended (stopped or failed), or restarted on request: a fresh record
    /// that keeps the counters people watch (restarts) and the port clients know, under a possibly new spec.
    /// </summary>
    public DaemonRecord StartedAgain(DaemonSpec spec) => new()
    {
        Snapshot = new ManagedDaemon
        {
            Spec = spec,
            State = DaemonState.Starting,
            OwnerId = Snapshot.OwnerId,
            Port = Snapshot.Port,
            Restarts = EverLaunched ? Snapshot.Restarts + 1 : Snapshot.Restarts,
            LastFailure = Snapshot.LastFailure,
            LogPath = Snapshot.LogPath,
        },
        EverHealthy = false,
        Generation = Generation,
        // Its first generation prefers the old port, as a restart does; it is not a failure, so no backoff is owed.
        EverLaunched = false,
        PreferredPort = Snapshot.Port,
    };

    /// <summary>A port to prefer for the first generation of a daemon started again (see <see cref="StartedAgain"/>).</summary>
    public int PreferredPort { get; init; }

    /// <summary>
    /// A new generation is ready for its launch: it gets the next number, the port to keep (a restart keeps its
    /// port where it can, so clients keep working) and, the first time only, the process to adopt.
    /// </summary>
    public (DaemonRecord Next, LaunchPlan Plan) NextGeneration()
    {
        var plan = new LaunchPlan(Generation + 1, IsRestart: EverLaunched,
            PreferredPort: EverLaunched ? Snapshot.Port : PreferredPort,
            Adopt: EverLaunched ? null : Adoptable);
        var next = this with
        {
            Generation = plan.Generation,
            Adoptable = null,
            Snapshot = Snapshot with { Restarts = EverLaunched ? Snapshot.Restarts + 1 : Snapshot.Restarts },
        };
        return (next, plan);
    }

    /// <summary>The first generation waits for its dependencies: still starting, with the reason.</summary>
    public DaemonRecord Waiting(string reason) => this with { Snapshot = Snapshot with { Reason = reason } };

    /// <summary>The port the session allocated for the current generation.</summary>
    public DaemonRecord WithPort(int port) => this with { Snapshot = Snapshot with { Port = port } };

    /// <summary>True if the report is news of the current generation; anything else is late and must be ignored.</summary>
    public bool IsCurrent(IGenerationReport report) => report.Generation == Generation && !IsFinal;

    /// <summary>The record after a report of its current generation (callers check <see cref="IsCurrent"/> first).</summary>
    public DaemonRecord Apply(IGenerationReport report) => report switch
    {
        DaemonProtocol.Launched l => this with
        {
            EverLaunched = true,
            Snapshot = Snapshot with
            {
                Reason = null,
                State = StopRequested ? DaemonState.Stopping : DaemonState.Starting,
                Pid = l.Pid,
                Port = l.Port,
                StartedAt = l.StartedAt,
                LogPath = l.LogPath,
                Adopted = l.Adopted,
            },
        },
        DaemonProtocol.BecameRunning r => this with
        {
            EverHealthy = true,
            Snapshot = Snapshot with { State = StopRequested ? Snapshot.State : DaemonState.Running, LastHealth = r.At, Reason = null },
        },
        DaemonProtocol.BecameUnhealthy u => this with
        {
            Snapshot = Snapshot with
            {
                State = StopRequested ? Snapshot.State : DaemonState.Unhealthy,
                Reason = u.ProbeError is null ? "health check failing" : $"health check failing: {u.ProbeError}",
            },
        },
        DaemonProtocol.HealthOk h => this with { Snapshot = Snapshot with { LastHealth = h.At } },
        DaemonProtocol.StableRun => this with { Snapshot = Snapshot with { ConsecutiveFailures = 0 } },
        DaemonProtocol.RunFailed f => this with
        {
            Snapshot = Snapshot with
            {
                // A restart has no process until the next generation launches; a daemon being given up keeps its
                // pid while what is left of its process group is killed, and is failed once that is done.
                State = f.Verdict == RunVerdict.Restart && !StopRequested ? DaemonState.Restarting
                    : Snapshot.Pid > 0 ? DaemonState.Stopping : Snapshot.State,
                Pid = f.Verdict == RunVerdict.Restart ? 0 : Snapshot.Pid,
                ConsecutiveFailures = f.ConsecutiveFailures,
                LastFailure = f.Failure,
            },
        },
        DaemonProtocol.Stopping => this with { Snapshot = Snapshot with { State = DaemonState.Stopping } },
        DaemonProtocol.Ended e => EndedAs(e),
        _ => this,
    };

    /// <summary>A stop was asked for. Final daemons stay as they are.</summary>
    public DaemonRecord RequestStop() => IsFinal
        ? this
        : this with { StopRequested = true, Snapshot = Snapshot with { State = DaemonState.Stopping } };

    /// <summary>
    /// The daemon's BackoffSupervisor has gone without a final report: a stop during the backoff wait ended it, or
    /// something killed it. Without a stop asked for, that is a failure.
    /// </summary>
    public DaemonRecord SupervisorGone() => IsFinal ? this : Finished(StopRequested ? DaemonState.Stopped : DaemonState.Failed);

    /// <summary>The session could not even begin to run the daemon (a lock, an actor name, a file): it is failed.</summary>
    public DaemonRecord Refused(string reason, DateTimeOffset at) => this with
    {
        Snapshot = Snapshot with
        {
            State = DaemonState.Failed,
            Pid = 0,
            LastFailure = new FailureRecord { Reason = reason, At = at },
        },
    };

    /// <summary>A dependency failed (or stopped) before this daemon's first generation could launch: it never will.</summary>
    public DaemonRecord DependencyFailed(string reason, DateTimeOffset at) => this with
    {
        Snapshot = Snapshot with
        {
            State = DaemonState.Failed,
            Pid = 0,
            Reason = reason,
            LastFailure = new FailureRecord { Reason = $"not started: {reason}", At = at },
        },
    };

    private DaemonRecord EndedAs(DaemonProtocol.Ended ended)
    {
        var finished = Finished(StopRequested ? DaemonState.Stopped : ended.Final);
        return ended.Completed && !StopRequested
            ? finished with { Snapshot = finished.Snapshot with { Completed = true, Reason = "completed" } }
            : finished;
    }

    private DaemonRecord Finished(DaemonState final) => this with { Snapshot = Snapshot with { State = final, Pid = 0 } };
}
