using ActorSupervisor.Daemons;
using ActorSupervisor.PidFiles;

namespace ActorSupervisor.Actors;

/// <summary>
/// Between the session actor and its daemon actors. Every report carries the generation (incarnation) it belongs
/// to, and the session ignores reports from any generation but the current one.
/// </summary>
internal static class DaemonProtocol
{
    // Session -> daemon actor.

    /// <summary>Go: start a process (or adopt <paramref name="Adopt"/>) on <paramref name="Port"/>.</summary>
    public sealed record Launch(long Generation, int Port, PidFileInfo? Adopt, string? PortError);

    /// <summary>Stop the process and stay stopped; also the BackoffSupervisor's final-stop message.</summary>
    public sealed record Stop
    {
        public static readonly Stop Instance = new();
    }

    // Daemon actor -> session.

    /// <summary>A new incarnation exists and waits for its Launch.</summary>
    public sealed record IncarnationReady(string Name);

    public sealed record Launched(string Name, long Generation, int Pid, int Port, DateTimeOffset StartedAt, string LogPath, bool Adopted);

    public sealed record BecameRunning(string Name, long Generation, DateTimeOffset At);

    public sealed record HealthOk(string Name, long Generation, DateTimeOffset At);

    /// <summary>The run has been healthy for the stable period: consecutive failures start again from zero.</summary>
    public sealed record StableRun(string Name, long Generation);

    /// <summary>The run failed; the process is being (or has been) killed and the incarnation will stop.</summary>
    public sealed record RunFailed(string Name, long Generation, FailureRecord Failure, bool CannotLaunch);

    public sealed record Stopping(string Name, long Generation);
}
