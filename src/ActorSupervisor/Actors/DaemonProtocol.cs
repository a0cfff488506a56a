using ActorSupervisor.Daemons;
using ActorSupervisor.Lifecycle;
using ActorSupervisor.PidFiles;

namespace ActorSupervisor.Actors;

/// <summary>
/// Between the session actor and its daemon actors. A generation is one <see cref="DaemonActor"/> and the one OS
/// process it runs; every report from it carries its generation, and the session applies a report only to the
/// generation it belongs to (<see cref="IGenerationReport"/>).
/// </summary>
internal static class DaemonProtocol
{
    // Session -> daemon actor.

    /// <summary>Go: start a process (or adopt <see cref="LaunchPlan.Adopt"/>) on <paramref name="Port"/>.</summary>
    /// <remarks><paramref name="Spec"/> is the daemon's spec for this generation, with ${NAME.port} in its args and env expanded.</remarks>
    public sealed record Launch(LaunchPlan Plan, int Port, string? PortError, DaemonSpec Spec);

    /// <summary>
    /// Stop the process and stay stopped. Sent through the BackoffSupervisor, for which it is also the final-stop
    /// message: once it has passed, the BackoffSupervisor never starts another generation.
    /// </summary>
    public sealed record Stop
    {
        public static readonly Stop Instance = new();
    }

    // Daemon actor -> session. Every one but GenerationReady is a report of one generation.

    /// <summary>A new generation exists and waits for its <see cref="Launch"/>.</summary>
    public sealed record GenerationReady(string Name);

    public sealed record Launched(string Name, long Generation, int Pid, int Port, DateTimeOffset StartedAt, string LogPath, bool Adopted)
        : IGenerationReport;

    public sealed record BecameRunning(string Name, long Generation, DateTimeOffset At) : IGenerationReport;

    public sealed record HealthOk(string Name, long Generation, DateTimeOffset At) : IGenerationReport;

    /// <summary>The health check fails and the daemon's on_unhealthy is mark: its process is kept, marked unhealthy.</summary>
    public sealed record BecameUnhealthy(string Name, long Generation, string? ProbeError) : IGenerationReport;

    /// <summary>The generation has been healthy for the stable period: the run of failures is over.</summary>
    public sealed record StableRun(string Name, long Generation) : IGenerationReport;

    /// <summary>
    /// The generation's run failed. <paramref name="ConsecutiveFailures"/> counts it (the BackoffSupervisor's count of
    /// restarts since the last stable run, plus this one); <paramref name="Verdict"/> says what comes next.
    /// </summary>
    public sealed record RunFailed(string Name, long Generation, FailureRecord Failure, int ConsecutiveFailures, RunVerdict Verdict)
        : IGenerationReport;

    /// <summary>A stop was asked for and the generation has begun it (SIGTERM sent).</summary>
    public sealed record Stopping(string Name, long Generation) : IGenerationReport;

    /// <summary>
    /// The generation's process (and its group) is gone and its PID file removed, for good: the daemon is
    /// <paramref name="Final"/> (stopped or failed). The actor stays, in that state, until the session removes it.
    /// </summary>
    /// <remarks><paramref name="Completed"/>: a one-shot task's run exited 0 (the daemon ends stopped, completed).</remarks>
    public sealed record Ended(string Name, long Generation, DaemonState Final, bool Completed = false) : IGenerationReport;
}
