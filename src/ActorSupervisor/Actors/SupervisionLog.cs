using Microsoft.Extensions.Logging;

namespace ActorSupervisor.Actors;

/// <summary>
/// The supervision log: what the supervisor did and why, as structured events (daemon, session, pid, generation are
/// properties, not text to parse). Source-generated, so a disabled level costs one check.
/// </summary>
internal static partial class SupervisionLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "{Daemon}: pid {Pid} launched on port {Port} (session {Session}, generation {Generation})")]
    public static partial void Launched(ILogger logger, string daemon, string session, int pid, int port, long generation);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information,
        Message = "{Daemon}: adopted pid {Pid} on port {Port} from an earlier supervisor (session {Session}, generation {Generation})")]
    public static partial void Adopted(ILogger logger, string daemon, string session, int pid, int port, long generation);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning,
        Message = "{Daemon}: health probe failed ({Count} of {Threshold}): {ProbeError} (pid {Pid}, session {Session}, generation {Generation})")]
    public static partial void ProbeFailed(ILogger logger, string daemon, int count, int threshold, string? probeError,
        int pid, string session, long generation);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning,
        Message = "{Daemon}: run failed: {Failure}; {Next} (pid {Pid}, session {Session}, generation {Generation})")]
    public static partial void RunFailed(ILogger logger, string daemon, string failure, string next, int pid, string session, long generation);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error,
        Message = "{Daemon}: cannot launch: {Reason} (session {Session}, generation {Generation})")]
    public static partial void CannotLaunch(ILogger logger, string daemon, string reason, string session, long generation);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning,
        Message = "{Daemon}: torn down with its process still running; killing process group {ProcessGroup} (session {Session}, generation {Generation})")]
    public static partial void TornDown(ILogger logger, string daemon, int processGroup, string session, long generation);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning,
        Message = "{Daemon}: could not remove its PID file: {Reason} (session {Session})")]
    public static partial void PidFileNotRemoved(ILogger logger, string daemon, string reason, string session);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information,
        Message = "{Daemon}: stopped (pid {Pid}, session {Session}, generation {Generation})")]
    public static partial void Stopped(ILogger logger, string daemon, int pid, string session, long generation);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information,
        Message = "{Daemon}: removing a stale PID file: {Reason} (session {Session})")]
    public static partial void StalePidFile(ILogger logger, string daemon, string reason, string session);

    [LoggerMessage(EventId = 11, Level = LogLevel.Error,
        Message = "{Daemon}: failed after {Failures} consecutive failed runs: {Failure} (session {Session})")]
    public static partial void GaveUp(ILogger logger, string daemon, int failures, string failure, string session);

    [LoggerMessage(EventId = 12, Level = LogLevel.Error,
        Message = "{Daemon}: {Problem}; this daemon is failed, the others are untouched (session {Session})")]
    public static partial void Isolated(ILogger logger, string daemon, string problem, string session);

    [LoggerMessage(EventId = 13, Level = LogLevel.Error,
        Message = "Session {Session}: a message of type {MessageType} could not be handled: {Problem}; no daemon was affected")]
    public static partial void Unhandled(ILogger logger, string session, string messageType, string problem);
}
